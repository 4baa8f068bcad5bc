"""Scenarios compared over one set of functions (pure polars).

Each scenario's plan covers its own functions (the ambitious one plans tiers 1 and 2, the default tier 1 only).
Compared as they come, a scenario with more functions would look more expensive only because it counts more of
them. So every scenario and the Base are measured over the **same set**: every function that any scenario
plans for that body, year and phase. A function outside a scenario's plan keeps its baseline there, and the
difference between a scenario and the Base is the sum, function by function, of what its plan changes.

A scenario's changes become run configuration of the assets that use them (``scenario_run_config``), and that
configuration the parameters it amounts to in full (``scenario_parameters``).
"""

from __future__ import annotations

import polars as pl

KEYS = ["body", "year", "phase"]
ROW = [*KEYS, "function", "step", "projected_year"]
BASE = "base"


def over_common_set(projections: dict[str, pl.DataFrame], reference: str) -> pl.DataFrame:
    """One row per scenario and function of the common set and projected year: ``baseline_cents`` (the function's
    spending without any plan, from ``reference``'s projection where it has the function), ``with_plan_cents``
    (the scenario's, or the baseline where the scenario has no plan for it), ``in_plan``."""
    names = list(projections)
    frames = [
        p.select(*ROW, "baseline_cents", "with_plan_cents").with_columns(scenario=pl.lit(name), _order=pl.lit(i))
        for i, (name, p) in enumerate(sorted(projections.items(), key=lambda kv: kv[0] != reference))
    ]
    every = pl.concat(frames, how="vertical_relaxed")
    baseline = every.sort("_order").unique(ROW, keep="first", maintain_order=True).select(*ROW, "baseline_cents")
    grid = baseline.join(pl.DataFrame({"scenario": names}), how="cross")
    return (
        grid.join(
            every.select("scenario", *ROW, pl.col("with_plan_cents").alias("_plan")), on=["scenario", *ROW], how="left"
        )
        .with_columns(in_plan=pl.col("_plan").is_not_null(), with_plan_cents=pl.coalesce("_plan", "baseline_cents"))
        .drop("_plan")
        .sort(*KEYS, "scenario", "function", "step")
    )


def comparison(per_function: pl.DataFrame) -> pl.DataFrame:
    """Per body, year, phase and projected year: the Base (every function of the set without any plan) and each
    scenario, over the same functions (``functions``); ``ex_post`` for final accounts: the year is closed, so its
    scenarios say what the plans would have changed, not what a decision can still change."""
    group = [*KEYS, "projected_year"]
    first = per_function["scenario"].first() if per_function.height else None
    base = (
        per_function.filter(pl.col("scenario") == first)
        .group_by(group)
        .agg(total_cents=pl.col("baseline_cents").sum(), functions=pl.col("function").n_unique())
        .with_columns(scenario=pl.lit(BASE))
    )
    each = per_function.group_by(*group, "scenario").agg(
        total_cents=pl.col("with_plan_cents").sum(), functions=pl.col("function").n_unique()
    )
    return (
        pl.concat([base, each], how="diagonal_relaxed")
        .with_columns(ex_post=pl.col("phase") == "rendiconto")
        .sort(*KEYS, "scenario", "projected_year")
    )


def scenario_run_config(changes: dict) -> dict[str, dict]:
    """A scenario's changes (data/scenarios/*.yaml) as run configuration of the assets that use them."""
    config: dict[str, dict] = {}
    if changes.get("thresholds"):
        config["ruffini_matrix"] = {f"{axis}_threshold": value for axis, value in changes["thresholds"].items()}
    if changes.get("cost_basis"):
        config.setdefault("ruffini_matrix", {})["cost_basis"] = changes["cost_basis"]
    if changes.get("weights"):
        config["portfolio_priorities"] = {"weights": changes["weights"]}
    plans = {
        key: changes[key]
        for key in ("plan_tiers", "adoption", "effect_scale", "effect_scale_by_logic")
        if key in changes
    }
    if plans:
        config["restructuring_plans"] = plans
    return config


def scenario_parameters(config: dict[str, dict], classification: dict, portfolio: dict, plans: dict) -> dict:
    """The parameters a scenario's run configuration amounts to, in full (shown in the workbook), over the defaults of
    the classification, the portfolio and the plans (``classification.yaml``, ``priorities.yaml``, ``plans.yaml``)."""
    thresholds = dict(classification["thresholds"])
    for axis in ("spending", "authority"):
        value = config.get("ruffini_matrix", {}).get(f"{axis}_threshold")
        thresholds[axis] = thresholds[axis] if value is None else value
    plans = {**plans, **config.get("restructuring_plans", {})}
    basis = config.get("ruffini_matrix", {}).get("cost_basis") or classification["cost_basis"]
    return {
        "thresholds": thresholds,
        "cost_basis": basis,
        "weights": {**portfolio["weights"], **config.get("portfolio_priorities", {}).get("weights", {})},
        "plan_tiers": plans["plan_tiers"],
        "adoption": plans["adoption"],
        "effect_scale": plans.get("effect_scale", 1.0),
        "effect_scale_by_logic": plans.get("effect_scale_by_logic", {}),
        "run_config": config,
    }
