"""The Dagster pipeline: definitions, partitioned runs, checks, idempotent reruns, sensor, schedule."""

from __future__ import annotations

import datetime
import shutil

import dagster as dg
import openpyxl
import polars as pl
import pytest

from pipelines.assets import ALL_ASSETS
from pipelines.definitions import defs
from pipelines.partitions import YEARS
from pipelines.resources import Warehouse
from pipelines.runner import run_pipeline
from pipelines.schedules import annual_job, annual_rerun
from sources import receipts
from sources.intake import receive
from sources.receipts import Uploader
from sources.samples.budget import generate_budget
from tests import daemon
from tests import malformed as m
from tests.conftest import write_sample
from warehouse import store as warehouse
from warehouse.ingest import ingest_files

TABLES = [
    "function_metrics",
    "execution_indicators",
    "indicator_peers",
    "ruffini_matrix",
    "peer_benchmarks",
    "portfolio",
    "plans",
    "scenario_comparison",
    "national_overview",
]


def test_definitions_load_with_every_stage():
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == {
        "archived_uploads",
        "budget_lines",
        "function_metrics",
        "authority_scores",
        "ruffini_matrix",
        "peer_benchmarks",
        "national_overview",
        "portfolio_priorities",
        "restructuring_plans",
        "scenarios",
        "report_workbooks",
        "dashboard_pages",
        "bdap_reconciliation",
        "co_assessment",
        "national_lines",
        "ratings",
    }
    for job in ("ingest_job", "annual_job", "inbox_job"):
        defs.resolve_job_def(job)


@pytest.fixture
def loaded(tmp_path, settings):
    files = [
        write_sample(tmp_path / "in", generate_budget(b, y, "rendiconto"), "annex_amount_kinds")
        for b in ("002", "003")
        for y in (2024, 2025)
    ]
    ingest_files(files, settings)
    return settings


def _snapshot(settings) -> dict:
    with warehouse.connect(settings.warehouse_path) as con:
        return {t: warehouse.read_table(con, t).sort(pl.all()) for t in TABLES}


def test_run_materialises_every_stage_and_a_rerun_is_identical(loaded):
    instance = dg.DagsterInstance.ephemeral()
    results = run_pipeline(instance, [2024, 2025], home=str(loaded.home))
    assert all(r.success for r in results) and len(results) == 1  # one run: both years, every stage
    assert sorted(instance.get_dynamic_partitions("anno")) == ["2024", "2025"]
    first = _snapshot(loaded)
    assert first["portfolio"].height > 0 and first["plans"].height > 0
    indicators = first["execution_indicators"].filter(pl.col("body") == "002", pl.col("year") == 2025)
    capacity = indicators.filter(pl.col("indicator") == "payment_capacity", pl.col("detail") == "body").row(
        0, named=True
    )
    assert 0 < capacity["value"] <= 1 and capacity["missing"] is None  # an annex with payments and commitments
    assert indicators.filter(pl.col("detail") == "function").height > 0
    autonomy = indicators.filter(pl.col("indicator") == "financial_autonomy").row(0, named=True)
    assert autonomy["value"] is None and autonomy["missing"] == "kind:accertamenti"  # no revenue loaded: empty, never 0
    standing = (
        first["indicator_peers"]
        .filter(
            pl.col("body") == "002",
            pl.col("year") == 2025,
            pl.col("detail") == "body",
            pl.col("indicator") == "payment_capacity",
        )
        .row(0, named=True)
    )
    theirs = (
        first["execution_indicators"]
        .filter(
            pl.col("body") == "003",
            pl.col("year") == 2025,
            pl.col("detail") == "body",
            pl.col("indicator") == "payment_capacity",
        )["value"]
        .to_list()
    )
    assert (
        standing["peer_bodies"] == ["003"]
        and standing["peer_values"] == theirs
        and standing["value"] == capacity["value"]
    )
    committed = first["portfolio"].filter(pl.col("body") == "002", pl.col("year") == 2025)
    assert (
        committed["commitment_capacity"].is_not_null().all() and (committed["commitment_capacity_year"] == 2025).all()
    )
    sheet = openpyxl.load_workbook(loaded.outputs_dir / "reports" / "002_2025_rendiconto.xlsx")["Indicatori"]
    rows: dict = {}
    for r in sheet.iter_rows(values_only=True):  # the body's rows come first, then each programme's
        rows.setdefault(r[1], r)
    assert rows["Capacità di pagamento in conto competenza"][2] == pytest.approx(capacity["value"])
    assert (
        all(v in (None, "") for v in rows["Autonomia finanziaria"][2:5])
        and "manca «Accertamenti»" in rows["Autonomia finanziaria"][5]
    )
    among = [r for r in sheet.iter_rows(values_only=True) if r[1] == "Tra gli enti simili"]
    assert among, "the sheet places the body among its peers"
    peers_rows = list(sheet.iter_rows(values_only=True))
    below = peers_rows[peers_rows.index(among[0]) + 1 :]
    assert any(
        r[1] == "Capacità di pagamento in conto competenza" and "Provincia di Novara" in (r[5] or "") for r in below[:8]
    )
    programmes = [r for r in below if r[0] and r[0][:2].isdigit() and "." in r[0]]
    assert any((r[5] or "").startswith("mediana degli enti simili ") and r[5].endswith("(n = 1)") for r in programmes)
    stems = ["002_2024_rendiconto", "002_2025_rendiconto", "003_2024_rendiconto", "003_2025_rendiconto"]
    assert sorted(p.name for p in (loaded.outputs_dir / "reports").iterdir()) == sorted(
        [f"{s}.xlsx" for s in stems] + [f"{s}.docx" for s in stems]
    )  # the workbook, and the DUP as a Word document beside it
    run_pipeline(instance, [2024, 2025], home=str(loaded.home))
    second = _snapshot(loaded)
    assert all(first[t].equals(second[t]) for t in TABLES)
    status = instance.get_status_by_partition(
        dg.AssetKey("ruffini_matrix"),
        ["2025"],
        defs.resolve_asset_graph().get(dg.AssetKey("ruffini_matrix")).partitions_def,
    )
    assert status["2025"].value == "MATERIALIZED"
    # what the UI shows per body, on the year's latest materialisation: when, which run, from which upload
    found = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("ruffini_matrix"), asset_partitions=["2025"]), limit=1
    )
    event = found.records[0].event_log_entry
    table = event.asset_materialization.metadata["stato_per_ente"].value
    rows = [line for line in table.splitlines() if line.startswith("| 00")]
    assert [r.split(" | ")[0] for r in rows] == ["| 002 Vercelli", "| 003 Novara"]
    assert all(" | calcolato | " in r and event.run_id[:8] in r for r in rows)
    assert "rendiconto: ricevuta n. 2, 002_2025_rendiconto" in rows[0] and "003_2025_rendiconto" in rows[1]
    assert event.asset_materialization.metadata["enti"].value == 2


def _first_body_layer(settings):
    """The first body layer for body 002 in 2025, as an upload's run starts; a blocking check that fails stops the run
    there (``raise_on_error=False``: the result is read)."""
    from pipelines.assets import LAYERS

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("anno", ["2025"])
    return dg.materialize(
        ALL_ASSETS,
        selection=LAYERS[0][1],
        instance=instance,
        partition_key="2025",
        tags={"areavasta/enti": "002"},
        resources={"warehouse_db": Warehouse(home=str(settings.home))},
        raise_on_error=False,
    )


def test_blocking_schema_check_stops_the_downstream_assets(loaded):
    with warehouse.connect(loaded.warehouse_path) as con:
        con.execute(
            "UPDATE core.budget_lines SET amount_kind = 'boh' WHERE body = '002' AND year = 2025 AND source_row = "
            "(SELECT min(source_row) FROM core.budget_lines WHERE body = '002' AND year = 2025)"
        )
    result = _first_body_layer(loaded)
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["schema"] is False
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "budget_lines" in materialized and "ruffini_matrix" not in materialized


def test_a_run_killed_midway_then_rerun_leaves_consistent_tables(loaded, monkeypatch):
    instance = dg.DagsterInstance.ephemeral()
    run_pipeline(instance, [2024, 2025], home=str(loaded.home))
    clean = _snapshot(loaded)
    calls = {"n": 0}
    real = warehouse.replace_partitions

    def dying(con, table, frame, keys):
        calls["n"] += 1
        if table == "matrix_sensitivity":
            raise RuntimeError("killed")
        return real(con, table, frame, keys)

    monkeypatch.setattr(warehouse, "replace_partitions", dying)
    with pytest.raises(Exception):
        run_pipeline(instance, [2025], home=str(loaded.home))
    monkeypatch.undo()
    run_pipeline(instance, [2024, 2025], home=str(loaded.home))
    again = _snapshot(loaded)
    assert all(clean[t].equals(again[t]) for t in TABLES)


def test_inbox_sensor_receives_folder_files_through_a_run_and_requests_exactly_the_new_partitions(
    tmp_path, settings, monkeypatch
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    monkeypatch.setenv("AREAVASTA_INBOX", str(inbox))
    good = write_sample(inbox, generate_budget("237", 2025, "rendiconto"), "annex_amount_kinds")
    bad = m.edit_xlsx(m.template(tmp_path / "g.xlsx"), inbox / "sbagliato.xlsx", "Dati", {"A6": "77"})
    first = daemon.tick(settings)  # the tick notices the files: one intake run, nothing received yet
    assert [(r.job_name, r.partition_key) for r in first.run_requests] == [("inbox_job", None)]
    assert receipts.all_receipts(settings) == [] and good.exists() and bad.exists()
    instance = dg.DagsterInstance.ephemeral()
    served = daemon.serve(settings, instance)
    assert served.partitions() == {"2025|237"} and served.partitions("inbox_job") == {None}
    added = {(r.partitions_def_name, tuple(r.partition_keys)) for r in served.ticks[1].dynamic_partitions_requests}
    assert added == {("anno", ("2025",))}  # the year: bodies are data inside it
    assert (inbox / "accepted" / good.name).exists() and (inbox / "rejected" / bad.name).exists()
    text = (inbox / "rejected" / "sbagliato.xlsx.rilievi.txt").read_text(encoding="utf-8")
    assert "MISSION_UNKNOWN" in text and "Missione '77' inesistente" in text
    assert (inbox / "rejected" / "sbagliato.xlsx.findings.json").exists()
    [intake] = [r for r in served.runs if r.dagster_run.job_name == "inbox_job"]
    assert not intake.success  # the rejection is a failed run, carrying the findings
    failure = intake.get_step_failure_events()[0].step_failure_data.user_failure_data
    assert "sbagliato.xlsx: file respinto" in failure.description
    assert failure.metadata["findings"].value["sbagliato.xlsx"][0]["code"] == "MISSION_UNKNOWN"
    assert [e.asset_key.to_user_string() for e in intake.get_asset_materialization_events()] == ["archived_uploads"]
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        lines = con.execute("SELECT count(*) FROM core.budget_lines WHERE body = '237'").fetchone()[0]
    assert lines > 0
    shutil.copy(inbox / "accepted" / good.name, inbox / good.name)  # the same file again: received, nothing changes
    daemon.serve(settings, instance, served.cursor)
    assert [r.status for r in receipts.all_receipts(settings)] == ["current", "unchanged"]


def test_sensor_registered_partitions_land_in_the_instance(tmp_path, settings, monkeypatch):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    monkeypatch.setenv("AREAVASTA_INBOX", str(inbox))
    write_sample(inbox, generate_budget("002", 2024, "rendiconto"), "annex_amount_kinds")
    instance = dg.DagsterInstance.ephemeral()
    served = daemon.serve(settings, instance, full=True)
    assert instance.get_dynamic_partitions(YEARS.name) == ["2024"]
    assert served.partitions() == {"2024|002"} and all(r.success for r in served.runs)
    assert (settings.outputs_dir / "reports" / "002_2024_rendiconto.xlsx").exists()


def test_annual_schedule_reruns_the_latest_year_of_every_body():
    with dg.instance_for_test() as instance:
        assert isinstance(annual_rerun(dg.build_schedule_context(instance=instance)), dg.SkipReason)
        instance.add_dynamic_partitions("anno", ["2023", "2024", "2025"])
        request = annual_rerun(
            dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime.datetime(2026, 5, 15, 6))
        )
    assert request.partition_key == "2025" and "areavasta/enti" not in request.tags  # every body with data
    assert set(annual_job.selection.resolve(defs.resolve_asset_graph())) == {a.key for a in ALL_ASSETS}
    assert annual_rerun.execution_timezone == "Europe/Rome" and annual_rerun.cron_schedule == "0 6 15 5 *"


def test_a_new_years_upload_refreshes_its_body_and_the_years_tables_in_its_own_run(tmp_path, settings, monkeypatch):
    """As deployed: the sensor requests a receipt's year (a year never seen) for its body; that one run loads it,
    computes the body's stages, the year's tables across bodies (peers, overview, scenarios) and the body's workbook
    and page, and leaves the other bodies' own stages alone."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    monkeypatch.setenv("AREAVASTA_INBOX", str(inbox))
    with dg.instance_for_test() as instance:
        write_sample(inbox, generate_budget("237", 2024, "rendiconto"), "annex_amount_kinds")
        served = daemon.serve(settings, instance, full=True)
        assert served.partitions() == {"2024|237"} and all(r.success for r in served.runs)
        write_sample(inbox, generate_budget("036", 2023, "rendiconto"), "annex_amount_kinds")  # another body
        served = daemon.serve(settings, instance, served.cursor, full=True)
        assert served.partitions() == {"2023|036"} and all(r.success for r in served.runs)
        # the year arrives for a second body: its run computes that body only, the year's tables for both
        write_sample(inbox, generate_budget("237", 2023, "rendiconto"), "annex_amount_kinds")
        served = daemon.serve(settings, instance, served.cursor, full=True)
        assert "2023" in instance.get_dynamic_partitions(YEARS.name)
        assert served.partitions() == {"2023|237"} and all(r.success for r in served.runs)
        [run] = [r for r in served.runs if r.dagster_run.job_name == "ingest_job"]
        materialised = {e.asset_key.to_user_string() for e in run.get_asset_materialization_events()}
        assert materialised == {a.key.to_user_string() for a in ALL_ASSETS}  # every stage, in this one run
        assert run.dagster_run.tags["areavasta/enti"] == "237"
        [scenarios] = [e for e in run.get_asset_materialization_events() if e.asset_key.path == ["scenarios"]]
        assert scenarios.materialization.metadata["enti"].value == 1  # its own body's scenarios, not the year's
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        computed = con.execute(
            "SELECT asset, body FROM core.body_runs WHERE year = 2023 AND run_id = ?", [run.dagster_run.run_id]
        ).fetchall()
        peers = con.execute("SELECT DISTINCT body FROM core.peer_benchmarks WHERE year = 2023").fetchall()
        compared = con.execute("SELECT DISTINCT body FROM core.scenario_comparison WHERE year = 2023").fetchall()
    assert computed and {body for _, body in computed} == {"237"}  # the other body's stages not recomputed
    assert {"036", "237"} <= {b for (b,) in peers}  # the year's peers hold both bodies
    assert {b for (b,) in compared} == {"036", "237"}  # the other body's scenarios kept as its own run stored them
    projections = sorted((settings.outputs_dir / "scenarios").glob("*_projection.csv"))
    assert projections and all(
        set(pl.read_csv(p, schema_overrides={"body": pl.String})["body"]) == {"036", "237"} for p in projections
    )  # the files still cover the year's bodies
    assert (settings.outputs_dir / "reports" / "237_2023_rendiconto.xlsx").exists()
    assert (settings.outputs_dir / "dashboards" / "237_2023_rendiconto.html").exists()


def test_a_locked_warehouse_does_not_touch_the_tick_which_never_opens_it(tmp_path, settings, monkeypatch):
    """Issue 25 (7), then issue 28: the daemon times ticks out at 60 s, so the tick never waits for the warehouse; now
    it never opens it at all: with the warehouse held by another process it still requests the runs at once (the run
    waits for the warehouse, bounded, and says who holds it)."""
    import subprocess
    import sys
    import time

    monkeypatch.setenv("AREAVASTA_INBOX", str(tmp_path / "inbox"))
    upload = write_sample(tmp_path, generate_budget("002", 2024, "rendiconto"), "annex_amount_kinds")
    receive(upload, settings, Uploader("ufficio.vc", frozenset({"002"})))
    with warehouse.connect(settings.warehouse_path):
        pass
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); time.sleep(120)",
            str(settings.warehouse_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        started = time.monotonic()
        result = daemon.tick(settings)
        assert time.monotonic() - started < 10
        assert daemon.requested(result.run_requests) == {"2024|002"}
    finally:
        holder.kill()
        holder.wait()


def test_a_stage_writing_rows_that_break_their_schema_fails_the_check_named_for_the_table(loaded, monkeypatch):
    """The rows are validated as they are written (issue 30: no read back): a staff share of 1.5 written by the matrix
    stage fails ``schema_ruffini_matrix`` with the row among the failure cases, and only for that table."""
    real = warehouse._fitted

    def spoiled(table, frame, keys):
        fitted, keys = real(table, frame, keys)
        if table.name == "ruffini_matrix" and fitted.height:
            fitted = fitted.with_columns(
                staff_share=pl.when(pl.int_range(pl.len()) == 0).then(1.5).otherwise("staff_share")
            )
        return fitted, keys

    monkeypatch.setattr(warehouse, "_fitted", spoiled)
    result = _first_body_layer(loaded)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["schema_ruffini_matrix"].passed
    assert "1.5" in str(checks["schema_ruffini_matrix"].metadata["failure_cases"].value)
    assert checks["schema_function_metrics"].passed and checks["schema_matrix_movement"].passed


def test_the_outputs_of_several_years_are_drawn_a_year_at_a_time(loaded, monkeypatch):
    """Ten years of outputs at once held 8 GB (issue 30): each year's tables are read and drawn before the next."""
    from pipelines import stage_outputs

    seen = []
    real = stage_outputs.stage_reports

    def watched(con, keys, *args, **kwargs):
        seen.append(sorted(keys["year"].unique().to_list()))
        return real(con, keys, *args, **kwargs)

    monkeypatch.setattr(stage_outputs, "stage_reports", watched)
    [result] = run_pipeline(dg.DagsterInstance.ephemeral(), [2024, 2025], home=str(loaded.home))
    assert seen == [[2024], [2025]]
    events = [e for e in result.get_asset_materialization_events() if e.asset_key.path == ["report_workbooks"]]
    metadata = events[0].materialization.metadata  # one event per year, the run's metadata on each
    assert metadata["workbooks"].value == 4  # two bodies, two years: the years' counts added
    assert metadata["folder"].value == str(loaded.outputs_dir / "reports")  # said once, not joined
