"""Strategic analysis: who could share each function's work, what they bring, how it could be delivered.

From a catalogue by quadrant with programme-specific rows on top (``data/strategy/actors.csv``);
a body's own file (same columns) replaces the rows of the same scope and key.
"""

from __future__ import annotations

import polars as pl


def merge_catalogue(default: pl.DataFrame, body_rows: pl.DataFrame | None) -> pl.DataFrame:
    """The body's rows replace the default rows of the same scope and key."""
    if body_rows is None or body_rows.is_empty():
        return default
    replaced = body_rows.select("scope", "key").unique()
    return pl.concat([default.join(replaced, on=["scope", "key"], how="anti"), body_rows.select(default.columns)])


def strategic_analysis(functions: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    """One row per function and actor: programme-specific actors first, then those of its quadrant."""
    classified = functions.filter(pl.col("quadrant").is_not_null()).select("body", "year", "phase", "function", "quadrant")
    specific = classified.join(
        catalogue.filter(pl.col("scope") == "programme").rename({"key": "function"}), on="function"
    ).with_columns(source=pl.lit("programma"))
    general = classified.join(
        catalogue.filter(pl.col("scope") == "quadrant").rename({"key": "quadrant"}), on="quadrant"
    ).join(specific.select("body", "year", "phase", "function", "actor"), on=["body", "year", "phase", "function", "actor"], how="anti").with_columns(
        source=pl.lit("quadrante")
    )
    return pl.concat([specific.drop("scope"), general.drop("scope")], how="diagonal_relaxed").sort(
        "body", "year", "phase", "function", pl.col("source") != "programma", "actor"
    )
