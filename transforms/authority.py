"""Degree of authority per body and programme: catalogue defaults, the body's overrides, a 0-1 score.

Score = clamp(s·max(a/3) + (1 − s)·Σ w·a/3 − direct_delivery_weight·direct_delivery/3, 0, 1) over
the attributes ``a`` named in ``authority_weights`` (permits, controls, binding plans, allocation:
the four forms of public power), levels 0-3 (scale in ``data/classification/authority_scale.csv``),
``s`` = ``strongest_power_weight``: a function whose core is one power (inspections and sanctions,
say) is high authority even when it exercises no other; the weighted sum rewards combining them.
The legal status (retained, delegated, transferred, non-fundamental) and ``legal_mandate`` are
*not* authority: they are carried beside the score, as the mark on the chart and for the plans.
Statuses come from the catalogue, then ``status_by_body.csv`` (e.g. c. 86 for the three mountain
border provinces), then the body's overrides. A body may override any attribute (including
``own_funding``: how much of a transferred function it still pays from its own resources) or the
status of any programme, with a reason; the override is carried into every result row
(``override_note``) so that it is shown wherever the result is.
"""

from __future__ import annotations

import polars as pl

ATTRIBUTES = ("permits", "controls", "binding_plans", "allocation", "legal_mandate", "direct_delivery", "own_funding")
OVERRIDE_COLUMNS = {
    "body": pl.String,
    "programma": pl.String,
    "attribute": pl.String,
    "value": pl.String,
    "reason": pl.String,
    "author": pl.String,
    "date": pl.String,
}


def empty_overrides() -> pl.DataFrame:
    return pl.DataFrame(schema=OVERRIDE_COLUMNS)


def score_expr(weights: dict[str, float], direct_delivery_weight: float, strongest_weight: float = 0.0) -> pl.Expr:
    combined = pl.sum_horizontal([pl.col(a).cast(pl.Float64) * (w / 3) for a, w in weights.items()])
    strongest = pl.max_horizontal([pl.col(a).cast(pl.Float64) / 3 for a in weights])
    powers = strongest_weight * strongest + (1 - strongest_weight) * combined
    return (powers - pl.col("direct_delivery").cast(pl.Float64) * (direct_delivery_weight / 3)).clip(0.0, 1.0)


def authority_table(
    catalogue: pl.DataFrame,
    bodies: pl.DataFrame,
    overrides: pl.DataFrame,
    weights: dict[str, float],
    direct_delivery_weight: float,
    body_statuses: pl.DataFrame | None = None,
    strongest_weight: float = 0.0,
) -> pl.DataFrame:
    """One row per body and programme. ``bodies``: ``body`` and ``metro`` (bool, metropolitan city).

    ``overrides`` rows name an attribute (value 0-3) or ``status`` (retained / transferred /
    delegated); the latest row per body, programme and attribute wins.
    """
    base = bodies.join(catalogue, how="cross").with_columns(
        status=pl.when(pl.col("metro")).then(pl.col("status_citta_metropolitana")).otherwise(pl.col("status_provincia"))
    )
    if body_statuses is not None and body_statuses.height:
        base = (
            base.join(
                body_statuses.select(
                    "body", "programma", pl.col("status").alias("_s"), pl.col("status_source").alias("_src")
                ),
                on=["body", "programma"],
                how="left",
            )
            .with_columns(status=pl.coalesce("_s", "status"), status_source=pl.coalesce("_src", "status_source"))
            .drop("_s", "_src")
        )
    latest = overrides.unique(["body", "programma", "attribute"], keep="last", maintain_order=True)
    for attribute in (*ATTRIBUTES, "status"):
        part = latest.filter(pl.col("attribute") == attribute).select(
            "body", "programma", pl.col("value").alias("_new")
        )
        if part.is_empty():
            continue
        dtype = pl.String if attribute == "status" else pl.Int8
        base = (
            base.join(part, on=["body", "programma"], how="left")
            .with_columns(pl.coalesce(pl.col("_new").cast(dtype), pl.col(attribute)).alias(attribute))
            .drop("_new")
        )
    notes = latest.group_by("body", "programma", maintain_order=True).agg(
        override_note=pl.concat_str(
            pl.col("attribute"),
            pl.lit("="),
            pl.col("value"),
            pl.lit(" ("),
            pl.col("reason"),
            pl.lit("; "),
            pl.col("author").fill_null("?"),
            pl.lit(", "),
            pl.col("date").fill_null("?"),
            pl.lit(")"),
        ).str.join("; ")
    )
    return (
        base.join(notes, on=["body", "programma"], how="left")
        .with_columns(authority=score_expr(weights, direct_delivery_weight, strongest_weight))
        .select(
            "body",
            "programma",
            "name",
            "kind",
            *ATTRIBUTES,
            "authority",
            "status",
            "status_source",
            "override_note",
            "justification",
        )
    )


def mission_authority(table: pl.DataFrame) -> pl.DataFrame:
    """For files with mission detail only: the mean score of the mission's service programmes."""
    services = table.filter(pl.col("kind") == "service").with_columns(missione=pl.col("programma").str.slice(0, 2))
    return services.group_by("body", "missione").agg(
        authority=pl.col("authority").mean(),
        status=pl.when(pl.col("status").n_unique() == 1).then(pl.col("status").first()).otherwise(pl.lit("mixed")),
        **{a: pl.col(a).cast(pl.Float64).mean().round().cast(pl.Int8) for a in ATTRIBUTES},
    )
