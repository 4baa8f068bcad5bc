"""Glue for the portfolio analysis: classified functions in, ranked portfolio with reasons and flags out."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import polars as pl
import yaml

from pipelines.plan_catalogue import consistency
from sources.catalogues import flag_rules, status_labels, status_plans
from sources.reference import DATA_DIR, bodies
from transforms import missions as tmissions
from transforms import peers as tpeers
from transforms import portfolio as tp
from transforms.plan_rules import pass_through
from transforms.strategy import in_development_ranking

PORTFOLIO_DIR = DATA_DIR / "portfolio"


@cache
def portfolio_config() -> dict:
    return yaml.safe_load((PORTFOLIO_DIR / "priorities.yaml").read_text(encoding="utf-8"))


@dataclass
class Portfolio:
    ranked: pl.DataFrame  # classified functions with components, score, tier, reasons, flags
    sensitivity: pl.DataFrame  # functions whose tier moves when a weight moves by ±20 %
    peers: pl.DataFrame  # body, year, phase, peer, band
    parameters: dict


def development_ranking() -> pl.Expr:
    """Which classified functions the ranking compares: the body's own, and transferred or delegated ones it still funds."""
    return in_development_ranking(status_plans())


def growth(functions: pl.DataFrame) -> pl.Expr:
    """Average yearly change of spending since the first available year (null with one year only)."""
    first_year = pl.col("year").min().over("body", "phase", "function")
    first_total = pl.col("total_cents").sort_by("year").first().over("body", "phase", "function")
    years = pl.col("year") - first_year
    return pl.when((years > 0) & (first_total > 0)).then((pl.col("total_cents") / first_total).pow(1 / years) - 1)


def body_table() -> pl.DataFrame:
    """Every body's type, population and region: what peer groups are made of."""
    return bodies().select(
        pl.col("istat_code").alias("body"),
        (pl.col("uts_type_code") == "3").alias("metro"),
        pl.col("population_census2011").alias("population"),
        pl.col("region_code").alias("region"),
    )


BENCHMARK_COLUMNS = [
    "body",
    "year",
    "phase",
    "function",
    "per_capita_eur",
    "growth",
    "robust_z",
    "yearly_change",
    "outlier_peer",
    "outlier_jump",
    "outlier",
]


def benchmarks(
    matrix: pl.DataFrame,
    config: dict,
    confirmed: pl.DataFrame | None = None,
    open_data: pl.DataFrame | None = None,
    years: list[int] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Growth, outliers and named peers at the same level of detail for every classified function of ``matrix`` in
    ``years``; returns (benchmarks, peer groups).

    ``matrix``: every function of the bodies analysed (classified or not), up to the last year, optionally with ``source``
    (``upload`` | ``open_data``); ``open_data``: national function metrics of other bodies (peers only). Bodies analysed by
    programme are rolled up to their missions, so that a body with mission totals only is compared with mission totals."""
    matrix = matrix.with_columns(source=pl.lit("upload")) if "source" not in matrix.columns else matrix
    history = matrix.filter(pl.col("quadrant").is_not_null()).with_columns(analysed=pl.lit(True))
    rolled = tmissions.rollup(matrix).join(
        history.select("body", "year", "phase", "function"), on=["body", "year", "phase", "function"], how="anti"
    )
    rolled = rolled.join(
        matrix.select("body", "year", "phase", "source").unique(["body", "year", "phase"]),
        on=["body", "year", "phase"],
        how="left",
    ).with_columns(analysed=pl.lit(False))
    history = tp.with_open_data(
        pl.concat([history, rolled], how="diagonal_relaxed"), open_data if open_data is not None else pl.DataFrame()
    )
    data = tp.outliers(history.with_columns(growth=growth(history)), config["outliers"], confirmed)
    every = data.filter(pl.col("year").is_in(years)) if years else data
    wanted = every.filter(
        pl.col("analysed").fill_null(False)
    )  # benchmarks for the bodies analysed; the rest only as peers
    groups = tpeers.peer_groups(body_table(), every.select("body", "year", "phase").unique(), config["peers"]).join(
        wanted.select("body", "year", "phase").unique(), on=["body", "year", "phase"], how="semi"
    )
    keys = ["body", "year", "phase", "function"]
    found = (
        wanted.select(BENCHMARK_COLUMNS)
        .join(tpeers.peer_medians(every, groups), on=keys, how="left")
        .join(tpeers.lacking_peers(wanted, groups, every, matrix), on=keys, how="left")
    )
    return found, groups


def run_portfolio(
    functions: pl.DataFrame,
    config: dict | None = None,
    confirmed: pl.DataFrame | None = None,
    weights: dict | None = None,
    sensitivity: bool = True,
) -> Portfolio:
    config = config or portfolio_config()
    weights = weights or config["weights"]
    found, groups = benchmarks(functions, config, confirmed)
    ranked = functions.filter(pl.col("quadrant").is_not_null(), development_ranking()).join(
        found.drop("per_capita_eur"), on=["body", "year", "phase", "function"], how="left"
    )
    if not sensitivity:  # scenario runs: the ranking is enough
        return Portfolio(tiered(ranked, config, weights), pl.DataFrame(), groups, {**config, "weights": weights})
    ranked, moved = rank(ranked, config, weights)
    return Portfolio(ranked, moved, groups, {**config, "weights": weights})


def tiered(functions: pl.DataFrame, config: dict, weights: dict) -> pl.DataFrame:
    """Components, score, tiers and flags (what a scenario needs; ``rank`` adds reasons and sensitivity)."""
    return consistent_flags(tp.tiers(tp.score(tp.components(functions, config), weights), config["tiers"]["method"]))


def consistent_flags(functions: pl.DataFrame) -> pl.DataFrame:
    """The flags of ``rules.yaml`` that hold, made consistent by ``consistency.yaml`` (no Third Sector co-design of a
    pass-through transfer, never "Proteggere" with "Partenariato")."""
    rules = consistency()
    return tp.consistent(tp.flags(functions, flag_rules()), pass_through(rules["pass_through"]), rules)


def rank(functions: pl.DataFrame, config: dict, weights: dict) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Components, score, tiers, flags and reasons for functions that carry their peer figures; and the weight sensitivity."""
    ranked = tiered(functions, config, weights)
    rows = ranked.to_dicts()
    ranked = ranked.with_columns(
        reasons_it=pl.Series(
            [tp.reasons(r, weights, "it", status_words=status_labels("it")) for r in rows], dtype=pl.String
        ),
        reasons_en=pl.Series(
            [tp.reasons(r, weights, "en", status_words=status_labels("en")) for r in rows], dtype=pl.String
        ),
        tier_it=pl.col("tier").replace_strict(
            {int(k): v for k, v in config["tiers"]["labels_it"].items()}, return_dtype=pl.String
        ),
        tier_en=pl.col("tier").replace_strict(
            {int(k): v for k, v in config["tiers"]["labels_en"].items()}, return_dtype=pl.String
        ),
    ).sort("body", "year", "phase", "rank")
    return ranked, tp.weight_sensitivity(ranked, weights, config["tiers"]["method"], config["weight_sensitivity"])
