"""Every write in the graph (issue 28): the inbox sensor only notices and requests; the intake of the folder's files
is a run of ``archived_uploads``, and loading the pending receipts is what the ``budget_lines`` asset does."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from sources import receipts
from sources.intake import receive
from sources.receipts import Uploader
from sources.samples.budget import generate_budget
from tests import daemon
from tests.conftest import write_sample
from warehouse import store as warehouse


@pytest.fixture
def waiting(tmp_path, settings, monkeypatch):
    """A file dropped in the inbox folder (Bologna) and an upload the portal registered (Vercelli, by its officer)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    monkeypatch.setenv("AREAVASTA_INBOX", str(inbox))
    dropped = write_sample(inbox, generate_budget("237", 2025, "rendiconto"), "template")
    portal = write_sample(tmp_path / "portale", generate_budget("002", 2025, "rendiconto"), "template")
    _, receipt = receive(portal, settings, Uploader("ufficio.vc", frozenset({"002"})), keep=True)  # as the portal does
    assert receipt.status == receipts.RECEIVED
    return settings, dropped


def _lines(settings) -> dict[str, int]:
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        return dict(con.execute("SELECT body, count(*) FROM core.budget_lines GROUP BY body").fetchall())


def test_the_tick_opens_no_warehouse_and_reads_no_file(waiting, monkeypatch):
    settings, dropped = waiting

    def forbidden(*args, **kwargs):
        raise AssertionError("the sensor's tick must not do this")

    monkeypatch.setattr(duckdb, "connect", forbidden)  # no DuckDB, not even to read
    monkeypatch.setattr("pipelines.inbox.receive", forbidden)  # no intake, no validation
    monkeypatch.setattr("sources.intake.validate_file", forbidden)
    monkeypatch.setattr("warehouse.loading.load_receipts", forbidden)
    result = daemon.tick(settings)
    requested = {(r.job_name, key) for r in result.run_requests for key in daemon.requested([r])}
    assert requested == {("inbox_job", None), ("ingest_job", "2025|002")}
    assert not settings.warehouse_path.exists() and dropped.exists()  # nothing written, the file where it was
    assert [r.status for r in receipts.all_receipts(settings)] == [receipts.RECEIVED]


def test_a_folder_file_and_a_portal_upload_reach_the_lines_through_the_budget_lines_asset(waiting):
    settings, _ = waiting
    instance = dg.DagsterInstance.ephemeral()
    served = daemon.serve(settings, instance)
    jobs = [r.dagster_run.job_name for r in served.runs]
    assert jobs[0] == "inbox_job" and set(jobs[1:]) == {"__ephemeral_asset_job__"}  # intake, then budget_lines
    assert served.partitions() == {"2025|002", "2025|237"}
    assert _lines(settings).keys() == {"002", "237"}
    loaded = [
        event.materialization.metadata
        for result in served.runs
        for event in result.get_asset_materialization_events()
        if event.asset_key == dg.AssetKey("budget_lines")
    ]
    # the first budget_lines run loaded both pending receipts, in order of receipt (the portal's came first)
    assert [m["receipts_loaded"].value for m in loaded] == [2, 0]
    assert loaded[0]["loaded_partitions"].value == ["2025|002", "2025|237"]
    assert [r.status for r in receipts.all_receipts(settings)] == [receipts.CURRENT, receipts.CURRENT]
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        who = dict(con.execute("SELECT body, any_value(received_by) FROM core.uploads GROUP BY body").fetchall())
    assert who == {"002": "ufficio.vc", "237": "cartella inbox"}  # the folder's operator


def test_a_file_changed_after_the_tick_is_left_to_the_tick_that_sees_it_as_it_is(tmp_path, settings, monkeypatch):
    """The intake run receives the files as the sensor noticed them (name, size, time); one replaced meanwhile is
    received by the run the next tick requests, once, as it is then."""
    import os

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    monkeypatch.setenv("AREAVASTA_INBOX", str(inbox))
    dropped = write_sample(inbox, generate_budget("237", 2025, "rendiconto"), "template")
    noticed = daemon.tick(settings)
    first = write_sample(tmp_path / "b", generate_budget("036", 2025, "rendiconto"), "template")
    os.replace(first, dropped)  # the operator drops a corrected file under the same name
    instance = dg.DagsterInstance.ephemeral()
    [request] = noticed.run_requests
    assert daemon.run(settings, request, instance).success
    assert receipts.all_receipts(settings) == [] and dropped.exists()  # not the file it was told about
    served = daemon.serve(settings, instance)
    assert served.partitions() == {"2025|036"} and _lines(settings).keys() == {"036"}
