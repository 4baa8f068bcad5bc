"""Extracted lines → the canonical budget-lines table (pure polars)."""

from __future__ import annotations

import polars as pl

from areavasta.model import BUDGET_LINE_COLUMNS, conform


def to_budget_lines(lines: pl.DataFrame, *, body: str | None, year: int | None, phase: str | None, sha256: str, file_name: str,
                    columns: dict[str, pl.DataType] = BUDGET_LINE_COLUMNS) -> pl.DataFrame:
    """Fill body, year and phase where the rows do not carry them, add provenance, keep canonical
    columns (the budget table's, or ``columns`` of another canonical table such as revenue)."""
    return conform(
        lines.with_columns(
            body=pl.coalesce(pl.col("body"), pl.lit(body, pl.String)),
            year=pl.coalesce(pl.col("year"), pl.lit(year, pl.Int32)),
            phase=pl.coalesce(pl.col("phase"), pl.lit(phase, pl.String)),
            source_sha256=pl.lit(sha256),
            source_file=pl.lit(file_name),
        ),
        columns,
    )
