"""Extracted lines → a canonical table (pure polars; the table's columns are passed in)."""

from __future__ import annotations

import polars as pl


def to_canonical(
    lines: pl.DataFrame,
    columns: dict[str, pl.DataType],
    *,
    body: str | None,
    year: int | None,
    phase: str | None,
    sha256: str,
    file_name: str,
) -> pl.DataFrame:
    """Fill body, year and phase where the rows do not carry them, add provenance, keep ``columns`` in order
    (missing optional ones become null)."""
    filled = lines.with_columns(
        body=pl.coalesce(pl.col("body"), pl.lit(body, pl.String)),
        year=pl.coalesce(pl.col("year"), pl.lit(year, pl.Int32)),
        phase=pl.coalesce(pl.col("phase"), pl.lit(phase, pl.String)),
        source_sha256=pl.lit(sha256),
        source_file=pl.lit(file_name),
    )
    return filled.select(
        (pl.col(n) if n in filled.columns else pl.lit(None)).cast(t).alias(n) for n, t in columns.items()
    )
