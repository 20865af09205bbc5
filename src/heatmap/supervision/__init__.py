"""督导工作台 data: talks, item and project lists, visits and support of each supervised town's spell.

A SQLite file beside the store (or PostgreSQL) holds the entries, each versioned, and their
append-only history (:mod:`~heatmap.supervision.db`, :mod:`~heatmap.supervision.work`); the lists
go in and out as spreadsheets with Chinese headers (:mod:`~heatmap.supervision.sheets`).
"""
