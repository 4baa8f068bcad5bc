"""Strategic analysis from the catalogue (overridable per body), scenarios side by side, confirmed outliers."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.report import STRATEGY_FILE, run_scenario, scenario_comparison, scenarios
from sources.samples.budget import generate_budget
from transforms.authority import empty_overrides
from transforms.strategy import merge_catalogue, strategic_analysis


def _functions():
    return pl.DataFrame({"body": ["002"] * 3, "year": [2025] * 3, "phase": ["rendiconto"] * 3,
                         "function": ["10.05", "09.02", "01.02"], "quadrant": ["direct", "regulation", None]})


def test_actors_from_programme_rows_then_quadrant_rows():
    catalogue = pl.read_csv(STRATEGY_FILE, infer_schema=False)
    result = strategic_analysis(_functions(), catalogue)
    roads = result.filter(pl.col("function") == "10.05")
    assert roads["source"].to_list()[:2] == ["programma", "programma"]
    assert set(roads["actor"]) >= {"Comuni", "Cittadini e utenti", "Enti del Terzo settore"}
    assert roads.filter(pl.col("actor") == "Comuni")["source"].to_list() == ["programma"]  # no duplicate from the quadrant
    assert "01.02" not in result["function"].to_list()  # not classified: no strategy row


def test_a_body_replaces_the_rows_it_redefines():
    catalogue = pl.read_csv(STRATEGY_FILE, infer_schema=False)
    own = pl.DataFrame({"scope": ["programme"], "key": ["10.05"], "actor": ["Unione montana"], "resources_it": ["mezzi"],
                        "delivery_mode_it": ["gestione associata"]})
    roads = strategic_analysis(_functions(), merge_catalogue(catalogue, own)).filter(pl.col("source") == "programma", pl.col("function") == "10.05")
    assert roads["actor"].to_list() == ["Unione montana"]


@pytest.fixture(scope="module")
def runs():
    bodies = ["002", "003", "004", "005", "006", "096"]
    lines = pl.concat([generate_budget(b, y, "rendiconto") for b in bodies for y in (2024, 2025)])
    return {s["name"]: run_scenario(lines, empty_overrides(), s.get("changes") or {}) for s in scenarios()}


def test_scenarios_compare_side_by_side(runs):
    table = scenario_comparison(runs).filter(pl.col("body") == "002", pl.col("year") == 2025, pl.col("projected_year") == 2028)
    totals = dict(table.select("scenario", "total_cents").iter_rows())
    assert set(totals) == {"base", "piano", "prudente", "ambizioso", "piu_coproduzione"}
    assert totals["piano"] < totals["prudente"] < totals["base"]  # half the effect, slower adoption
    assert totals["piu_coproduzione"] < totals["piano"]
    assert runs["prudente"]["parameters"]["effect_scale"] == 0.5 and runs["ambizioso"]["parameters"]["plan_tiers"] == [1, 2]


def test_ambitious_scenario_moves_the_authority_threshold(runs):
    assert runs["ambizioso"]["classification"].parameters["thresholds"]["authority"] == 0.45
    roads = runs["ambizioso"]["classification"].functions.filter(pl.col("body") == "002", pl.col("function") == "10.05", pl.col("year") == 2025)
    assert roads["quadrant"].item() == "regulation"  # authority 0.45 is now on the high side (tie rule)


def test_confirmed_outlier_is_no_longer_flagged():
    bodies = ["002", "003", "004", "005", "006", "096", "103"]
    lines = pl.concat([generate_budget(b, 2025, "rendiconto") for b in bodies]).with_columns(
        amount_cents=pl.when((pl.col("body") == "003") & (pl.col("programma") == "08.01")).then(pl.col("amount_cents") * 50).otherwise(pl.col("amount_cents"))
    )
    flagged = run_scenario(lines, empty_overrides(), {})["portfolio"].ranked
    confirmed = run_scenario(lines, empty_overrides(), {}, pl.DataFrame({"body": ["003"], "function": ["08.01"]}))["portfolio"].ranked
    key = (pl.col("body") == "003") & (pl.col("function") == "08.01")
    assert flagged.filter(key)["outlier"].item() and not confirmed.filter(key)["outlier"].item()
