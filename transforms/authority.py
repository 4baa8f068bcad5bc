"""Degree of authority per body and programme: catalogue defaults, the body's overrides, a 0-1 score.

Score = clamp(Σ weight·attribute/3 − direct_delivery_weight·direct_delivery/3, 0, 1), attributes
0-3 (scale in ``data/classification/authority_scale.csv``). A body may override any attribute or
the status of any programme, with a reason; the override is carried into every result row
(``override_note``) so that it is shown wherever the result is.
"""

from __future__ import annotations

import polars as pl

POSITIVE = ("permits", "controls", "binding_plans", "allocation", "legal_mandate")
ATTRIBUTES = (*POSITIVE, "direct_delivery")
OVERRIDE_COLUMNS = {"body": pl.String, "programma": pl.String, "attribute": pl.String, "value": pl.String,
                    "reason": pl.String, "author": pl.String, "date": pl.String}


def empty_overrides() -> pl.DataFrame:
    return pl.DataFrame(schema=OVERRIDE_COLUMNS)


def score_expr(weights: dict[str, float], direct_delivery_weight: float) -> pl.Expr:
    positive = pl.sum_horizontal([pl.col(a).cast(pl.Float64) * (weights[a] / 3) for a in POSITIVE])
    return (positive - pl.col("direct_delivery").cast(pl.Float64) * (direct_delivery_weight / 3)).clip(0.0, 1.0)


def authority_table(catalogue: pl.DataFrame, bodies: pl.DataFrame, overrides: pl.DataFrame,
                    weights: dict[str, float], direct_delivery_weight: float) -> pl.DataFrame:
    """One row per body and programme. ``bodies``: ``body`` and ``metro`` (bool, metropolitan city).

    ``overrides`` rows name an attribute (value 0-3) or ``status`` (retained / transferred /
    delegated); the latest row per body, programme and attribute wins.
    """
    base = bodies.join(catalogue, how="cross").with_columns(
        status=pl.when(pl.col("metro")).then(pl.col("status_citta_metropolitana")).otherwise(pl.col("status_provincia"))
    )
    latest = overrides.unique(["body", "programma", "attribute"], keep="last", maintain_order=True)
    for attribute in (*ATTRIBUTES, "status"):
        part = latest.filter(pl.col("attribute") == attribute).select("body", "programma", pl.col("value").alias("_new"))
        if part.is_empty():
            continue
        dtype = pl.String if attribute == "status" else pl.Int8
        base = base.join(part, on=["body", "programma"], how="left").with_columns(
            pl.coalesce(pl.col("_new").cast(dtype), pl.col(attribute)).alias(attribute)
        ).drop("_new")
    notes = (
        latest.group_by("body", "programma", maintain_order=True)
        .agg(override_note=pl.concat_str(
            pl.col("attribute"), pl.lit("="), pl.col("value"), pl.lit(" ("), pl.col("reason"), pl.lit("; "),
            pl.col("author").fill_null("?"), pl.lit(", "), pl.col("date").fill_null("?"), pl.lit(")"),
        ).str.join("; "))
    )
    return (
        base.join(notes, on=["body", "programma"], how="left")
        .with_columns(authority=score_expr(weights, direct_delivery_weight))
        .select("body", "programma", "name", "kind", *ATTRIBUTES, "authority", "status", "override_note", "justification")
    )


def mission_authority(table: pl.DataFrame) -> pl.DataFrame:
    """For files with mission detail only: the mean score of the mission's service programmes."""
    services = table.filter(pl.col("kind") == "service").with_columns(missione=pl.col("programma").str.slice(0, 2))
    return services.group_by("body", "missione").agg(
        authority=pl.col("authority").mean(),
        status=pl.when(pl.col("status").n_unique() == 1).then(pl.col("status").first()).otherwise(pl.lit("mixed")),
        **{a: pl.col(a).cast(pl.Float64).mean().round().cast(pl.Int8) for a in ATTRIBUTES},
    )
