"""Glue for the portfolio analysis: classified functions in, ranked portfolio with reasons and flags out."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import polars as pl
import yaml

from sources.catalogues import flag_rules, status_labels, status_plans
from sources.reference import DATA_DIR, bodies
from transforms import portfolio as tp
from transforms.strategy import in_development_ranking

PORTFOLIO_DIR = DATA_DIR / "portfolio"


@cache
def portfolio_config() -> dict:
    return yaml.safe_load((PORTFOLIO_DIR / "priorities.yaml").read_text(encoding="utf-8"))


@dataclass
class Portfolio:
    ranked: pl.DataFrame        # classified functions with components, score, tier, reasons, flags
    sensitivity: pl.DataFrame   # functions whose tier moves when a weight moves by ±20 %
    peers: pl.DataFrame         # body, year, phase, peer, band
    parameters: dict


def development_ranking() -> pl.Expr:
    """Which classified functions the ranking compares: the body's own, and transferred or delegated ones it still funds."""
    return in_development_ranking(status_plans())


def growth(functions: pl.DataFrame) -> pl.Expr:
    """Average yearly change of spending since the first available year (null with one year only)."""
    first_year = pl.col("year").min().over("body", "phase", "function")
    first_total = pl.col("total_cents").sort_by("year").first().over("body", "phase", "function")
    years = pl.col("year") - first_year
    return pl.when((years > 0) & (first_total > 0)).then(
        (pl.col("total_cents") / first_total).pow(1 / years) - 1
    )


def run_portfolio(functions: pl.DataFrame, config: dict | None = None, confirmed: pl.DataFrame | None = None,
                  weights: dict | None = None, sensitivity: bool = True) -> Portfolio:
    config = config or portfolio_config()
    weights = weights or config["weights"]
    table = bodies().select(
        pl.col("istat_code").alias("body"), (pl.col("uts_type_code") == "3").alias("metro"),
        pl.col("population_census2011").alias("population"),
    )
    ranked = functions.filter(pl.col("quadrant").is_not_null(), development_ranking()).with_columns(growth=growth(functions))
    ranked = tp.outliers(ranked, config["outliers"], confirmed)
    groups = tp.peer_groups(table, ranked.select("body", "year", "phase").unique(), config["peers"])
    ranked = ranked.join(tp.peer_medians(ranked, groups), on=["body", "year", "phase", "function"], how="left")
    if not sensitivity:  # scenario runs: the ranking is enough
        return Portfolio(tiered(ranked, config, weights), pl.DataFrame(), groups, {**config, "weights": weights})
    ranked, moved = rank(ranked, config, weights)
    return Portfolio(ranked, moved, groups, {**config, "weights": weights})


def tiered(functions: pl.DataFrame, config: dict, weights: dict) -> pl.DataFrame:
    """Components, score, tiers and flags (what a scenario needs; ``rank`` adds reasons and sensitivity)."""
    return tp.flags(tp.tiers(tp.score(tp.components(functions, config), weights), config["tiers"]["method"]), flag_rules())


def rank(functions: pl.DataFrame, config: dict, weights: dict) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Components, score, tiers, flags and reasons for functions that carry their peer figures; and the weight sensitivity."""
    ranked = tiered(functions, config, weights)
    rows = ranked.to_dicts()
    ranked = ranked.with_columns(
        reasons_it=pl.Series([tp.reasons(r, weights, "it", status_words=status_labels("it")) for r in rows], dtype=pl.String),
        reasons_en=pl.Series([tp.reasons(r, weights, "en", status_words=status_labels("en")) for r in rows], dtype=pl.String),
        tier_it=pl.col("tier").replace_strict({int(k): v for k, v in config["tiers"]["labels_it"].items()}, return_dtype=pl.String),
        tier_en=pl.col("tier").replace_strict({int(k): v for k, v in config["tiers"]["labels_en"].items()}, return_dtype=pl.String),
    ).sort("body", "year", "phase", "rank")
    return ranked, tp.weight_sensitivity(ranked, weights, config["tiers"]["method"], config["weight_sensitivity"])
