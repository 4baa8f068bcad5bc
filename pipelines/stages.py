"""The method's stages over the warehouse: each reads its inputs from DuckDB and returns what it computed.

One function per stage, vectorised over any set of (body, year) keys; the Dagster assets call them
(one run for a whole national backfill) and persist the returned tables through the ``Warehouse``
resource (``Stored.tables``: table → (frame, keys it replaces)), which refuses a table without a
schema in ``pipelines.schemas`` and replaces exactly the keys computed, so reruns are idempotent.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from pipelines import warehouse
from pipelines.stored import Stored
from sources.catalogues import (
    authority_catalogue,
    body_statuses,
    classification_config,
    indicator_catalogue,
    mission_level,
    quadrants,
    spending_classes,
    status_plans,
    whole_t12_missions,
)
from sources.labels import label
from sources.outlier_confirmations import read_confirmations
from sources.overrides import read_yaml
from sources.plan_catalogue import plan_catalogue, plan_config
from sources.portfolio_catalogue import body_table, portfolio_catalogue, portfolio_config
from sources.ratings import config as coassessment_config
from sources.revenue_attribution import attribution
from sources.scenarios import scenarios
from transforms import classification as tclassification
from transforms import ranking as tranking
from transforms import scenarios as tscenarios
from transforms.coassessment import component as coassessment_component
from transforms.coassessment import with_ratings
from transforms.indicators import execution_indicators, indicator_peers
from transforms.metrics import body_metrics, function_metrics
from transforms.plan_assembly import build_plans
from transforms.revenue import attributed_revenue, with_cost_recovery
from transforms.strategy import in_development_ranking

KEY = ["body", "year"]


def _years(years: list[int]) -> pl.DataFrame:
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
    where = f"({_basis_where()}) OR t.titolo = '4'"
    own = warehouse.read_table(con, "budget_lines", keys, METRIC_COLUMNS, where)
    national = warehouse.read_table(con, "national_lines", keys, METRIC_COLUMNS, where)
    if national.is_empty():
        return own
    return pl.concat(
        [own, national.join(own.select("body", "year", "phase").unique(), on=["body", "year", "phase"], how="anti")]
    )


def _basis_where() -> str:
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
    """Spending lines of every amount kind (an upload, else the national extract) and revenue lines, for the indicators."""
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


def stage_matrix(con, keys: pl.DataFrame, config: dict | None = None, home: Path | None = None) -> Stored:
    """The matrix for ``keys``; with ``home``, the revenue attributed by the bodies' files there (cost recovery)."""
    config = config or classification_config()
    metrics = warehouse.read_table(con, "function_metrics", keys)
    authority = warehouse.read_table(con, "authority_scores", keys).drop("year").unique(["body", "programma"])
    totals = warehouse.read_table(con, "body_metrics", keys)
    placed = tclassification.placed(metrics, authority, totals, config, mission_level())
    matrix = tclassification.classified(placed, quadrants(), config)
    revenue = warehouse.read_table(con, "revenue_lines", keys)
    rules = attribution(home, keys["body"].unique().to_list())
    matrix = with_cost_recovery(
        matrix, attributed_revenue(revenue, rules, config["revenue_basis"]) if revenue.height else None
    )
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


def stage_peers(
    con, years: list[int], peer_group: str | None = None, peer_list: list[str] | None = None, home: Path | None = None
) -> Stored:
    """Cross-body, per year: outliers (less those a person confirmed in ``<home>/confirmed_outliers.csv``, stored as
    ``core.confirmed_outliers``), peer groups (the rule the run configuration chooses) and named peer medians."""
    config = peer_config(peer_group, peer_list)
    confirmed = read_confirmations(home)
    matrix = con.execute("SELECT * FROM core.ruffini_matrix WHERE year <= ?", [max(years)]).pl()
    # every body analysed gets benchmarks; those analysed from BDAP (nobody uploaded) are open-data peers of the others
    from_bdap = warehouse.open_data_partitions(con, matrix.select("body", "year").unique()).select(
        "body", "year", "phase"
    )
    open_data = national_metrics(con, max(years))
    found, groups = tranking.benchmarks(
        tranking.with_source(matrix, from_bdap),
        config,
        body_table(),
        confirmed if confirmed.height else None,
        open_data,
        years,
    )
    standing = indicator_peers(peer_indicators(con, years), groups)
    every_body = body_table().select("body")  # the confirmations are replaced whole: the file is the truth
    return Stored(
        {
            "rows": found.height,
            "outliers": int(found["outlier"].sum()),
            "bodies": found["body"].n_unique(),
            "open_data_bodies": open_data["body"].n_unique() if open_data.height else 0,
            "peer_group": config["peers"]["group"],
            "indicators_with_peers": standing.height,
            "confirmed_outliers": confirmed.height,
        },
        {
            "peer_benchmarks": (found, _years(years)),
            "peer_groups": (groups, _years(years)),
            "indicator_peers": (standing, _years(years)),
            "confirmed_outliers": (confirmed, every_body),
        },
    )


def peer_indicators(con, years: list[int]) -> pl.DataFrame:
    """The execution indicators of every body these years: as stored (bodies analysed), and for the bodies known only
    from the national open data, computed on ``core.national_lines`` (spending only: the national extract has no revenue)."""
    wanted = _years(years)
    stored = warehouse.read_table(con, "execution_indicators", wanted)
    lines = warehouse.read_table(con, "national_lines", wanted, INDICATOR_COLUMNS)
    if lines.is_empty():
        return stored
    if stored.height:
        lines = lines.join(stored.select("body", "year", "phase").unique(), on=["body", "year", "phase"], how="anti")
    national = execution_indicators(lines, pl.DataFrame(), indicator_catalogue())
    return pl.concat([stored, national], how="diagonal_relaxed") if stored.height else national


def peer_config(peer_group: str | None = None, peer_list: list[str] | None = None) -> dict:
    """The portfolio parameters with the peer group a command line (run configuration) chooses
    (``transforms.ranking.with_peer_group``)."""
    return tranking.with_peer_group(portfolio_config(), peer_group, peer_list)


def national_metrics(con, last_year: int) -> pl.DataFrame:
    """Function metrics of every body in the national open data (``core.national_lines``) up to ``last_year``,
    per programme and per mission."""
    basis = classification_config()["amount_basis"]
    lines = warehouse.read_table(
        con, "national_lines", None, METRIC_COLUMNS, f"t.year <= {int(last_year)} AND ({_basis_where()})"
    )
    if not lines.height:
        return lines
    return tranking.open_data_peers(lines, spending_classes(), body_table().select("body", "population"), basis)


def stage_portfolio(
    con, keys: pl.DataFrame, weights: dict | None = None, matrix: pl.DataFrame | None = None, light: bool = False
) -> Stored:
    """Rank the classified functions against their peers. ``matrix`` replaces the stored one (a scenario);
    ``light`` skips the reasons and the weight sensitivity (a scenario needs the tiers only)."""
    catalogue = portfolio_catalogue()
    config = catalogue.config
    weights = {**config["weights"], **(weights or {})}
    matrix = (warehouse.read_table(con, "ruffini_matrix", keys) if matrix is None else matrix).filter(
        pl.col("quadrant").is_not_null(), in_development_ranking(status_plans())
    )
    ranked = tranking.candidates(
        matrix, warehouse.read_table(con, "peer_benchmarks", keys), _rated(con, keys), _commitment(con, matrix)
    )
    if light:
        ranked = tranking.tiered(ranked, config, weights, catalogue)
        return Stored({"ranked": ranked.height}, {"portfolio": (ranked, keys)})
    ranked, sensitivity = tranking.rank(ranked, config, weights, catalogue)
    return Stored(
        {"ranked": ranked.height, "tier_1": int((ranked["tier"] == 1).sum())},
        {"portfolio": (ranked, keys), "portfolio_sensitivity": (sensitivity, keys)},
    )


def _commitment(con, functions: pl.DataFrame) -> pl.DataFrame:
    """The commitment capacity of the bodies' final accounts (a forecast's function: the latest earlier ones)."""
    return warehouse.read_table(
        con,
        "execution_indicators",
        functions.select("body").unique(),
        None,
        "t.indicator = 'commitment_capacity' AND t.phase = 'rendiconto'",
    )


def _rated(con, keys: pl.DataFrame) -> pl.DataFrame:
    """The co-assessment component per body, year and function (null without enough ratings)."""
    stats = warehouse.read_table(con, "coassessment", keys)
    if stats.is_empty():
        return pl.DataFrame(
            schema={"body": pl.String, "year": pl.Int32, "function": pl.String, "c_co_assessment": pl.Float64}
        )
    return coassessment_component(stats)


def stage_plans(
    con,
    keys: pl.DataFrame,
    ranked: pl.DataFrame | None = None,
    matrix: pl.DataFrame | None = None,
    plan_tiers: list[int] | None = None,
    adoption: list[float] | None = None,
    effect_scale: float = 1.0,
    effect_scale_by_logic: dict | None = None,
    texts: bool = True,
) -> Stored:
    """Plans for the priority functions; the keyword arguments are the run configuration a scenario changes."""
    ranked = warehouse.read_table(con, "portfolio", keys) if ranked is None else ranked
    matrix = warehouse.read_table(con, "ruffini_matrix", keys) if matrix is None else matrix
    config = {
        **plan_config(),
        **({"plan_tiers": plan_tiers} if plan_tiers else {}),
        **({"adoption": adoption} if adoption else {}),
    }
    plans = build_plans(
        ranked,
        plan_catalogue(),
        config,
        effect_scale=effect_scale,
        logic_scale=effect_scale_by_logic or {},
        texts=texts,
        matrix=matrix,
    )
    if texts:  # respondents willing to take part in delivery strengthen the case for co-delivery, in their words
        stats = warehouse.read_table(con, "coassessment", keys)
        types = {lang: label("respondent_types", lang) for lang in ("it", "en")}
        plans.projects = with_ratings(plans.projects, stats, coassessment_config(), types)
    return Stored(
        {
            "projects": plans.projects.height,
            "effect_low_eur": int((plans.projects["effect_low_cents"].sum() or 0) / 100),
            "effect_high_eur": int((plans.projects["effect_high_cents"].sum() or 0) / 100),
        },
        {"plans": (plans.projects, keys), "plan_projection": (plans.projection, keys), "plan_kpis": (plans.kpis, keys)},
    )


def run_scenario(con, keys: pl.DataFrame, config: dict[str, dict]) -> dict[str, pl.DataFrame]:
    """A scenario: the stages of ``ruffini_matrix``, ``portfolio_priorities`` and ``restructuring_plans`` run with the
    scenario's run configuration (``transforms.scenarios.scenario_run_config``), in memory; metrics, authority and
    peers as stored."""
    matrix_config = config.get("ruffini_matrix", {})
    matrix = stage_matrix(
        con,
        keys,
        matrix_parameters(
            matrix_config.get("spending_threshold"),
            matrix_config.get("authority_threshold"),
            matrix_config.get("cost_basis"),
        ),
    )
    ranked = stage_portfolio(
        con, keys, config.get("portfolio_priorities", {}).get("weights"), matrix.tables["ruffini_matrix"][0], light=True
    )
    plans = stage_plans(
        con,
        keys,
        ranked.tables["portfolio"][0],
        matrix.tables["ruffini_matrix"][0],
        texts=False,
        **config.get("restructuring_plans", {}),
    )
    return {
        "matrix": matrix.tables["ruffini_matrix"][0],
        "portfolio": ranked.tables["portfolio"][0],
        "projection": plans.tables["plan_projection"][0],
    }


def stage_scenarios(con, years: list[int], output_dir=None, manifest_id: str | None = None) -> Stored:
    """Every scenario of ``data/scenarios`` for the bodies of these years, compared with the baseline.

    A scenario is run configuration of the same stages the assets run (``run_scenario``), not a route of its own.
    """
    keys = present_keys(con).filter(pl.col("year").is_in(years))
    runs = {s["name"]: (tscenarios.scenario_run_config(s.get("changes") or {}), s) for s in scenarios()}
    projections = {name: run_scenario(con, keys, config)["projection"] for name, (config, _) in runs.items()}
    per_function = tscenarios.over_common_set(
        projections, "piano"
    )  # every scenario and the Base over the same functions
    comparison = tscenarios.comparison(per_function)
    defaults = classification_config(), portfolio_config(), plan_config()
    full = {name: tscenarios.scenario_parameters(config, *defaults) for name, (config, _) in runs.items()}
    parameters = pl.DataFrame({"scenario": list(runs), "parameters": [json.dumps(full[name]) for name in runs]})
    files = {}
    if output_dir is not None:
        output_dir.mkdir(parents=True, exist_ok=True)
        for name in runs:
            files[f"{name}.json"] = output_dir / f"{name}.json"
            files[f"{name}_projection.csv"] = output_dir / f"{name}_projection.csv"
            files[f"{name}.json"].write_text(json.dumps(full[name], indent=2), encoding="utf-8")
            projection = per_function.filter(pl.col("scenario") == name).drop(
                "scenario"
            )  # the common set, as the workbook
            projection = projection if manifest_id is None else projection.with_columns(manifest=pl.lit(manifest_id))
            projection.write_csv(files[f"{name}_projection.csv"])
    return Stored(
        {"scenarios": len(runs), "rows": comparison.height, "files": files},
        {
            "scenario_comparison": (comparison, _years(years)),
            "scenario_functions": (per_function, _years(years)),
            "scenario_parameters": (parameters, pl.DataFrame({"scenario": list(runs)})),
        },
    )


def stage_national(con, years: list[int]) -> Stored:
    """Per year: how each body's spending on service lines splits by quadrant (the national overview,
    ``transforms.classification.overview``)."""
    matrix = con.execute("SELECT body, year, phase, quadrant, total_cents, kind, coarse FROM core.ruffini_matrix").pl()
    overview = tclassification.overview(matrix, years)
    return Stored(
        {"bodies": overview["body"].n_unique(), "rows": overview.height},
        {"national_overview": (overview, _years(years))},
    )
