"""Analysis: reads over the monthly aggregates, the governance rule, 每月一题, categories, activation."""
