"""Stage: co-assessment statistics per function and respondent type (``core.coassessment``) from ``core.ratings``."""

from __future__ import annotations

import polars as pl

from dashboards.words import label
from pipelines import warehouse
from pipelines.stored import Stored
from sources.ratings import config, t_quantiles
from transforms.coassessment import summary, willing


def stage_coassessment(con, keys: pl.DataFrame) -> Stored:
    """n, mean and t interval of every scale per function and respondent type; the keys are replaced even without ratings."""
    ratings = warehouse.read_table(con, "ratings", keys)
    if ratings.is_empty():
        stats = summary(pl.DataFrame(schema={"body": pl.String, "year": pl.Int32, "function": pl.String, "respondent_type": pl.String,
                                             "quality": pl.Int8, "accessibility": pl.Int8, "willingness": pl.Int8}),
                        t_quantiles(), config()["statistics"]["min_n"])
    else:
        stats = summary(ratings, t_quantiles(), config()["statistics"]["min_n"])
    return Stored({"ratings": ratings.height, "functions": stats["function"].n_unique() if stats.height else 0},
                  {"coassessment": (stats, keys)})


def with_willing_respondents(projects: pl.DataFrame, stats: pl.DataFrame) -> pl.DataFrame:
    """Development plans of functions whose respondents (enough of them) are willing to take part in delivery say so
    in the case for co-production (``coproduction_why``, Italian and English)."""
    if stats.is_empty() or projects.is_empty() or "coproduction_why" not in projects.columns:
        return projects
    types = {lang: label("respondent_types", lang) for lang in ("it", "en")}
    ready = willing(stats, config()["willingness"]["co_delivery_at"])
    if ready.is_empty():
        return projects
    rows = []
    for (body, year, function), group in ready.group_by("body", "year", "function", maintain_order=True):
        who_it = ", ".join(f"{types['it'][r['respondent_type']]} ({r['mean_willingness']:.1f} su 5, {r['n_willingness']} risposte)"
                           .replace(".", ",", 1) for r in group.iter_rows(named=True))
        who_en = ", ".join(f"{types['en'][r['respondent_type']]} ({r['mean_willingness']:.1f} out of 5, {r['n_willingness']} answers)"
                           for r in group.iter_rows(named=True))
        rows.append((body, year, function, f" Nella co-valutazione si dichiarano disponibili a partecipare all'erogazione: {who_it}.",
                     f" In the co-assessment, these say they are willing to take part in delivery: {who_en}."))
    extra = pl.DataFrame(rows, schema={"body": pl.String, "year": pl.Int32, "function": pl.String, "_it": pl.String, "_en": pl.String},
                         orient="row")
    development = pl.col("plan_kind") == "development"
    joined = projects.join(extra, on=["body", "year", "function"], how="left")
    return joined.with_columns(
        coproduction_why=pl.when(development & pl.col("_it").is_not_null()).then(_sentence("coproduction_why") + pl.col("_it"))
        .otherwise(pl.col("coproduction_why")),
        coproduction_why_en=pl.when(development & pl.col("_en").is_not_null()).then(_sentence("coproduction_why_en") + pl.col("_en"))
        .otherwise(pl.col("coproduction_why_en"))).drop("_it", "_en")


def _sentence(column: str) -> pl.Expr:
    """The text closed by a full stop, so that another sentence can follow."""
    text = pl.col(column).fill_null("").str.strip_chars_end(" .")
    return pl.when(text == "").then(pl.lit("")).otherwise(text + ".")
