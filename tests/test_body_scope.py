"""Bodies are data inside the year partition (``pipelines.body_scope``): a body stage computes the bodies its run names,
or every body with data; one body it fails on neither stops the others nor hides among them; and the UI still says,
per body, when it was last computed and from which upload (``pipelines.body_status``)."""

from __future__ import annotations

import dagster as dg
import polars as pl
import pytest

from pipelines import stages
from pipelines.runner import run_pipeline
from sources import receipts
from sources.samples.budget import generate_budget
from tests.conftest import write_sample
from warehouse import store as warehouse
from warehouse.ingest import ingest_files

BODIES = ("002", "003", "036")


@pytest.fixture
def three(tmp_path, settings):
    files = [write_sample(tmp_path / "in", generate_budget(b, 2025, "rendiconto"), "template") for b in BODIES]
    ingest_files(files, settings)
    return settings


def _runs(settings, year: int = 2025) -> dict[tuple[str, str], str]:
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        rows = con.execute("SELECT asset, body, state FROM core.body_runs WHERE year = ?", [year]).fetchall()
    return {(asset, body): state for asset, body, state in rows}


def _failing_on(body: str, monkeypatch):
    real = stages.stage_metrics

    def metrics(con, keys: pl.DataFrame):
        if body in keys["body"].to_list():
            raise ValueError(f"dati illeggibili per {body}")
        return real(con, keys)

    monkeypatch.setattr(stages, "stage_metrics", metrics)


def test_a_run_naming_bodies_computes_those_only_and_the_year_tables_for_all(three):
    instance = dg.DagsterInstance.ephemeral()
    run_pipeline(instance, [2025], ["002", "036"], home=str(three.home))
    computed = _runs(three)
    assert {body for (_, body) in computed} == {"002", "036"} and set(computed.values()) == {"ok"}
    with warehouse.connect(three.warehouse_path, read_only=True) as con:
        # the year's tables across bodies hold the body the run did not name (its matrix from an earlier run: none)
        overview = con.execute("SELECT count(*) FROM core.national_overview WHERE year = 2025").fetchone()[0]
    assert overview > 0
    run_pipeline(instance, [2025], home=str(three.home))  # no bodies named: every body with data
    assert {body for (_, body) in _runs(three)} == set(BODIES)


def test_a_body_the_stage_fails_on_is_named_and_the_others_are_computed(three, monkeypatch):
    _failing_on("003", monkeypatch)
    instance = dg.DagsterInstance.ephemeral()
    [result] = run_pipeline(instance, [2025], home=str(three.home))
    assert result.success  # the other bodies went all the way
    computed = _runs(three)
    assert computed[("function_metrics", "003")] == "failed"
    assert computed[("ruffini_matrix", "003")] == "skipped" and computed[("report_workbooks", "003")] == "skipped"
    assert all(computed[(a, b)] == "ok" for a in ("function_metrics", "report_workbooks") for b in ("002", "036"))
    reports = three.outputs_dir / "reports"
    assert (reports / "002_2025_rendiconto.xlsx").exists() and not (reports / "003_2025_rendiconto.xlsx").exists()
    checks = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    failed = checks[("function_metrics", "every_body_computed")]
    assert not failed.passed and "dati illeggibili per 003" in failed.metadata["non_riusciti"].value["2025|003"]
    assert not checks[("ruffini_matrix", "every_body_computed")].passed  # left out, and said so
    assert checks[("function_metrics", "every_body_computed")].severity == dg.AssetCheckSeverity.ERROR
    assert checks[("budget_lines", "every_body_computed")].passed
    # the officer of 003 reads that the processing failed, not "in preparazione" for ever
    [waiting] = [r for r in receipts.all_receipts(three) if any(b == "003" for b, _, _ in r.partitions)]
    assert waiting.failure and waiting.failure["stage"] == "method"
    others = [r for r in receipts.all_receipts(three) if not any(b == "003" for b, _, _ in r.partitions)]
    assert others and not any(r.failure for r in others)
    # the UI's table per body says it too
    found = instance.fetch_materializations(dg.AssetKey("function_metrics"), limit=1).records[0].event_log_entry
    table = found.asset_materialization.metadata["stato_per_ente"].value
    assert "| 003 Novara |" in table and "non riuscito: ValueError: dati illeggibili per 003" in table
    assert found.asset_materialization.metadata["enti"].value == 2
    later = instance.fetch_materializations(dg.AssetKey("ruffini_matrix"), limit=1).records[0].event_log_entry
    assert later.asset_materialization.metadata["enti"].value == 2  # 003 left out by the later stages, not recomputed


def test_a_stage_failing_on_every_body_fails_the_run(three, monkeypatch):
    def broken(con, keys):
        raise RuntimeError("codice rotto")

    monkeypatch.setattr(stages, "stage_metrics", broken)
    with pytest.raises(Exception, match="codice rotto"):
        run_pipeline(dg.DagsterInstance.ephemeral(), [2025], home=str(three.home))


def test_a_run_naming_one_body_that_fails_fails_as_before(three, monkeypatch):
    _failing_on("003", monkeypatch)
    [result] = run_pipeline(dg.DagsterInstance.ephemeral(), [2025], ["002"], home=str(three.home))
    assert result.success
    with pytest.raises(Exception, match="dati illeggibili per 003"):
        run_pipeline(dg.DagsterInstance.ephemeral(), [2025], ["003"], home=str(three.home))


def test_the_schema_failures_of_every_part_computed_body_by_body_are_reported():
    from pipelines.body_scope import schema_failures
    from warehouse.stored import Stored

    done = [
        (None, Stored({}, schema_failures={"plans": [], "portfolio": []})),
        (None, Stored({}, schema_failures={"plans": [{"body": "002"}]})),  # the second body's rows
    ]
    assert schema_failures(done) == {"plans": [{"body": "002"}], "portfolio": []}
