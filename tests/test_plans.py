"""Restructuring plans: every element traces back to the data or to a written rule."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.classification import run_classification
from pipelines.plans import build_plans
from pipelines.portfolio import run_portfolio
from sources.samples.budget import generate_budget


@pytest.fixture(scope="module")
def plans():
    bodies = ["002", "003", "004", "005", "006", "096", "103"]
    lines = pl.concat([generate_budget(b, y, "rendiconto") for b in bodies for y in (2024, 2025)])
    ranked = run_portfolio(run_classification(lines).functions).ranked
    return ranked, build_plans(ranked.filter(pl.col("body") == "002", pl.col("year") == 2025))


def test_one_project_per_top_tier_function(plans):
    ranked, result = plans
    top = ranked.filter(pl.col("body") == "002", pl.col("year") == 2025, pl.col("tier") == 1)["function"].sort().to_list()
    assert result.projects["function"].sort().to_list() == top


def test_logics_follow_the_spending_structure(plans):
    _, result = plans
    for row in result.projects.iter_rows(named=True):
        if row["goods_services_share"] >= 0.4:
            assert "procurement" in row["logics"]
        if row["capital_share"] >= 0.4:
            assert "asset_valorisation" in row["logics"]
        if row["quadrant"] == "direct":
            assert "coproduction" in row["logics"]
        assert row["logic_reasons"]


def test_effect_range_is_the_functions_own_amounts_times_the_written_ranges(plans):
    _, result = plans
    roads = result.projects.filter(pl.col("function") == "10.05").row(0, named=True)
    # capital-heavy direct service: asset valorisation (1-3 % of capital) + co-production (2-6 % of operating)
    assert roads["logics"] == ["asset_valorisation", "coproduction"]
    capital, operating = roads["capital_share"] * roads["total_cents"], roads["operating_share"] * roads["total_cents"]
    assert roads["effect_low_cents"] == pytest.approx(0.01 * capital + 0.02 * operating, abs=1)
    assert roads["effect_high_cents"] == pytest.approx(0.03 * capital + 0.06 * operating, abs=1)
    assert roads["kick_start_cents"] == min(max(round(roads["total_cents"] * 0.01), 2_000_000), 25_000_000)


def test_positions_instruments_and_dup_text(plans):
    _, result = plans
    roads = result.projects.filter(pl.col("function") == "10.05").row(0, named=True)
    assert roads["current_position"] == "Tradizionale fornitura professionale del servizio"
    assert roads["target_position"].startswith("Co-fornitura")
    assert "patti di collaborazione" in roads["instrument_it"] and "art. 56" in roads["instrument_it"]
    text = roads["dup_text"]
    assert "Viabilità e infrastrutture stradali (10.05)" in text and "$" not in text
    assert "servizi diretti" in text and "coproduzione" in text
    indirect = result.projects.filter(pl.col("quadrant") == "indirect")
    assert indirect.is_empty() or "art. 55" in indirect["instrument_it"][0]


def test_kpi_baselines_come_from_the_metrics(plans):
    _, result = plans
    roads = result.projects.filter(pl.col("function") == "10.05").row(0, named=True)
    kpis = dict(result.kpis.filter(pl.col("function") == "10.05").select("kpi", "baseline").iter_rows())
    assert kpis["spending_per_capita"] == pytest.approx(roads["per_capita_eur"])
    assert kpis["rigid_share"] == pytest.approx(roads["rigid_share"]) and kpis["coproduced_share"] == 0


def test_projection_over_three_years(plans):
    _, result = plans
    roads = result.projection.filter(pl.col("function") == "10.05").sort("step")
    assert roads["projected_year"].to_list() == [2025, 2026, 2027, 2028]
    assert roads["baseline_cents"][0] == roads["with_plan_cents"][0]
    gaps = (roads["baseline_cents"] - roads["with_plan_cents"]).to_list()
    assert gaps == sorted(gaps) and gaps[-1] > 0
