"""Priorities, plans and scenarios: each stage reads through its reader and returns what it computed
(``pipelines.stages``); a scenario is the same stages run in memory with the scenario's configuration."""

from __future__ import annotations

import json

import polars as pl

from pipelines import warehouse
from pipelines.coassessment import with_ratings
from pipelines.plans import build_plans, plan_config
from pipelines.portfolio import development_ranking, portfolio_config, rank, tiered
from pipelines.report import scenario_parameters, scenario_run_config, scenarios
from pipelines.stages import matrix_parameters, present_keys, stage_matrix, year_keys
from pipelines.stored import Stored
from transforms import scenarios as tscenarios
from transforms.coassessment import component as coassessment_component
from transforms.indicators import OUT_SCHEMA, function_signal

NO_BENCHMARKS = {
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


def stage_portfolio(
    con, keys: pl.DataFrame, weights: dict | None = None, matrix: pl.DataFrame | None = None, light: bool = False
) -> Stored:
    """Rank the classified functions against their peers. ``matrix`` replaces the stored one (a scenario);
    ``light`` skips the reasons and the weight sensitivity (a scenario needs the tiers only)."""
    config = portfolio_config()
    weights = {**config["weights"], **(weights or {})}
    matrix = (warehouse.read_table(con, "ruffini_matrix", keys) if matrix is None else matrix).filter(
        pl.col("quadrant").is_not_null(), development_ranking()
    )
    bench = warehouse.read_table(con, "peer_benchmarks", keys)
    if not bench.width:  # no year processed yet (a first upload's fast run): the components from peers stay empty
        bench = pl.DataFrame(schema=NO_BENCHMARKS)
    bench = bench.drop("per_capita_eur")
    ranked = matrix.join(bench, on=["body", "year", "phase", "function"], how="left").with_columns(
        pl.col("outlier").fill_null(False)
    )
    ranked = ranked.join(
        _rated(con, keys), on=["body", "year", "function"], how="left"
    )  # co-assessment: weight 0 by default
    ranked = ranked.join(
        _commitment(con, ranked), on=["body", "year", "phase", "function"], how="left"
    )  # delivery: weight 0 by default
    if light:
        ranked = tiered(ranked, config, weights)
        return Stored({"ranked": ranked.height}, {"portfolio": (ranked, keys)})
    ranked, sensitivity = rank(ranked, config, weights)
    return Stored(
        {"ranked": ranked.height, "tier_1": int((ranked["tier"] == 1).sum())},
        {"portfolio": (ranked, keys), "portfolio_sensitivity": (sensitivity, keys)},
    )


def _commitment(con, functions: pl.DataFrame) -> pl.DataFrame:
    """Each function's commitment capacity in its final accounts (a forecast: the latest earlier final accounts)."""
    measured = warehouse.read_table(
        con,
        "execution_indicators",
        functions.select("body").unique(),
        None,
        "t.indicator = 'commitment_capacity' AND t.phase = 'rendiconto'",
    )
    return function_signal(
        measured if measured.width else pl.DataFrame(schema=OUT_SCHEMA), functions, "commitment_capacity"
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
        ranked, config, effect_scale=effect_scale, logic_scale=effect_scale_by_logic or {}, texts=texts, matrix=matrix
    )
    if (
        texts
    ):  # respondents willing to take part in delivery strengthen the case for co-delivery, in the plan's own words
        plans.projects = with_ratings(plans.projects, warehouse.read_table(con, "coassessment", keys))
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
    scenario's run configuration (``report.scenario_run_config``), in memory; metrics, authority and peers as stored."""
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
    runs = {s["name"]: (scenario_run_config(s.get("changes") or {}), s) for s in scenarios()}
    projections = {name: run_scenario(con, keys, config)["projection"] for name, (config, _) in runs.items()}
    per_function = tscenarios.over_common_set(
        projections, "piano"
    )  # every scenario and the Base over the same functions
    comparison = tscenarios.comparison(per_function)
    full = {name: scenario_parameters(config) for name, (config, _) in runs.items()}
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
            "scenario_comparison": (comparison, year_keys(years)),
            "scenario_functions": (per_function, year_keys(years)),
            "scenario_parameters": (parameters, pl.DataFrame({"scenario": list(runs)})),
        },
    )
