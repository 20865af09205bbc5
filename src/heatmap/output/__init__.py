"""Output: maps, charts, report tables and the monthly briefing."""
