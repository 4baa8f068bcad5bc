"""Scenarios and what the workbooks need besides the stored tables (catalogue versions, upload warnings).

Scenarios are data (``data/scenarios/*.yaml``): each changes thresholds, weights, plan tiers,
adoption or the expected-effect scale, is run end to end, and is saved with its parameters.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import polars as pl
import yaml

from pipelines.classification import Classification, _body_inputs
from pipelines.plans import build_plans, plan_config
from pipelines.portfolio import portfolio_config, run_portfolio
from sources.catalogues import authority_catalogue, classification_config, quadrants, spending_classes
from sources.reference import DATA_DIR
from transforms.authority import authority_table, mission_authority
from transforms.classify import classify, place
from transforms.metrics import body_metrics, function_metrics

SCENARIO_DIR = DATA_DIR / "scenarios"
STRATEGY_FILE = DATA_DIR / "strategy" / "actors.csv"


def scenarios() -> list[dict]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(SCENARIO_DIR.glob("*.yaml"))]


def _scenario_configs(changes: dict) -> tuple[dict, dict, dict, dict]:
    """The shipped parameters with a scenario's changes applied: classification, portfolio, weights, plan."""
    c_config = copy.deepcopy(classification_config())
    p_config = copy.deepcopy(portfolio_config())
    plan = copy.deepcopy(plan_config())
    c_config["thresholds"].update(changes.get("thresholds", {}))
    weights = {**p_config["weights"], **changes.get("weights", {})}
    for key in ("plan_tiers", "adoption"):
        if key in changes:
            plan[key] = changes[key]
    return c_config, p_config, weights, plan


def run_scenario(lines: pl.DataFrame, overrides: pl.DataFrame, changes: dict, confirmed: pl.DataFrame | None = None) -> dict:
    """A scenario straight from budget lines (the pipeline uses :func:`run_scenario_on_tables` on stored tables)."""
    config = classification_config()
    population, kinds = _body_inputs()
    present = kinds.join(lines.select("body").unique(), on="body", how="semi")
    tables = {
        "function_metrics": function_metrics(lines, spending_classes(), population, config["amount_basis"]),
        "body_metrics": body_metrics(lines, spending_classes(), population, config["amount_basis"]),
        "authority_scores": authority_table(authority_catalogue(), present, overrides, config["authority_weights"],
                                            config["direct_delivery_weight"]).with_columns(year=pl.lit(0, pl.Int32)),
    }
    return run_scenario_on_tables(tables, changes, confirmed)


def run_scenario_on_tables(tables: dict, changes: dict, confirmed: pl.DataFrame | None = None) -> dict:
    """A scenario from the stored metrics and authority (thresholds, weights and plan parameters do not change them)."""
    c_config, p_config, weights, plan = _scenario_configs(changes)
    authority = tables["authority_scores"].drop("year").unique(["body", "programma"])
    placed = place(tables["function_metrics"], authority, mission_authority(authority), tables["body_metrics"], c_config)
    t = c_config["thresholds"]
    classified = classify(placed, quadrants(), t["spending"], t["authority"], c_config["borderline_margin"])
    portfolio = run_portfolio(classified, p_config, confirmed=confirmed, weights=weights, sensitivity=False)
    plans = build_plans(portfolio.ranked, plan, effect_scale=changes.get("effect_scale", 1.0),
                        logic_scale=changes.get("effect_scale_by_logic", {}), texts=False)
    parameters = {"thresholds": t, "weights": weights, "plan_tiers": plan["plan_tiers"], "adoption": plan["adoption"],
                  "effect_scale": changes.get("effect_scale", 1.0), "effect_scale_by_logic": changes.get("effect_scale_by_logic", {})}
    return {"classification": Classification(classified, tables["body_metrics"], pl.DataFrame(), pl.DataFrame(), c_config),
            "portfolio": portfolio, "plans": plans, "parameters": parameters}


def scenario_comparison(runs: dict[str, dict]) -> pl.DataFrame:
    """Per body, year, phase and projected year: spending of the plan's functions, baseline and each scenario."""
    frames = []
    for name, run in runs.items():
        proj = run["plans"].projection
        if name == "piano":
            frames.append(proj.group_by("body", "year", "phase", "projected_year").agg(total_cents=pl.col("baseline_cents").sum())
                          .with_columns(scenario=pl.lit("base")))
        frames.append(proj.group_by("body", "year", "phase", "projected_year").agg(total_cents=pl.col("with_plan_cents").sum())
                      .with_columns(scenario=pl.lit(name)))
    return pl.concat(frames, how="diagonal_relaxed").sort("body", "year", "phase", "scenario", "projected_year")


def catalogue_versions() -> dict[str, str]:
    files = sorted(p for p in DATA_DIR.rglob("*") if p.is_file() and p.suffix in {".csv", ".yaml", ".txt"})
    return {str(p.relative_to(DATA_DIR)): hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in files}


def _warnings(uploads: pl.DataFrame) -> list[dict]:
    found = []
    for path in uploads["archive_path"].unique().to_list():
        sidecar = Path(path + ".json")
        if sidecar.exists():
            for record in json.loads(sidecar.read_text(encoding="utf-8")):
                found += record.get("warnings", [])
    return found
