"""Every scenario and its Base over the same set of functions (issue 24, part 3).

Before, the Base summed the default plan's functions only, while "Ambizioso" planned tiers 1 and 2: compared as they
came, the ambitious plan looked 15.7 million euro dearer because it counted more functions. Here, for any projections,
every scenario covers exactly the Base's functions and differs from it only by what its own plans change.
"""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboards.workbook import plan_counts
from transforms.scenarios import comparison, over_common_set

FUNCTIONS = ["04.02", "08.01", "10.02", "10.05", "12.04"]


@st.composite
def projections(draw) -> dict[str, pl.DataFrame]:
    """2-4 scenarios, each planning a random subset of functions; a function's baseline is the same in every
    scenario."""
    baseline = {f: draw(st.integers(0, 10**10)) for f in FUNCTIONS}
    growth = {f: draw(st.integers(-(10**8), 10**8)) for f in FUNCTIONS}
    out = {}
    for i in range(draw(st.integers(2, 4))):
        planned = draw(st.lists(st.sampled_from(FUNCTIONS), unique=True, min_size=0 if i else 1))
        rows = []
        for f in planned:
            saving = draw(st.integers(0, 10**8))
            for step in range(4):
                base = baseline[f] + growth[f] * step
                rows.append(("036", 2025, "rendiconto", f, step, 2025 + step, base, base - saving * step))
        out["piano" if i == 0 else f"s{i}"] = pl.DataFrame(
            rows,
            orient="row",
            schema={
                "body": pl.String,
                "year": pl.Int32,
                "phase": pl.String,
                "function": pl.String,
                "step": pl.Int32,
                "projected_year": pl.Int32,
                "baseline_cents": pl.Int64,
                "with_plan_cents": pl.Int64,
            },
        )
    return out


@settings(max_examples=60)
@given(projections())
def test_every_scenario_and_the_base_cover_the_same_functions(found):
    per_function = over_common_set(found, "piano")
    planned = set().union(*(set(p["function"]) for p in found.values()))
    for name in found:  # the same set everywhere: every function some scenario plans
        assert set(per_function.filter(pl.col("scenario") == name)["function"]) == planned
    compared = comparison(per_function)
    assert compared.filter(pl.col("scenario") == "base")["functions"].to_list() == [len(planned)] * 4
    assert compared["functions"].n_unique() == 1
    base = dict(compared.filter(pl.col("scenario") == "base").select("projected_year", "total_cents").iter_rows())
    for (
        name,
        projection,
    ) in found.items():  # a scenario differs from the Base by its own plans only, function by function
        mine = dict(compared.filter(pl.col("scenario") == name).select("projected_year", "total_cents").iter_rows())
        effect = projection.group_by("projected_year").agg((pl.col("with_plan_cents") - pl.col("baseline_cents")).sum())
        effect = dict(effect.iter_rows())
        assert all(mine[y] - base[y] == effect.get(y, 0) for y in base), name
        rows = per_function.filter(pl.col("scenario") == name)
        assert set(rows.filter(pl.col("in_plan"))["function"]) == set(projection["function"])
        assert (
            rows.filter(~pl.col("in_plan"))["with_plan_cents"] == rows.filter(~pl.col("in_plan"))["baseline_cents"]
        ).all()


def test_a_closed_years_scenarios_are_ex_post():
    rows = [("036", 2025, phase, "10.05", 0, 2025, 100, 90) for phase in ("rendiconto", "previsione")]
    frame = pl.DataFrame(
        rows,
        orient="row",
        schema=["body", "year", "phase", "function", "step", "projected_year", "baseline_cents", "with_plan_cents"],
    )
    compared = comparison(over_common_set({"piano": frame}, "piano"))
    assert dict(compared.select("phase", "ex_post").unique().iter_rows()) == {"rendiconto": True, "previsione": False}


def test_sintesi_counts_development_projects_and_handover_plans_apart():
    projects = pl.DataFrame(
        {
            "plan_kind": ["development", "development", "handover", "handover", "delegation", "development", "split"],
            "coarse": [False, False, False, True, False, True, True],
        }
    )
    zero = {"maintain": 0, "split": 0}
    assert plan_counts(projects) == {
        "development": 2,
        "development_mission": 1,
        "handover": 2,
        "delegation": 1,
        **zero,
        "split": 1,
    }
    assert plan_counts(projects.clear()) == dict.fromkeys(
        ("development", "development_mission", "maintain", "delegation", "handover", "split"), 0
    )
