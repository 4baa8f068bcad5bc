"""Revenue a function brings in, and how much of its cost it recovers (pure polars).

The harmonised accounts classify revenue by title and *tipologia*, never by programme: a fee,
a fine or an earmarked regional transfer cannot be tied to a service line from the accounts
alone. So revenue is attributed only where an attribution is written down (``tipologia →
programme, share, reason``): the product's defaults (``data/portfolio/revenue_attribution.csv``,
``body`` empty) and a body's own rows, which replace the defaults for the tipologie they name. A function with
no attributed revenue has an *unknown* cost recovery (null), never 0.
"""

from __future__ import annotations

import polars as pl

KEYS = ["body", "year", "phase"]
ATTRIBUTION_COLUMNS = {
    "body": pl.String,
    "tipologia": pl.String,
    "programma": pl.String,
    "share": pl.Float64,
    "reason": pl.String,
}


def over_allocated(attribution: pl.DataFrame) -> pl.DataFrame:
    """(body, tipologia) pairs whose shares add up to more than the whole revenue."""
    return attribution.group_by("body", "tipologia").agg(total=pl.col("share").sum()).filter(pl.col("total") > 1 + 1e-9)


def attributed_revenue(revenue: pl.DataFrame, attribution: pl.DataFrame, basis: dict[str, str]) -> pl.DataFrame:
    """``revenue_cents`` per body, year, phase and function, with its sources in words (``revenue_sources``).

    ``revenue``: the canonical revenue lines; ``basis``: the amount kind per phase (assessed revenue for
    final accounts, appropriations for forecasts). Rows with ``body`` null apply to every body.
    """
    wanted = pl.DataFrame({"phase": list(basis), "amount_kind": list(basis.values())})
    lines = (
        revenue.join(wanted, on=["phase", "amount_kind"], how="semi")
        .group_by(*KEYS, "tipologia")
        .agg(cents=pl.col("amount_cents").sum())
    )
    general = attribution.filter(pl.col("body").is_null()).drop("body")
    specific = attribution.filter(pl.col("body").is_not_null())
    overridden = specific.select("body", "tipologia").unique()  # a body's rows replace the defaults of that tipologia
    matched = pl.concat(
        [
            lines.join(overridden, on=["body", "tipologia"], how="anti").join(general, on="tipologia"),
            lines.join(specific, on=["body", "tipologia"]),
        ],
        how="diagonal_relaxed",
    )
    source = pl.concat_str(
        pl.col("tipologia"),
        pl.lit(" × "),
        (pl.col("share") * 100).round(0).cast(pl.Int64).cast(pl.String),
        pl.lit("% ("),
        pl.col("reason"),
        pl.lit(")"),
    )
    # by programme, and by mission for files that only have mission detail (the function is then the mission)
    levels = [pl.col("programma"), pl.col("programma").str.slice(0, 2)]
    return pl.concat(
        [
            matched.group_by(*KEYS, level.alias("function")).agg(
                revenue_cents=(pl.col("cents") * pl.col("share")).sum().round(0).cast(pl.Int64),
                revenue_sources=source.sort().str.join("; "),
            )  # sorted: the same words every run
            for level in levels
        ]
    )


def with_cost_recovery(functions: pl.DataFrame, revenue: pl.DataFrame | None) -> pl.DataFrame:
    """``revenue_cents``, ``revenue_sources`` and ``cost_recovery`` (attributed revenue / spending; null when unknown).

    ``revenue``: what ``attributed_revenue`` returns; None when the bodies loaded no revenue at all.
    """
    if revenue is None:
        return functions.with_columns(
            revenue_cents=pl.lit(None, pl.Int64),
            revenue_sources=pl.lit(None, pl.String),
            cost_recovery=pl.lit(None, pl.Float64),
        )
    out = functions.join(revenue, on=[*KEYS, "function"], how="left")
    return out.with_columns(
        cost_recovery=pl.when(pl.col("revenue_cents").is_not_null() & (pl.col("total_cents") > 0)).then(
            pl.col("revenue_cents") / pl.col("total_cents")
        )
    )
