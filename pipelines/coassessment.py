"""Stage: co-assessment statistics per function and respondent type (``core.coassessment``) from ``core.ratings``."""

from __future__ import annotations

import polars as pl

from dashboards.words import label
from sources.ratings import config, t_quantiles
from transforms.coassessment import ALL_TYPES, summary, willing
from warehouse import store as warehouse
from warehouse.stored import Stored


def stage_coassessment(con, keys: pl.DataFrame) -> Stored:
    """n, mean and t interval of every scale per function and respondent type; the keys are replaced even without ratings."""
    ratings = warehouse.read_table(con, "ratings", keys)
    if ratings.is_empty():
        stats = summary(
            pl.DataFrame(
                schema={
                    "body": pl.String,
                    "year": pl.Int32,
                    "function": pl.String,
                    "respondent_type": pl.String,
                    "quality": pl.Int8,
                    "accessibility": pl.Int8,
                    "willingness": pl.Int8,
                }
            ),
            t_quantiles(),
            config()["statistics"]["min_n"],
        )
    else:
        stats = summary(ratings, t_quantiles(), config()["statistics"]["min_n"])
    return Stored(
        {"ratings": ratings.height, "functions": stats["function"].n_unique() if stats.height else 0},
        {"coassessment": (stats, keys)},
    )


def with_ratings(projects: pl.DataFrame, stats: pl.DataFrame) -> pl.DataFrame:
    """Development plans say what the co-assessment adds to their case, in Italian and English (``coproduction_why``):
    low quality from enough answers makes them urgent; respondents willing to take part in delivery are named."""
    if stats.is_empty() or projects.is_empty() or "coproduction_why" not in projects.columns:
        return projects
    types = {lang: label("respondent_types", lang) for lang in ("it", "en")}
    said: dict[tuple, list[list[str]]] = {}
    poor = stats.filter(
        pl.col("respondent_type") == ALL_TYPES,
        pl.col("enough_quality"),
        pl.col("mean_quality") <= config()["urgency"]["quality_at_most"],
    )
    for r in poor.iter_rows(named=True):
        it = f" Urgente: utenti e Terzo settore valutano la qualità {r['mean_quality']:.1f} su 5 ({r['n_quality']} risposte)."
        en = f" Urgent: users and Third Sector bodies rate its quality {r['mean_quality']:.1f} out of 5 ({r['n_quality']} answers)."
        said.setdefault((r["body"], r["year"], r["function"]), [[], []])
        said[(r["body"], r["year"], r["function"])][0].append(it.replace(".", ",", 1))
        said[(r["body"], r["year"], r["function"])][1].append(en)
    ready = willing(stats, config()["willingness"]["co_delivery_at"])
    for (body, year, function), group in ready.group_by("body", "year", "function", maintain_order=True):
        who_it = ", ".join(
            f"{types['it'][r['respondent_type']]} ({r['mean_willingness']:.1f} su 5, {r['n_willingness']} risposte)".replace(
                ".", ",", 1
            )
            for r in group.iter_rows(named=True)
        )
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
