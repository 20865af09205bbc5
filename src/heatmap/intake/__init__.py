"""Data in: the DuckDB store, canonical records, the import of exports and boundaries, the demo data."""
