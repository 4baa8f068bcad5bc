"""Strategic analysis from the catalogue (overridable per body), scenarios as run configuration of the same stages,
confirmed outliers."""

from __future__ import annotations

import json

import polars as pl
import pytest

from sources.plan_catalogue import STRATEGY_DIR, field_catalogue, labelled_modes
from sources.samples.budget import generate_budget
from sources.scenarios import scenario_by_name
from transforms.scenarios import scenario_run_config
from transforms.strategy import merge_catalogue, strategic_analysis


def _functions():
    return pl.DataFrame(
        {
            "body": ["002"] * 3,
            "year": [2025] * 3,
            "phase": ["rendiconto"] * 3,
            "function": ["10.05", "09.02", "01.02"],
            "quadrant": ["direct", "regulation", None],
        }
    )


def test_actors_and_delivery_modes_come_from_the_functions_field():
    catalogue = pl.read_csv(STRATEGY_DIR / "actors.csv", infer_schema=False)
    result = strategic_analysis(_functions(), catalogue, field_catalogue(), labelled_modes("it"))
    roads, environment = result.filter(pl.col("function") == "10.05"), result.filter(pl.col("function") == "09.02")
    assert set(roads["field"]) == {"roads"} and set(environment["field"]) == {"environment_control"}
    assert (
        "Comuni e unioni di comuni" in roads["actor"].to_list()
        and "Guardie ecologiche volontarie" in environment["actor"].to_list()
    )
    assert not set(roads["actor"]) & set(environment["actor"])  # different fields, different actors
    assert "co-produzione (preferita)" in roads["modes"][0] and "co_production" not in roads["modes"][0]
    assert "01.02" not in result["function"].to_list()  # not classified: no strategy row


def test_a_body_replaces_the_rows_it_redefines():
    catalogue = pl.read_csv(STRATEGY_DIR / "actors.csv", infer_schema=False)
    own = pl.DataFrame(
        {
            "scope": ["field"],
            "key": ["roads"],
            "actor": ["Unione montana"],
            "resources_it": ["mezzi"],
            "delivery_mode_it": ["gestione associata"],
        }
    )
    roads = strategic_analysis(_functions(), merge_catalogue(catalogue, own), field_catalogue()).filter(
        pl.col("function") == "10.05"
    )
    assert roads["actor"].to_list() == ["Unione montana"]


def test_the_strategic_analysis_in_english_has_no_italian_words():
    catalogue = pl.read_csv(STRATEGY_DIR / "actors.csv", infer_schema=False)
    english = strategic_analysis(_functions(), catalogue, field_catalogue(), labelled_modes("en"), "en")
    roads = english.filter(pl.col("function") == "10.05")
    assert (
        "Municipalities and unions of municipalities" in roads["actor"].to_list()
        and "Comuni e unioni di comuni" not in roads["actor"].to_list()
    )
    assert roads["field_name"][0] == field_catalogue().filter(pl.col("field") == "roads")["name_en"][0]
    assert (
        "(preferred)" in roads["modes"][0] and "; data: " in roads["modes"][0] and "preferita" not in roads["modes"][0]
    )
    assert set(english["source"]) <= {"field", "programme"}
    assert "convenzione" not in " ".join(roads["delivery_mode"]) and "agreement" in " ".join(roads["delivery_mode"])


def test_every_catalogue_row_has_its_english_and_a_body_file_may_leave_it_out():
    actors = pl.read_csv(STRATEGY_DIR / "actors.csv", infer_schema=False)
    modes = pl.read_csv(STRATEGY_DIR / "delivery_modes.csv", infer_schema=False)
    for frame, columns in (
        (actors, ["actor_en", "resources_en", "delivery_mode_en"]),
        (modes, ["fit_en", "conditions_en", "evidence_en"]),
    ):
        assert (
            frame.select(
                pl.any_horizontal(pl.col(columns).is_null() | (pl.col(columns).str.strip_chars() == "")).sum()
            ).item()
            == 0
        )
    own = pl.DataFrame(
        {
            "scope": ["field"],
            "key": ["roads"],
            "actor": ["Unione montana"],
            "resources_it": ["mezzi"],
            "delivery_mode_it": ["gestione associata"],
        }
    )
    roads = strategic_analysis(_functions(), merge_catalogue(actors, own), field_catalogue(), None, "en").filter(
        pl.col("function") == "10.05"
    )
    assert roads["actor"].to_list() == ["Unione montana"] and roads["resources"].to_list() == ["mezzi"]


@pytest.fixture(scope="module")
def warehouse_home(tmp_path_factory):
    import dagster as dg

    from pipelines.runner import run_pipeline
    from tests.conftest import settings_for, write_sample
    from warehouse.ingest import ingest_files

    home = tmp_path_factory.mktemp("home")
    settings = settings_for(home)
    bodies = ["002", "003", "004", "005", "006", "096"]
    files = [
        write_sample(home / "in", generate_budget(b, y, "rendiconto"), "template") for b in bodies for y in (2024, 2025)
    ]
    assert all(o.status == "accepted" for o in ingest_files(files, settings))
    run_pipeline(dg.DagsterInstance.ephemeral(), [2024, 2025], home=str(home))
    return settings


def _con(settings):
    from warehouse import store as warehouse

    return warehouse.connect(settings.warehouse_path, read_only=True)


def test_scenarios_compare_side_by_side(warehouse_home):
    with _con(warehouse_home) as con:
        table = con.execute(
            "SELECT scenario, total_cents FROM core.scenario_comparison WHERE body = '002' AND year = 2025 "
            "AND projected_year = 2028"
        ).fetchall()
        parameters = {s: json.loads(p) for s, p in con.execute("SELECT * FROM core.scenario_parameters").fetchall()}
    totals = dict(table)
    assert set(totals) == {"base", "piano", "prudente", "ambizioso", "piu_coproduzione"}
    assert totals["piano"] < totals["prudente"] < totals["base"]  # half the effect, slower adoption
    assert totals["piu_coproduzione"] < totals["piano"]
    assert parameters["prudente"]["effect_scale"] == 0.5 and parameters["ambizioso"]["plan_tiers"] == [1, 2]
    assert parameters["ambizioso"]["run_config"] == {
        "ruffini_matrix": {"authority_threshold": 0.45},
        "portfolio_priorities": {"weights": {"transformation": 0.35, "size": 0.20}},
        "restructuring_plans": {"plan_tiers": [1, 2]},
    }


def test_a_scenario_is_run_configuration_of_the_same_stages(warehouse_home):
    from pipelines import stages
    from pipelines.stage_priorities import run_scenario

    with _con(warehouse_home) as con:
        keys = stages.present_keys(con).filter(pl.col("body") == "002", pl.col("year") == 2025)
        ambitious = run_scenario(con, keys, scenario_run_config(scenario_by_name("ambizioso")["changes"]))
        baseline = run_scenario(con, keys, {})
        stored = con.execute(
            "SELECT function, quadrant FROM core.ruffini_matrix WHERE body = '002' AND year = 2025"
        ).pl()
    roads = ambitious["matrix"].filter(pl.col("function") == "10.05")
    assert roads["quadrant"].item() == "regulation"  # authority 0.473 is above the scenario's 0.45 threshold
    assert (
        baseline["matrix"].select("function", "quadrant").sort("function").equals(stored.sort("function"))
    )  # {} = the assets' own run


def test_the_assets_accept_a_scenarios_run_configuration(warehouse_home, tmp_path):
    """The same configuration given to the assets themselves (what `areavasta run --scenario` does)."""
    import dagster as dg

    from pipelines.runner import run_pipeline

    config = scenario_run_config(scenario_by_name("ambizioso")["changes"])
    results = run_pipeline(
        dg.DagsterInstance.ephemeral(),
        [2025],
        ["002"],
        home=str(warehouse_home.home),
        config=config,
        stages=("body_1", "portfolio_priorities", "restructuring_plans"),
    )
    assert all(r.success for r in results)
    with _con(warehouse_home) as con:
        quadrant = con.execute(
            "SELECT quadrant FROM core.ruffini_matrix WHERE body = '002' AND year = 2025 AND function = '10.05'"
        ).fetchone()
        tiers = con.execute(
            "SELECT DISTINCT tier FROM core.plans WHERE body = '002' AND year = 2025 AND plan_kind = 'development'"
        ).fetchall()
    assert quadrant == ("regulation",) and {t for (t,) in tiers} <= {1, 2} and len(tiers) == 2
    run_pipeline(
        dg.DagsterInstance.ephemeral(),
        [2025],
        ["002"],
        home=str(warehouse_home.home),
        stages=("body_1", "portfolio_priorities", "restructuring_plans"),
    )  # back to the defaults


def test_confirmed_outlier_is_no_longer_flagged():
    from pipelines.classification import run_classification
    from sources.portfolio_catalogue import portfolio_catalogue
    from transforms.ranking import run_portfolio

    bodies = ["002", "003", "004", "005", "006", "096", "103"]
    lines = pl.concat([generate_budget(b, 2025, "rendiconto") for b in bodies]).with_columns(
        amount_cents=pl.when((pl.col("body") == "003") & (pl.col("programma") == "08.01"))
        .then(pl.col("amount_cents") * 50)
        .otherwise(pl.col("amount_cents"))
    )
    functions = run_classification(lines).functions
    flagged = run_portfolio(functions, portfolio_catalogue(), sensitivity=False).ranked
    confirmed = run_portfolio(
        functions,
        portfolio_catalogue(),
        confirmed=pl.DataFrame({"body": ["003"], "function": ["08.01"]}),
        sensitivity=False,
    ).ranked
    key = (pl.col("body") == "003") & (pl.col("function") == "08.01")
    assert flagged.filter(key)["outlier"].item() and not confirmed.filter(key)["outlier"].item()
