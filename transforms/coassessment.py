"""Co-assessment statistics: what users and Third Sector bodies say of each service line (pure polars).

Per body, year, function and respondent type (and all types together, ``tutti``), for each 1-5 scale:
the number of ratings, the mean, and a two-sided t interval of the mean (t quantile from a table, the
largest tabulated degrees of freedom not above n - 1: never narrower than the exact interval), cut to the 1-5 scale. A
mean from fewer than ``min_n`` ratings is flagged (``enough_<scale>`` false) and never used downstream.

What the statistics add to the plans' case for co-production is ``with_ratings``.
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


def with_ratings(
    projects: pl.DataFrame, stats: pl.DataFrame, config: dict, types: dict[str, dict[str, str]]
) -> pl.DataFrame:
    """Development plans say what the co-assessment adds to their case, in Italian and English (``coproduction_why``):
    low quality from enough answers makes them urgent; respondents willing to take part in delivery are named.
    ``config``: ``coassessment.yaml`` (``urgency``, ``willingness``); ``types``: language -> respondent type ->
    words."""
    if stats.is_empty() or projects.is_empty() or "coproduction_why" not in projects.columns:
        return projects
    said: dict[tuple, list[list[str]]] = {}
    poor = stats.filter(
        pl.col("respondent_type") == ALL_TYPES,
        pl.col("enough_quality"),
        pl.col("mean_quality") <= config["urgency"]["quality_at_most"],
    )
    for r in poor.iter_rows(named=True):
        mean, n = r["mean_quality"], r["n_quality"]
        it = f" Urgente: utenti e Terzo settore valutano la qualità {mean:.1f} su 5 ({n} risposte)."
        en = f" Urgent: users and Third Sector bodies rate its quality {mean:.1f} out of 5 ({n} answers)."
        said.setdefault((r["body"], r["year"], r["function"]), [[], []])
        said[(r["body"], r["year"], r["function"])][0].append(it.replace(".", ",", 1))
        said[(r["body"], r["year"], r["function"])][1].append(en)
    ready = willing(stats, config["willingness"]["co_delivery_at"])
    for (body, year, function), group in ready.group_by("body", "year", "function", maintain_order=True):
        said_it = [
            f"{types['it'][r['respondent_type']]} ({r['mean_willingness']:.1f} su 5, {r['n_willingness']} risposte)"
            for r in group.iter_rows(named=True)
        ]
        who_it = ", ".join(text.replace(".", ",", 1) for text in said_it)
        who_en = ", ".join(
            f"{types['en'][r['respondent_type']]} ({r['mean_willingness']:.1f} out of 5, {r['n_willingness']} answers)"
            for r in group.iter_rows(named=True)
        )
        said.setdefault((body, year, function), [[], []])
        said[(body, year, function)][0].append(
            f" Nella co-valutazione si dichiarano disponibili a partecipare all'erogazione: {who_it}."
        )
        said[(body, year, function)][1].append(
            f" In the co-assessment, these say they are willing to take part in delivery: {who_en}."
        )
    if not said:
        return projects
    extra = pl.DataFrame(
        [(b, y, f, "".join(it), "".join(en)) for (b, y, f), (it, en) in said.items()],
        schema={"body": pl.String, "year": pl.Int32, "function": pl.String, "_it": pl.String, "_en": pl.String},
        orient="row",
    )
    development = pl.col("plan_kind") == "development"
    joined = projects.join(extra, on=["body", "year", "function"], how="left")
    return joined.with_columns(
        coproduction_why=pl.when(development & pl.col("_it").is_not_null())
        .then(_sentence("coproduction_why") + pl.col("_it"))
        .otherwise(pl.col("coproduction_why")),
        coproduction_why_en=pl.when(development & pl.col("_en").is_not_null())
        .then(_sentence("coproduction_why_en") + pl.col("_en"))
        .otherwise(pl.col("coproduction_why_en")),
    ).drop("_it", "_en")


def _sentence(column: str) -> pl.Expr:
    """The text closed by a full stop, so that another sentence can follow."""
    text = pl.col(column).fill_null("").str.strip_chars_end(" .")
    return pl.when(text == "").then(pl.lit("")).otherwise(text + ".")
