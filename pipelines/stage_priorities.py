"""Priorities, plans and scenarios: each stage reads through its reader and returns what it computed
(``pipelines.stages``); a scenario is the same stages run in memory with the scenario's configuration."""

from __future__ import annotations

import json

import polars as pl

from pipelines.stages import matrix_parameters, present_keys, stage_matrix, year_keys
from sources.catalogues import (
    classification_config,
    status_plans,
)
from sources.labels import label
from sources.plan_catalogue import plan_catalogue, plan_config
from sources.portfolio_catalogue import portfolio_catalogue, portfolio_config
from sources.ratings import config as coassessment_config
from sources.scenarios import scenarios
from transforms import ranking as tranking
from transforms import scenarios as tscenarios
from transforms.coassessment import component as coassessment_component
from transforms.coassessment import with_ratings
from transforms.plan_assembly import build_plans
from transforms.strategy import in_development_ranking
from warehouse import store as warehouse
from warehouse.stored import Stored


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
    texts: bool = True,
    **changes,
) -> Stored:
    """Plans for the priority functions; ``changes``: the run configuration a scenario changes (``plan_settings``'s
    keywords, an unknown one refused there)."""
    return plans_from(plan_settings(**changes, texts=texts), plan_inputs(con, keys, ranked, matrix, texts))


def plan_settings(
    plan_tiers: list[int] | None = None,
    adoption: list[float] | None = None,
    effect_scale: float = 1.0,
    effect_scale_by_logic: dict | None = None,
    texts: bool = True,
) -> dict:
    config = {
        **plan_config(),
        **({"plan_tiers": plan_tiers} if plan_tiers else {}),
        **({"adoption": adoption} if adoption else {}),
    }
    return {"config": config, "effect_scale": effect_scale, "logic_scale": effect_scale_by_logic or {}, "texts": texts}


def plan_inputs(con, keys: pl.DataFrame, ranked=None, matrix=None, texts: bool = True) -> tuple:
    """What the plans of ``keys`` are made from, read from the warehouse (``plans_from`` reads nothing)."""
    ranked = warehouse.read_table(con, "portfolio", keys) if ranked is None else ranked
    matrix = warehouse.read_table(con, "ruffini_matrix", keys) if matrix is None else matrix
    stats = warehouse.read_table(con, "coassessment", keys) if texts else None
    return keys, ranked, matrix, stats


def plans_from(settings: dict, inputs: tuple) -> Stored:
    """The plans of ``plan_inputs``, with their texts: pure Python on frames, so a worker process can make them
    (``pipelines.output_workers.computed_each``: a national backfill's ten years on two cores)."""
    keys, ranked, matrix, stats = inputs
    plans = build_plans(
        ranked,
        plan_catalogue(),
        settings["config"],
        effect_scale=settings["effect_scale"],
        logic_scale=settings["logic_scale"],
        texts=settings["texts"],
        matrix=matrix,
    )
    if settings["texts"]:  # respondents willing to take part in delivery strengthen the case for co-delivery
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
        light=True,
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


def stage_scenarios(
    con, years: list[int], output_dir=None, manifest_id: str | None = None, bodies: list[str] | None = None
) -> Stored:
    """Every scenario of ``data/scenarios`` for the bodies of these years, compared with the baseline; ``bodies``: the
    run's bodies only (an upload's run), the other bodies' rows kept as their own runs stored them.

    A scenario is run configuration of the same stages the assets run (``run_scenario``), not a route of its own. Its
    rows are each body's own (its matrix, priorities and plans under the scenario's settings, compared with its own
    baseline): an upload recomputes its body's, not the 107 bodies' of the year (about 1 s of every upload); the
    others', like their priorities, stay as their own last run computed them.
    """
    keys = present_keys(con).filter(pl.col("year").is_in(years))
    if bodies:
        keys = keys.filter(pl.col("body").is_in(bodies))
    replaced = keys.select("body", "year").unique() if bodies else year_keys(years)
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
        files = _scenario_files(output_dir, runs, full, _with_kept(con, per_function, years, replaced), manifest_id)
    return Stored(
        {"scenarios": len(runs), "rows": comparison.height, "enti": keys["body"].n_unique(), "files": files},
        {
            "scenario_comparison": (comparison, replaced),
            "scenario_functions": (per_function, replaced),
            "scenario_parameters": (parameters, pl.DataFrame({"scenario": list(runs)})),
        },
    )


def _with_kept(con, per_function: pl.DataFrame, years: list[int], replaced: pl.DataFrame) -> pl.DataFrame:
    """The year's rows of every body: those computed now and, when only some bodies were, the others' as stored."""
    if "body" not in replaced.columns:
        return per_function
    stored = warehouse.read_table(con, "scenario_functions", year_keys(years))
    if stored.is_empty():
        return per_function
    kept = stored.join(replaced, on=["body", "year"], how="anti")
    if per_function.is_empty():
        return kept
    kept = kept.select(per_function.columns)
    return pl.concat([kept, per_function], how="vertical_relaxed").sort(
        *tscenarios.KEYS, "scenario", "function", "step"
    )


def _scenario_files(output_dir, runs: dict, full: dict, per_function: pl.DataFrame, manifest_id) -> dict:
    """Each scenario's parameters (JSON) and its projection over the common set (CSV, as the workbook)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    files = {}
    for name in runs:
        files[f"{name}.json"] = output_dir / f"{name}.json"
        files[f"{name}_projection.csv"] = output_dir / f"{name}_projection.csv"
        files[f"{name}.json"].write_text(json.dumps(full[name], indent=2), encoding="utf-8")
        projection = per_function.filter(pl.col("scenario") == name).drop("scenario")
        projection = projection if manifest_id is None else projection.with_columns(manifest=pl.lit(manifest_id))
        projection.write_csv(files[f"{name}_projection.csv"])
    return files
