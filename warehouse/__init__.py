"""The warehouse: one DuckDB file, every table declared once (``tables``), and what reads and writes it.

Empty on purpose: the command line imports ``warehouse.errors`` without DuckDB, pandera or polars.
"""
