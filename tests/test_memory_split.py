"""The national backfill's year layer in bounded memory (issue 30), with the same results.

Peer benchmarks are found a year at a time, indicator peers a few bodies at a time, and a scenario's matrix leaves out
the sensitivity and the movement it never used: each must give exactly what the whole computation gave.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.classification import run_classification
from sources.catalogues import indicator_catalogue
from sources.portfolio_catalogue import body_table, portfolio_config
from sources.samples.budget import generate_budget
from transforms import indicators as tindicators
from transforms.indicators import PEER_KEYS, execution_indicators, indicator_peers
from transforms.peers import peer_groups
from transforms.ranking import benchmarks

BODIES = ["002", "003", "004", "005", "006", "024", "028", "036", "096", "103"]


@pytest.fixture(scope="module")
def lines() -> pl.DataFrame:
    final = [generate_budget(b, y, "rendiconto") for b in BODIES for y in (2023, 2024, 2025)]
    return pl.concat([*final, *(generate_budget(b, 2025, "previsione") for b in BODIES[:6])])


def test_indicator_peers_in_parts_are_the_peers_at_once_sorted(lines, monkeypatch):
    indicators = execution_indicators(lines, pl.DataFrame(), indicator_catalogue())
    groups = peer_groups(body_table(), indicators.select("body", "year", "phase").unique(), portfolio_config()["peers"])
    sizes = groups.group_by("body").len().sort("body")["len"].to_list()
    assert sizes != sorted(sizes)  # parts cut by each body's own size would not come out in the bodies' order
    assert indicators["value"].null_count() > 0  # peers without a value do not count
    monkeypatch.setattr(tindicators, "PAIRS_PER_PART", 10**9)
    whole = indicator_peers(indicators, groups)
    assert whole.height > 1_000 and whole["year"].n_unique() == 3 and whole["phase"].n_unique() == 2
    assert whole.equals(whole.sort(PEER_KEYS))  # sorted by body, year, phase, detail, code, indicator
    assert all(names == sorted(names) for names in whole["peer_bodies"].to_list())  # the peers in order of code
    for size in (1, 11, 40):
        monkeypatch.setattr(tindicators, "PAIRS_PER_PART", size)
        assert indicator_peers(indicators, groups).equals(whole), size
    by_year = [
        indicator_peers(indicators.filter(pl.col("year") == y), groups.filter(pl.col("year") == y))
        for y in (2023, 2024, 2025)
    ]
    assert pl.concat(by_year).sort(PEER_KEYS).equals(whole)  # a year never depends on another


def test_benchmarks_of_several_years_are_those_of_each_year(lines):
    """Growth and jumps look at the years before; the peers of a year are that year's only."""
    functions = run_classification(lines).functions
    config, bodies = portfolio_config(), body_table()
    found, groups = benchmarks(functions, config, bodies, years=[2024, 2025])
    apart = [benchmarks(functions, config, bodies, years=[year]) for year in (2024, 2025)]
    keys = ["body", "year", "phase", "function"]
    assert found.height > 500 and found["year"].unique().sort().to_list() == [2024, 2025]
    assert found["outlier"].any() and found["peers_lacking"].list.len().sum() > 0
    assert found.sort(keys).equals(pl.concat([f for f, _ in apart]).sort(keys))
    group_keys = ["body", "year", "phase", "peer"]
    assert groups.sort(group_keys).equals(pl.concat([g for _, g in apart]).sort(group_keys))
    every, _ = benchmarks(functions, config, bodies)  # no years: every year of the functions
    assert every.filter(pl.col("year") >= 2024).sort(keys).equals(found.sort(keys))


def test_a_scenarios_light_matrix_is_the_stored_matrix(tmp_path):
    """A scenario's matrix skips the sensitivity and the movement, never anything of the matrix itself: cost recovery
    from the revenue included (the official-scheme files of Torino, 201)."""
    import dagster as dg

    from pipelines.runner import run_pipeline
    from pipelines.stages import matrix_parameters, stage_matrix
    from tests.conftest import settings_for
    from warehouse import store as warehouse
    from warehouse.ingest import ingest_files

    official = Path(__file__).parent / "fixtures" / "official"
    settings = settings_for(tmp_path)
    files = [official / f"rendiconto_2023_formato_aperto_{kind}.csv" for kind in ("spese", "entrate")]
    outcomes = ingest_files(files, settings, body="201", year=2023, phase="rendiconto", user="test")
    assert [o.status for o in outcomes] == ["accepted", "accepted"]
    (tmp_path / "revenue").mkdir()
    (tmp_path / "revenue" / "201.csv").write_text(
        "tipologia,programma,share,reason\n30200,10.05,0.7,sanzioni stradali\n", encoding="utf-8"
    )
    results = run_pipeline(dg.DagsterInstance.ephemeral(), [2023], ["201"], home=str(tmp_path), stages=("body_1",))
    assert all(r.success for r in results)
    keys = pl.DataFrame({"body": ["201"], "year": [2023]}, schema={"body": pl.String, "year": pl.Int32})
    with warehouse.connect(settings.warehouse_path) as con:
        full = stage_matrix(con, keys, matrix_parameters(), home=tmp_path).tables["ruffini_matrix"][0]
        light = stage_matrix(con, keys, matrix_parameters(), home=tmp_path, light=True)
    assert set(light.tables) == {"ruffini_matrix"}
    assert full["cost_recovery"].drop_nulls().len() > 0  # revenue attributed: the light matrix must keep it
    assert light.tables["ruffini_matrix"][0].equals(full)
