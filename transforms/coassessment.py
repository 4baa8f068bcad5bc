"""Co-assessment statistics: what users and Third Sector bodies say of each service line (pure polars).

Per body, year, function and respondent type (and all types together, ``tutti``), for each 1-5 scale:
the number of ratings, the mean, and a two-sided t interval of the mean (t quantile from a table, the
largest tabulated degrees of freedom not above n - 1: never narrower than the exact interval), cut to the 1-5 scale. A mean
from fewer than ``min_n`` ratings is flagged (``enough_<scale>`` false) and never used downstream.
"""

from __future__ import annotations

import polars as pl

SCALES = ("quality", "accessibility", "willingness")
KEYS = ["body", "year", "function"]
ALL_TYPES = "tutti"


def summary(ratings: pl.DataFrame, t_table: pl.DataFrame, min_n: int) -> pl.DataFrame:
    """n, mean, low, high and enough for every scale, per body, year, function and respondent type (and ``tutti``)."""
    stats = [
        expr
        for s in SCALES
        for expr in (
            pl.col(s).count().alias(f"n_{s}"),
            pl.col(s).mean().alias(f"mean_{s}"),
            pl.col(s).std().alias(f"_sd_{s}"),
        )
    ]
    by_type = ratings.group_by(*KEYS, "respondent_type").agg(*stats)
    together = ratings.group_by(KEYS).agg(*stats).with_columns(respondent_type=pl.lit(ALL_TYPES))
    out = pl.concat([by_type, together.select(by_type.columns)])
    table = t_table.select(pl.col("df").cast(pl.Int64), pl.col("t_0975").cast(pl.Float64)).sort("df")
    for s in SCALES:
        out = out.with_columns(_df=(pl.col(f"n_{s}") - 1).cast(pl.Int64)).sort("_df")
        out = out.join_asof(table, left_on="_df", right_on="df", strategy="backward").drop("df")
        half = pl.col("t_0975") * pl.col(f"_sd_{s}") / pl.col(f"n_{s}").cast(pl.Float64).sqrt()
        usable = pl.col(f"n_{s}") >= 2
        out = out.with_columns(
            pl.when(usable).then((pl.col(f"mean_{s}") - half).clip(1, 5)).alias(f"low_{s}"),  # cut to the scale
            pl.when(usable).then((pl.col(f"mean_{s}") + half).clip(1, 5)).alias(f"high_{s}"),
            (pl.col(f"n_{s}") >= min_n).alias(f"enough_{s}"),
        ).drop("t_0975", "_df", f"_sd_{s}")
    return out.with_columns(pl.col("year").cast(pl.Int32), pl.col(f"n_{SCALES[0]}").cast(pl.UInt32)).sort(
        *KEYS, pl.col("respondent_type") == ALL_TYPES, "respondent_type"
    )


def component(stats: pl.DataFrame) -> pl.DataFrame:
    """The priority component ``c_co_assessment`` per body, year, function: 1 - (mean quality - 1) / 4 from all
    respondents, when there are enough ratings; low quality, more reason to intervene. Null otherwise."""
    together = stats.filter(pl.col("respondent_type") == ALL_TYPES)
    return together.select(
        *KEYS, c_co_assessment=pl.when(pl.col("enough_quality")).then(1 - (pl.col("mean_quality") - 1) / 4)
    )


def willing(stats: pl.DataFrame, at: float) -> pl.DataFrame:
    """Per body, year, function: the respondent types (not ``tutti``) whose mean willingness to take part in delivery,
    from enough ratings, reaches ``at``, with that mean and n: the case for co-delivery by them."""
    return (
        stats.filter(
            pl.col("respondent_type") != ALL_TYPES, pl.col("enough_willingness"), pl.col("mean_willingness") >= at
        )
        .select(*KEYS, "respondent_type", "mean_willingness", "n_willingness")
        .sort(*KEYS, "respondent_type")
    )
