"""Readiness from the run itself (issue 29): the officer's page says "ready" only from what a run recorded on the
upload, links only files that include the upload, says in words when no run took the file or a run failed, and shows a
receipt number, never a checksum."""

from __future__ import annotations

import datetime as dt
import html
import re
import sqlite3

import polars as pl
import pytest
from starlette.testclient import TestClient

from dashboards import accounts
from dashboards.portal import create_app
from pipelines import readiness as run_records
from pipelines.stages import keys_frame
from sources import readiness, receipts
from sources.samples.budget import generate_budget
from tests.conftest import write_sample
from tests.test_portal import _login, _upload
from warehouse import store as warehouse
from warehouse.loading import load_receipts

STEM = "237_2025_rendiconto"
HEX64 = re.compile(r"\b[0-9a-f]{64}\b")


class Clock:
    """The portal's clock, moved by the test instead of sleeping."""

    def __init__(self):
        self.now = dt.datetime.now(dt.UTC).replace(tzinfo=None)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def portal(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("AREAVASTA_SECRET", "test-secret-" + "x" * 40)
    monkeypatch.setenv("AREAVASTA_INBOX", str(tmp_path / "inbox"))
    accounts.add_user(settings, "ufficio.bo", "officer", "237", "pw-bologna")
    accounts.add_user(settings, "pianificatore", "planner", None, "pw-planner")
    clock = Clock()
    client = TestClient(create_app(settings, max_upload_mb=5, clock=clock))
    _login(client, "ufficio.bo", "pw-bologna")
    return settings, client, clock


def _sent(client, path) -> str:
    response = _upload(client, path)
    assert response.status_code == 303
    return response.headers["location"].rsplit("/", 1)[1]


def _variant(cents: int):
    """237's 2025 final accounts, each amount ``cents`` higher: another file, no worse than the first."""
    return generate_budget("237", 2025, "rendiconto").with_columns(pl.col("amount_cents") + cents)


def _record_of(settings, upload_id: str):
    record = accounts.upload(settings, upload_id)
    return record, receipts.get(settings, record["receipt_seq"])


def _write_outputs(settings, marker: str) -> list:
    """The three files a run writes for 237's 2025 final accounts (what they hold: ``marker``)."""
    written = []
    for kind, suffix in (("dashboards", "html"), ("reports", "xlsx"), ("reports", "docx")):
        path = settings.outputs_dir / kind / f"{STEM}.{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{marker} {suffix}", encoding="utf-8")
        written.append(path)
    return written


def _run_wrote(settings, run_id: str, files: list) -> int:
    """What the outputs stages do after writing (``pipelines.factory.execute``)."""
    with warehouse.connect(settings.warehouse_path) as con:
        return run_records.record_outputs(con, settings, keys_frame([("237", 2025)]), run_id, files)


def _readiness_of(page: str) -> str:
    found = re.search(r'<p id="readiness"[^>]*data-state="([a-z_]+)"', page)
    return found.group(1) if found else ""


def test_ready_only_after_the_run_records_outputs_that_include_the_upload(portal, tmp_path):
    settings, client, clock = portal
    first = _sent(
        client, write_sample(tmp_path / "a", generate_budget("237", 2025, "rendiconto"), "annex_amount_kinds")
    )
    _write_outputs(settings, "written before the upload was loaded")  # an older run's files are already there
    page = client.get(f"/uploads/{first}").text
    assert _readiness_of(page) == "queued" and "elaborazione in corso" in page and 'http-equiv="refresh"' in page
    assert f"/esiti/reports/{STEM}.xlsx" not in page and f"/files/reports/{STEM}.xlsx" not in page

    load_receipts(settings)  # the run's budget_lines took it: loaded, no outputs yet
    page = client.get(f"/uploads/{first}").text
    assert _readiness_of(page) == "preparing" and "in preparazione" in page and "esiti/" not in page
    assert client.get(f"/uploads/{first}/esiti/reports/{STEM}.xlsx").status_code == 409  # older files: refused

    assert _run_wrote(settings, "run-1", _write_outputs(settings, "run 1")) == 1
    page = client.get(f"/uploads/{first}").text
    assert _readiness_of(page) == "ready" and "Elaborazione completata" in page and 'http-equiv="refresh"' not in page
    link = re.search(rf'href="(/uploads/{first}/esiti/reports/{STEM}\.xlsx)"', page).group(1)
    assert client.get(link).content == b"run 1 xlsx"
    record, fate = _record_of(settings, first)
    assert fate.outputs[f"{STEM}.xlsx"]["run_id"] == "run-1" and set(fate.outputs) == {
        f"{STEM}.{s}" for s in ("html", "xlsx", "docx")
    }

    # a re-upload: its page is not ready while the files on disk are the previous run's, and its links are refused
    second = _sent(client, write_sample(tmp_path / "b", _variant(1), "annex_amount_kinds"))
    load_receipts(settings)
    page = client.get(f"/uploads/{second}").text
    assert _readiness_of(page) == "preparing" and "esiti/" not in page
    assert client.get(f"/uploads/{second}/esiti/reports/{STEM}.xlsx").status_code == 409
    old = client.get(f"/uploads/{first}").text  # superseded: no links to files that are no longer its own
    assert "esiti/" not in old and _record_of(settings, first)[1].status == receipts.SUPERSEDED
    assert client.get(link).status_code == 409

    _run_wrote(settings, "run-2", _write_outputs(settings, "run 2"))
    page = client.get(f"/uploads/{second}").text
    assert _readiness_of(page) == "ready"
    assert client.get(f"/uploads/{second}/esiti/reports/{STEM}.xlsx").content == b"run 2 xlsx"
    # a later run rewrites the workbook: until it records it, the link refuses rather than serve unrecorded bytes
    (settings.outputs_dir / "reports" / f"{STEM}.xlsx").write_text("half written", encoding="utf-8")
    assert client.get(f"/uploads/{second}/esiti/reports/{STEM}.xlsx").status_code == 409
    assert _readiness_of(client.get(f"/uploads/{second}").text) == "preparing"


def test_no_run_within_a_minute_is_said_in_words_with_whom_to_call(portal, tmp_path):
    settings, client, clock = portal
    upload_id = _sent(client, write_sample(tmp_path, generate_budget("237", 2025, "rendiconto"), "annex_amount_kinds"))
    clock.now = dt.datetime.fromisoformat(_record_of(settings, upload_id)[1].received_at)  # the register's time
    clock.advance(seconds=59)
    assert _readiness_of(client.get(f"/uploads/{upload_id}").text) == "queued"
    clock.advance(seconds=2)
    page = client.get(f"/uploads/{upload_id}").text
    number = accounts.upload(settings, upload_id)["receipt_number"]
    assert _readiness_of(page) == "not_taken"
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "nessuna elaborazione lo ha preso in carico" in text and "l'amministratore del portale" in text
    assert f"ricevuta n. {number}" in text

    # the installation names its own support
    contact = "Ufficio CED, 051 123456"
    named = TestClient(create_app(settings.with_(support_contact=contact), clock=clock))
    _login(named, "ufficio.bo", "pw-bologna")
    assert contact in named.get(f"/uploads/{upload_id}").text


def test_english_words_are_complete():
    for key in ("queued", "not_taken", "preparing", "slow", "failed", "ready", "contact"):
        assert readiness.WORDS["en"][key] and readiness.WORDS["it"][key] != readiness.WORDS["en"][key]
    assert readiness.WORDS["en"]["stages"].keys() == readiness.WORDS["it"]["stages"].keys()
    assert {key for key in readiness.WORDS["it"]} == {key for key in readiness.WORDS["en"]}


def test_a_run_that_stops_before_the_outputs_leaves_the_upload_not_ready_with_a_message(portal, tmp_path):
    """Killed midway: loaded, nothing recorded: "in preparazione", and after a quarter of an hour whom to call. A run
    that fails with an error records it: the page says the computation failed, in words."""
    settings, client, clock = portal
    upload_id = _sent(client, write_sample(tmp_path, generate_budget("237", 2025, "rendiconto"), "annex_amount_kinds"))
    load_receipts(settings)  # budget_lines ran, then the process died
    assert _readiness_of(client.get(f"/uploads/{upload_id}").text) == "preparing"
    clock.advance(minutes=16)
    page = client.get(f"/uploads/{upload_id}").text
    assert _readiness_of(page) == "slow" and "non sono ancora pronti" in page and 'http-equiv="refresh"' not in page

    run_records.record_failure(settings, keys_frame([("237", 2025)]), "run-9", "ruffini_matrix")
    page = client.get(f"/uploads/{upload_id}").text
    assert _readiness_of(page) == "failed" and "non è riuscita" in page and "esiti/" not in page


def test_officer_pages_show_a_receipt_number_never_a_checksum(portal, tmp_path):
    settings, client, _ = portal
    ids = [
        _sent(
            client,
            write_sample(tmp_path / str(seed), _variant(seed), "annex_amount_kinds"),
        )
        for seed in (0, 1)
    ]
    numbers = [accounts.upload(settings, i)["receipt_number"] for i in ids]
    year = dt.date.today().year
    assert all(re.fullmatch(rf"{year}-\d{{4,}}", n) for n in numbers) and len(set(numbers)) == 2
    for url in (f"/uploads/{ids[0]}", "/body/237", "/"):
        page = client.get(url).text
        sha = accounts.upload(settings, ids[0])["sha256"]
        assert "SHA" not in page and not HEX64.search(page) and sha[:12] not in page, url
    assert f'Ricevuta n. <strong id="receipt">{numbers[0]}</strong>' in client.get(f"/uploads/{ids[0]}").text
    assert numbers[1] in client.get("/body/237").text
    # the number finds the upload (as the officer would type it, zeros or not)
    short = f"{year}-{int(numbers[1].split('-')[1])}"
    found = client.get(f"/ricevuta?numero={short}", follow_redirects=False)
    assert found.status_code == 303 and found.headers["location"] == f"/uploads/{ids[1]}"
    assert client.get("/ricevuta?numero=1999-0001").status_code == 404
    # the planner keeps the checksum, for auditors
    planner = TestClient(client.app)
    _login(planner, "pianificatore", "pw-planner")
    assert "SHA-256" in planner.get("/body/237").text


def test_receipt_numbers_are_given_to_uploads_logged_before_they_existed(settings):
    """An installation's portal.sqlite from before receipt numbers opens, and every upload gets one, in order."""
    folder = accounts.portal_dir(settings)
    folder.mkdir(parents=True)
    con = sqlite3.connect(folder / "portal.sqlite")
    con.executescript(accounts.SCHEMA)
    con.execute("ALTER TABLE users ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0")
    con.execute("ALTER TABLE uploads ADD COLUMN receipt_seq INTEGER")
    for i, when in enumerate(("2025-03-01T10:00:00", "2026-01-02T09:00:00", "2025-04-01T10:00:00")):
        con.execute(
            "INSERT INTO uploads VALUES (?, '237', 2025, 'rendiconto', 'f.xlsx', 'x', ?, 'u', ?, 'received', '[]', ?)",
            (f"old{i}", "a" * 64, when, i + 1),
        )
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    numbers = {u["id"]: u["receipt_number"] for u in accounts.uploads_of(settings)}
    assert numbers == {"old0": "2025-0001", "old2": "2025-0002", "old1": "2026-0001"}
    new = accounts.log_upload(
        settings,
        id="new",
        body="237",
        year=2026,
        phase="previsione",
        original_name="n.xlsx",
        stored_as="n",
        sha256="b" * 64,
        username="u",
        received_at="2026-05-01T08:00:00",
        status="received",
        findings_json="[]",
    )
    assert new == "2026-0002"
    with accounts.connect(settings) as again, pytest.raises(sqlite3.IntegrityError):  # unique in the installation
        again.execute("UPDATE uploads SET receipt_number = '2026-0001' WHERE id = 'new'")


def test_the_daemons_run_records_its_outputs_and_a_failing_run_its_failure(portal, tmp_path, monkeypatch):
    """Portal → intake → sensor → ingest_job (as the daemon runs it): the run that wrote the outputs recorded them on
    the upload; the next upload's run fails writing the workbook, and the officer reads that, not "in corso"."""
    import dagster as dg

    from pipelines import stage_outputs
    from tests import daemon

    settings, client, _ = portal
    first = _sent(
        client, write_sample(tmp_path / "a", generate_budget("237", 2025, "rendiconto"), "annex_amount_kinds")
    )
    instance = dg.DagsterInstance.ephemeral()
    served = daemon.serve(settings, instance, full=True)
    assert served.partitions() == {"2025|237"} and all(r.success for r in served.runs)
    page = client.get(f"/uploads/{first}").text
    assert _readiness_of(page) == "ready"
    fate = _record_of(settings, first)[1]
    assert {e["run_id"] for e in fate.outputs.values()} == {served.runs[0].run_id}
    workbook = settings.outputs_dir / "reports" / f"{STEM}.xlsx"
    assert client.get(f"/uploads/{first}/esiti/reports/{STEM}.xlsx").content == workbook.read_bytes()
    dashboard = client.get(re.search(r'id="dashboard" href="([^"]+)"', page).group(1))
    assert dashboard.status_code == 200 and "<html" in dashboard.text

    def boom(*args, **kwargs):
        raise RuntimeError("disco pieno")

    monkeypatch.setattr(stage_outputs, "stage_reports", boom)
    second = _sent(client, write_sample(tmp_path / "b", _variant(1), "annex_amount_kinds"))
    served = daemon.serve(settings, instance, served.cursor, full=True)
    assert served.runs and not all(r.success for r in served.runs)
    page = client.get(f"/uploads/{second}").text
    assert _readiness_of(page) == "failed" and "esiti/" not in page and 'http-equiv="refresh"' not in page
    text = html.unescape(page)
    assert "scrittura del rapporto e del cruscotto" in text and "disco pieno" not in text  # words, not the error
    assert client.get(f"/uploads/{second}/esiti/reports/{STEM}.xlsx").status_code == 409
