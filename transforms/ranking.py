"""The portfolio ranked: classified functions in, ranked portfolio with reasons, flags and sensitivity out (pure).

The scoring itself is ``transforms.portfolio`` (components, score, tiers, reasons, flags), the peers
``transforms.peers``; this module puts them together for the functions a body ranks. The catalogues come in as a
``PortfolioCatalogue`` (``sources.portfolio_catalogue.portfolio_catalogue()`` loads them).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import polars as pl

from transforms import missions as tmissions
from transforms import peers as tpeers
from transforms import portfolio as tp
from transforms.indicators import OUT_SCHEMA, function_signal
from transforms.metrics import function_metrics
from transforms.plan_rules import pass_through
from transforms.strategy import in_development_ranking

KEYS = ["body", "year", "phase", "function"]


@dataclass
class PortfolioCatalogue:
    config: dict  # priorities.yaml: components, weights, tiers, outliers, peers
    flag_rules: list[dict]  # portfolio/rules.yaml
    consistency: dict  # plans/consistency.yaml: pass-through functions, flags that never go together
    status_plans: dict[str, str]  # status -> kind of plan (statuses.csv)
    status_labels: dict[str, dict[str, str]]  # language -> status -> words
    bodies: pl.DataFrame  # every body's type, population and region: body, metro, population, region


@dataclass
class Portfolio:
    ranked: pl.DataFrame  # classified functions with components, score, tier, reasons, flags
    sensitivity: pl.DataFrame  # functions whose tier moves when a weight moves by ±20 %
    peers: pl.DataFrame  # body, year, phase, peer, band
    parameters: dict


def growth(functions: pl.DataFrame) -> pl.Expr:
    """Average yearly change of spending since the first available year (null with one year only)."""
    first_year = pl.col("year").min().over("body", "phase", "function")
    first_total = pl.col("total_cents").sort_by("year").first().over("body", "phase", "function")
    years = pl.col("year") - first_year
    return pl.when((years > 0) & (first_total > 0)).then((pl.col("total_cents") / first_total).pow(1 / years) - 1)


def with_peer_group(config: dict, peer_group: str | None = None, peer_list: list[str] | None = None) -> dict:
    """The portfolio parameters with the peer group a command line (run configuration) chooses: ``population``,
    ``type``, ``region``, or ``list`` with the bodies named (a list alone means ``list``)."""
    config = copy.deepcopy(config)
    peers = config["peers"]
    if peer_list:
        peers["group"], peers["list"] = peer_group or "list", list(peer_list)
    elif peer_group:
        peers["group"] = peer_group
    if peers.get("group") == "list" and not peers.get("list"):
        raise ValueError("peer group 'list' needs the bodies it lists")
    return config


def with_source(matrix: pl.DataFrame, from_open_data: pl.DataFrame) -> pl.DataFrame:
    """``source`` of every function: ``open_data`` for the (body, year, phase) of ``from_open_data`` (analysed from
    BDAP: nobody uploaded them; they count as open-data peers of the others), ``upload`` for the rest."""
    return (
        matrix.join(from_open_data.with_columns(_bdap=pl.lit(True)), on=["body", "year", "phase"], how="left")
        .with_columns(source=pl.when(pl.col("_bdap")).then(pl.lit("open_data")).otherwise(pl.lit("upload")))
        .drop("_bdap")
    )


def open_data_peers(
    lines: pl.DataFrame, classes: pl.DataFrame, population: pl.DataFrame, basis: dict[str, str]
) -> pl.DataFrame:
    """Function metrics of the national open data's lines per programme and per mission: peers for the bodies that
    uploaded programmes and for those with missions only."""
    programmes = function_metrics(lines, classes, population, basis)
    by_mission = function_metrics(lines.with_columns(programma=pl.lit(None, pl.String)), classes, population, basis)
    return pl.concat([programmes, by_mission])


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
    bodies: pl.DataFrame,
    confirmed: pl.DataFrame | None = None,
    open_data: pl.DataFrame | None = None,
    years: list[int] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Growth, outliers and named peers at the same level of detail for every classified function of ``matrix`` in
    ``years``; returns (benchmarks, peer groups).

    ``matrix``: every function of the bodies analysed (classified or not), up to the last year, optionally with
    ``source`` (``upload`` | ``open_data``); ``bodies``: what peer groups are made of (``PortfolioCatalogue.bodies``);
    ``open_data``: national function metrics of other bodies (peers only). Bodies analysed by programme are rolled up
    to their missions, so that a body with mission totals only is compared with mission totals."""
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
    # growth and jumps need the years before; the peers are those of the same year, so they are found a year at a time
    # (every body's functions joined with every peer's, for ten years at once, took 300 MB)
    parts = [
        _year_peers(every.filter(pl.col("year") == y), matrix.filter(pl.col("year") == y), bodies, config)
        for y in every["year"].unique().sort()
    ]
    if not parts:
        return _year_peers(every, matrix, bodies, config)
    return pl.concat([found for found, _ in parts]), pl.concat([groups for _, groups in parts])


def _year_peers(every: pl.DataFrame, matrix: pl.DataFrame, bodies: pl.DataFrame, config: dict):
    """``benchmarks`` of one year: ``every`` (the year's figures, with growth and outliers) among its peers."""
    # benchmarks for the bodies analysed; the rest only as peers
    wanted = every.filter(pl.col("analysed").fill_null(False))
    groups = tpeers.peer_groups(bodies, every.select("body", "year", "phase").unique(), config["peers"]).join(
        wanted.select("body", "year", "phase").unique(), on=["body", "year", "phase"], how="semi"
    )
    found = (
        wanted.select(BENCHMARK_COLUMNS)
        .join(tpeers.peer_medians(every, groups), on=KEYS, how="left")
        .join(tpeers.lacking_peers(wanted, groups, every, matrix), on=KEYS, how="left")
    )
    return found, groups


NO_BENCHMARKS = {  # the columns of core.peer_benchmarks, before any year is processed
    "body": pl.String,
    "year": pl.Int32,
    "phase": pl.String,
    "function": pl.String,
    "per_capita_eur": pl.Float64,
    "growth": pl.Float64,
    "robust_z": pl.Float64,
    "yearly_change": pl.Float64,
    "outlier_peer": pl.Boolean,
    "outlier_jump": pl.Boolean,
    "outlier": pl.Boolean,
    "peer_median_eur": pl.Float64,
    "peers": pl.UInt32,
    "peer_transfer_share": pl.Float64,
    "peers_open_data": pl.UInt32,
    "peer_bodies": pl.List(pl.String),
    "peer_values_eur": pl.List(pl.Float64),
    "peers_lacking": pl.List(pl.String),
    "peers_lacking_why": pl.List(pl.String),
}


def candidates(matrix: pl.DataFrame, stored: pl.DataFrame, rated: pl.DataFrame, measured: pl.DataFrame) -> pl.DataFrame:
    """The functions to rank (``matrix``, already those the ranking compares) with their stored benchmarks, the
    co-assessment component (``rated``) and the commitment capacity of their final accounts (``measured``: execution
    indicators); weights 0 by default for the last two."""
    stored = stored if stored.width else pl.DataFrame(schema=NO_BENCHMARKS)  # no year processed yet (a first upload)
    ranked = matrix.join(stored.drop("per_capita_eur"), on=KEYS, how="left").with_columns(
        pl.col("outlier").fill_null(False)
    )
    ranked = ranked.join(rated, on=["body", "year", "function"], how="left")
    measured = measured if measured.width else pl.DataFrame(schema=OUT_SCHEMA)
    return ranked.join(function_signal(measured, ranked, "commitment_capacity"), on=KEYS, how="left")


def run_portfolio(
    functions: pl.DataFrame,
    catalogue: PortfolioCatalogue,
    config: dict | None = None,
    confirmed: pl.DataFrame | None = None,
    weights: dict | None = None,
    sensitivity: bool = True,
) -> Portfolio:
    """The whole ranking in memory from classified functions (tests, analyses from lines)."""
    config = config or catalogue.config
    weights = weights or config["weights"]
    found, groups = benchmarks(functions, config, catalogue.bodies, confirmed)
    ranked = functions.filter(pl.col("quadrant").is_not_null(), in_development_ranking(catalogue.status_plans)).join(
        found.drop("per_capita_eur"), on=KEYS, how="left"
    )
    if not sensitivity:  # scenario runs: the ranking is enough
        return Portfolio(
            tiered(ranked, config, weights, catalogue), pl.DataFrame(), groups, {**config, "weights": weights}
        )
    ranked, moved = rank(ranked, config, weights, catalogue)
    return Portfolio(ranked, moved, groups, {**config, "weights": weights})


def tiered(functions: pl.DataFrame, config: dict, weights: dict, catalogue: PortfolioCatalogue) -> pl.DataFrame:
    """Components, score, tiers and flags (what a scenario needs; ``rank`` adds reasons and sensitivity)."""
    scored = tp.tiers(tp.score(tp.components(functions, config), weights), config["tiers"]["method"])
    return consistent_flags(scored, catalogue.flag_rules, catalogue.consistency)


def consistent_flags(functions: pl.DataFrame, flag_rules: list[dict], consistency: dict) -> pl.DataFrame:
    """The flags of ``rules.yaml`` that hold, made consistent by ``consistency.yaml`` (no Third Sector co-design of a
    pass-through transfer, never "Proteggere" with "Partenariato")."""
    return tp.consistent(tp.flags(functions, flag_rules), pass_through(consistency["pass_through"]), consistency)


def rank(
    functions: pl.DataFrame, config: dict, weights: dict, catalogue: PortfolioCatalogue
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Components, score, tiers, flags and reasons for functions that carry their peer figures; and the weight
    sensitivity."""
    ranked = tiered(functions, config, weights, catalogue)
    rows = ranked.to_dicts()
    words = catalogue.status_labels
    ranked = ranked.with_columns(
        reasons_it=pl.Series([tp.reasons(r, weights, "it", status_words=words["it"]) for r in rows], dtype=pl.String),
        reasons_en=pl.Series([tp.reasons(r, weights, "en", status_words=words["en"]) for r in rows], dtype=pl.String),
        tier_it=pl.col("tier").replace_strict(
            {int(k): v for k, v in config["tiers"]["labels_it"].items()}, return_dtype=pl.String
        ),
        tier_en=pl.col("tier").replace_strict(
            {int(k): v for k, v in config["tiers"]["labels_en"].items()}, return_dtype=pl.String
        ),
    ).sort("body", "year", "phase", "rank")
    return ranked, tp.weight_sensitivity(ranked, weights, config["tiers"]["method"], config["weight_sensitivity"])
