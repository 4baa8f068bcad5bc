"""The method's first stages over the warehouse: function metrics, authority, the matrix; each reads its inputs
through its reader (``pipelines.reader``) and returns what it computed.

One function per stage, vectorised over any set of (body, year) keys; the factory (``pipelines.factory``) calls them
for every partition of a run (one run for a whole national backfill) and stores the returned tables
(``Stored.tables``: table → (frame, keys it replaces)) through the ``Warehouse`` resource, which refuses a table not
declared in ``warehouse.tables`` and replaces exactly the keys computed, so reruns are idempotent. The stages across
bodies are in ``pipelines.stage_peers``, priorities, plans and scenarios in ``pipelines.stage_priorities``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources.catalogues import (
    authority_catalogue,
    body_statuses,
    classification_config,
    indicator_catalogue,
    mission_level,
    quadrants,
    spending_classes,
    whole_t12_missions,
)
from sources.overrides import read_yaml
from sources.portfolio_catalogue import body_table
from sources.revenue_attribution import attribution
from transforms import classification as tclassification
from transforms.indicators import execution_indicators
from transforms.metrics import body_metrics, function_metrics
from transforms.revenue import attributed_revenue, with_cost_recovery
from warehouse import store as warehouse
from warehouse.stored import Stored

KEY = ["body", "year"]


def year_keys(years: list[int]) -> pl.DataFrame:
    return pl.DataFrame({"year": years}, schema={"year": pl.Int32})


def keys_frame(pairs) -> pl.DataFrame:
    return pl.DataFrame(
        [(str(b), int(y)) for b, y in pairs], schema={"body": pl.String, "year": pl.Int32}, orient="row"
    )


def present_keys(con) -> pl.DataFrame:
    """Every (body, year) the pipeline analyses: with uploaded budget lines, or only with national open data."""
    return warehouse.analysed_keys(con)


METRIC_COLUMNS = [
    "body",
    "year",
    "phase",
    "missione",
    "programma",
    "titolo",
    "macroaggregato",
    "amount_kind",
    "amount_cents",
]


def basis_lines(con, keys: pl.DataFrame) -> pl.DataFrame:
    """Only the columns and amount kinds the metrics use (the basis of each phase), straight from DuckDB.

    A body, year and phase nobody uploaded is analysed from the national open data (BDAP) when an extract
    covers it; an upload always wins over the extract."""
    where = f"({basis_where()}) OR t.titolo = '4'"
    own = warehouse.read_table(con, "budget_lines", keys, METRIC_COLUMNS, where)
    national = warehouse.read_table(con, "national_lines", keys, METRIC_COLUMNS, where)
    if national.is_empty():
        return own
    return pl.concat(
        [own, national.join(own.select("body", "year", "phase").unique(), on=["body", "year", "phase"], how="anti")]
    )


def basis_where() -> str:
    """SQL: the lines of the amount kind that measures spending in each phase (``amount_basis``)."""
    basis = classification_config()["amount_basis"]
    return " OR ".join(f"(t.phase = '{phase}' AND t.amount_kind = '{kind}')" for phase, kind in basis.items())


def stage_metrics(con, keys: pl.DataFrame) -> Stored:
    """Function and body metrics, a year at a time: a national backfill never holds every line at once."""
    population = body_table().select("body", "population")
    basis = classification_config()["amount_basis"]
    metrics, totals, indicators, n_lines = [], [], [], 0
    for year in sorted(keys["year"].unique().to_list()):
        wanted = keys.filter(pl.col("year") == year)
        lines = basis_lines(con, wanted)
        metrics.append(function_metrics(lines, spending_classes(), population, basis))
        totals.append(body_metrics(lines, spending_classes(), population, basis, whole_t12_missions()))
        indicators.append(execution_indicators(*indicator_lines(con, wanted), indicator_catalogue()))
        n_lines += lines.height
    metrics, totals = pl.concat(metrics, how="diagonal_relaxed"), pl.concat(totals, how="diagonal_relaxed")
    indicators = pl.concat(indicators)
    return Stored(
        {
            "functions": metrics.height,
            "basis_lines": n_lines,
            "spending_eur": int((totals["total_cents"].sum() or 0) / 100),
            "indicators": int(indicators["value"].is_not_null().sum()),
        },
        {
            "function_metrics": (metrics, keys),
            "body_metrics": (totals, keys),
            "execution_indicators": (indicators, keys),
        },
    )


INDICATOR_COLUMNS = [
    "body",
    "year",
    "phase",
    "missione",
    "programma",
    "titolo",
    "macroaggregato",
    "amount_kind",
    "amount_cents",
]


def indicator_lines(con, keys: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Spending lines of every amount kind (an upload, else the national extract) and revenue lines, for the
    indicators."""
    own = warehouse.read_table(con, "budget_lines", keys, INDICATOR_COLUMNS)
    national = warehouse.read_table(con, "national_lines", keys, INDICATOR_COLUMNS)
    if national.height:
        taken = (
            own.select("body", "year", "phase").unique()
            if own.height
            else national.clear().select("body", "year", "phase")
        )
        own = (
            pl.concat([own, national.join(taken, on=["body", "year", "phase"], how="anti")], how="diagonal_relaxed")
            if own.height
            else national
        )
    revenue = warehouse.read_table(
        con, "revenue_lines", keys, ["body", "year", "phase", "titolo", "tipologia", "amount_kind", "amount_cents"]
    )
    return own, revenue


def matrix_parameters(
    spending_threshold: float | None = None, authority_threshold: float | None = None, cost_basis: str | None = None
) -> dict:
    """The classification parameters, with the thresholds and cost basis a command line (run configuration) gives."""
    return tclassification.with_thresholds(classification_config(), spending_threshold, authority_threshold, cost_basis)


def stage_authority(con, keys: pl.DataFrame, overrides_file: str | None = None, overrides_user: str = "") -> Stored:
    config = classification_config()
    present = body_table().join(keys.select("body").unique(), on="body", how="semi").select("body", "metro")
    overrides = warehouse.authority_overrides(con)
    if overrides_file:  # already checked by the command line; a bad file here is a bug, so it raises
        extra, problems = read_yaml(Path(overrides_file), user=overrides_user)
        if problems:
            raise ValueError("; ".join(f.message() for f in problems))
        overrides = pl.concat([overrides, extra.select(overrides.columns)])
    table = tclassification.authority_scores(authority_catalogue(), present, overrides, body_statuses(), config)
    per_year = table.join(keys, on="body")
    return Stored(
        {"rows": per_year.height, "overridden": int(per_year["override_note"].is_not_null().sum())},
        {"authority_scores": (per_year, keys)},
    )


def stage_matrix(
    con, keys: pl.DataFrame, config: dict | None = None, home: Path | None = None, light: bool = False
) -> Stored:
    """The matrix for ``keys``; with ``home``, the revenue attributed by the bodies' files there (cost recovery).
    ``light`` skips the sensitivity and the movement since the stored matrix (a scenario needs the matrix only)."""
    config = config or classification_config()
    metrics = warehouse.read_table(con, "function_metrics", keys)
    # in a stable order: the mean of a mission's programmes sums in this order (its last bit changed between runs)
    authority = (
        warehouse.read_table(con, "authority_scores", keys)
        .sort("body", "programma", "year")
        .drop("year")
        .unique(["body", "programma"], keep="first", maintain_order=True)
    )
    totals = warehouse.read_table(con, "body_metrics", keys)
    placed = tclassification.placed(metrics, authority, totals, config, mission_level())
    matrix = tclassification.classified(placed, quadrants(), config)
    revenue = warehouse.read_table(con, "revenue_lines", keys)
    rules = attribution(home, keys["body"].unique().to_list())
    matrix = with_cost_recovery(
        matrix, attributed_revenue(revenue, rules, config["revenue_basis"]) if revenue.height else None
    )
    if light:
        return Stored({"functions": matrix.height}, {"ruffini_matrix": (matrix, keys)})
    sensitivity = tclassification.sensitivity(placed, quadrants(), config)
    stored = warehouse.read_table(con, "ruffini_matrix", keys.select("body").unique())
    moved, by_mission = tclassification.movements(stored, matrix, keys)
    return Stored(
        {
            "functions": matrix.height,
            "classified": int(matrix["quadrant"].is_not_null().sum()),
            "borderline": int(matrix["borderline"].fill_null(False).sum()),
            "moved_with_thresholds": sensitivity["function"].n_unique(),
        },
        {
            "ruffini_matrix": (matrix, keys),
            "matrix_sensitivity": (sensitivity, keys),
            "matrix_movement": (moved, keys),
            "mission_movement": (by_mission, keys),
        },
    )
