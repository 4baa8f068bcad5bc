"""Scenarios compared over one set of functions (pure polars).

Each scenario's plan covers its own functions (the ambitious one plans tiers 1 and 2, the default tier 1 only).
Compared as they come, a scenario with more functions would look more expensive only because it counts more of
them. So every scenario and the Base are measured over the **same set**: every function that any scenario
plans for that body, year and phase. A function outside a scenario's plan keeps its baseline there, and the
difference between a scenario and the Base is the sum, function by function, of what its plan changes.
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
    """Per body, year, phase and projected year: the Base (every function of the set without any plan) and each scenario,
    over the same functions (``functions``); ``ex_post`` for final accounts: the year is closed, so its scenarios say what
    the plans would have changed, not what a decision can still change."""
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
