"""Every write path is an authorisation path: portal → receipt → sensor → warehouse, tried as an attacker would.

An officer may write only their own body, whatever the file holds; the uploader's name reaches the
warehouse's register; the latest receipt of a partition ends current, whatever the order in which
files are named, loaded or sent by concurrent clients.
"""

from __future__ import annotations

import os
import re
import threading

import polars as pl
import pytest
from starlette.testclient import TestClient

from dashboards import accounts
from dashboards.portal import create_app
from sources import receipts
from sources.intake import receive
from sources.receipts import Uploader
from sources.samples.budget import generate_budget
from tests import daemon
from tests import malformed as m
from tests.conftest import write_sample
from warehouse import store as warehouse
from warehouse.ingest import ingest_files
from warehouse.loading import load_receipts


@pytest.fixture
def portal(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("AREAVASTA_SECRET", "authz-secret-" + "z" * 40)
    monkeypatch.setenv("AREAVASTA_INBOX", str(tmp_path / "inbox"))
    return settings, create_app(settings, max_upload_mb=5)


def _client(app, username: str, password: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": username, "password": password, "csrf": token}, follow_redirects=False)
    return client, re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)


def _post(client, token, path, year, phase="rendiconto"):
    with path.open("rb") as handle:
        return client.post(
            "/upload",
            data={"year": str(year), "phase": phase, "csrf": token},
            files={"file": (path.name, handle, "application/octet-stream")},
            follow_redirects=False,
        )


def _tick(settings) -> daemon.Served:
    """The sensor's ticks and the runs they request, as the daemon does (the receipts are loaded by budget_lines)."""
    return daemon.serve(settings)


def _state(settings, body: str) -> tuple:
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        return con.execute(
            "SELECT count(*), sum(amount_cents) FROM core.budget_lines WHERE body = ?", [body]
        ).fetchone()


def test_officer_cannot_overwrite_another_body_with_a_multi_body_file(portal, tmp_path):
    """The reported attack: an officer of 237 uploads a BDAP CSV that also holds 036's rows."""
    settings, app = portal
    accounts.add_user(settings, "ufficio.bo", "officer", "237", "pw-bologna")
    ingest_files(
        [write_sample(tmp_path, generate_budget("036", 2024, "rendiconto"), "template")], settings, user="ufficio.mo"
    )
    before = _state(settings, "036")
    assert before[0] > 0
    attack = m.bdap(tmp_path / "bdap_2024.csv", bodies=("237", "036"), year=2024)
    client, token = _client(app, "ufficio.bo", "pw-bologna")
    status = client.get(_post(client, token, attack, 2024).headers["location"]).text
    assert "elaborazione in corso" in status  # 237's own rows are accepted...
    [receipt] = receipts.pending(settings)
    assert receipt.uploader == Uploader("ufficio.bo", frozenset({"237"})) and receipt.body == "237"
    result = _tick(settings)  # ...and the run the sensor requests, loading the receipt, applies the same rights again
    assert result.partitions() == {"2024|237"}
    assert _state(settings, "036") == before  # untouched
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        register = con.execute(
            "SELECT body, received_by, original_name, status FROM core.uploads ORDER BY body"
        ).fetchall()
    assert ("237", "ufficio.bo", "bdap_2024.csv", "current") in register
    assert [r for r in register if r[0] == "036"] == [("036", "ufficio.mo", register[0][2], "current")]


def test_rows_of_other_bodies_are_refused_with_a_finding_that_says_so(settings, tmp_path):
    attack = m.bdap(tmp_path / "bdap_2024.csv", bodies=("237", "036"), year=2024)
    validation, receipt = receive(attack, settings, Uploader("ufficio.bo", frozenset({"237"})))
    [refused] = [f for f in validation.findings if f.code == "BODY_ROWS_REFUSED"]
    assert "036" in refused.message("it") and "ufficio.bo" in refused.message("it") and "036" in refused.message("en")
    assert set(validation.lines["body"]) == {"237"} and receipt is not None
    only_theirs = m.bdap(tmp_path / "solo_036.csv", bodies=("036",), year=2024)
    validation, receipt = receive(only_theirs, settings, Uploader("ufficio.bo", frozenset({"237"})))
    assert receipt is None and "BDAP_NO_BODY" in {f.code for f in validation.findings}
    assert receipts.pending(settings) == [] or all(
        r.original_name != "solo_036.csv" for r in receipts.pending(settings)
    )


def test_a_single_body_file_of_another_body_is_refused(settings, tmp_path):
    other = write_sample(
        tmp_path, generate_budget("036", 2024, "rendiconto"), "template"
    )  # the template names its body
    validation, receipt = receive(other, settings, Uploader("ufficio.bo", frozenset({"237"})))
    assert receipt is None and "BODY_NOT_ALLOWED" in {f.code for f in validation.findings}


def test_a_forged_receipt_cannot_widen_the_rights_at_load(settings, tmp_path):
    """Even a receipt edited on disk to name another body is loaded only within its uploader's rights."""
    attack = m.bdap(tmp_path / "bdap_2024.csv", bodies=("237", "036"), year=2024)
    _, receipt = receive(attack, settings, Uploader("ufficio.bo", frozenset({"237"})))
    receipt.body = None  # as if the file had been received for every body
    [outcome] = load_receipts(settings, [receipt])
    assert outcome.status == "accepted" and {b for b, _, _ in outcome.partitions} == {"237"}


def test_the_latest_receipt_stays_current_whatever_the_loading_order(settings, tmp_path):
    first = write_sample(tmp_path / "a", generate_budget("237", 2024, "rendiconto"), "template")
    second = write_sample(
        tmp_path / "b",
        generate_budget("237", 2024, "rendiconto").with_columns(pl.col("amount_cents") + 100),
        "template",
    )
    uploader = Uploader("ufficio.bo", frozenset({"237"}))
    _, older = receive(first, settings, uploader)
    _, newer = receive(second, settings, uploader)
    load_receipts(settings, [newer])
    load_receipts(settings, [older])  # arrives late (a retry): must not become current
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        register = dict(con.execute("SELECT receipt_seq, status FROM core.uploads").fetchall())
        lines = con.execute("SELECT DISTINCT source_sha256 FROM core.budget_lines").fetchall()
    assert register == {newer.seq: "current", older.seq: "superseded"} and lines == [(newer.sha256,)]
    assert [r.status for r in receipts.all_receipts(settings)] == [
        "superseded",
        "current",
    ]  # the register says what the warehouse holds


def test_twenty_uploads_from_four_concurrent_clients_end_with_the_latest_receipt_current(portal, tmp_path):
    settings, app = portal
    bodies = ["002", "036", "237", "201", "215", "024", "028", "029", "003", "004"]
    for body in bodies:
        accounts.add_user(settings, f"ufficio.{body}", "officer", body, f"pw-{body}")
    files = {}
    for body in bodies:
        base = generate_budget(body, 2025, "rendiconto")
        files[body] = [
            write_sample(tmp_path / f"{body}_{n}", base.with_columns(pl.col("amount_cents") + n), "template")
            for n in (1, 2)
        ]
    errors = []

    def client_work(group: list[str]) -> None:
        try:
            for round_ in (0, 1):
                for body in group:
                    client, token = _client(app, f"ufficio.{body}", f"pw-{body}")
                    assert _post(client, token, files[body][round_], 2025).status_code == 303
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=client_work, args=(bodies[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    registered = receipts.pending(settings)
    assert len(registered) == 20 and [r.seq for r in registered] == sorted(r.seq for r in registered)
    latest = {}
    for receipt in registered:
        latest[receipt.body] = receipt.sha256  # in order of receipt: the last one wins
    _tick(settings)
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        current = dict(con.execute("SELECT body, sha256 FROM core.uploads WHERE status = 'current'").fetchall())
        by_whom = dict(con.execute("SELECT body, any_value(received_by) FROM core.uploads GROUP BY body").fetchall())
    assert current == latest
    assert by_whom == {b: f"ufficio.{b}" for b in bodies}


def test_a_backlog_validated_in_batches_keeps_each_receipt_s_own_rights(settings, tmp_path, monkeypatch):
    """The sensor validates a backlog of receipts a chunk at a time: each file is still read within its own
    uploader's rights, and a file damaged in the archive after its receipt stops only itself."""
    monkeypatch.setattr("warehouse.loading.CHUNK_FILES", 2)
    bologna, vercelli = Uploader("ufficio.bo", frozenset({"237"})), Uploader("ufficio.vc", frozenset({"002"}))
    _, forged = receive(m.bdap(tmp_path / "bdap_2024.csv", bodies=("237", "002"), year=2024), settings, bologna)
    forged.body = None  # edited on disk to name every body
    _, theirs = receive(
        write_sample(tmp_path / "vc", generate_budget("002", 2024, "rendiconto"), "template"), settings, vercelli
    )
    _, damaged = receive(
        write_sample(tmp_path / "bo", generate_budget("237", 2025, "rendiconto"), "template"), settings, bologna
    )
    _, also_bdap = receive(m.bdap(tmp_path / "bdap_2023.csv", bodies=("237", "002"), year=2023), settings, vercelli)
    archived = damaged.archive_path
    os.chmod(archived, 0o600)
    with open(archived, "wb") as stored:
        stored.write(b"PK\x03\x04 not a workbook any more")
    outcomes = load_receipts(settings, [forged, theirs, damaged, also_bdap])
    assert [o.status for o in outcomes] == ["accepted", "accepted", "rejected", "accepted"]
    assert {b for b, _, _ in outcomes[0].partitions} == {"237"} and {b for b, _, _ in outcomes[3].partitions} == {"002"}
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        bodies = dict(
            con.execute("SELECT source_sha256, list(DISTINCT body) FROM core.budget_lines GROUP BY 1").fetchall()
        )
    assert bodies == {forged.sha256: ["237"], theirs.sha256: ["002"], also_bdap.sha256: ["002"]}
    assert [r.status for r in receipts.all_receipts(settings)] == ["current", "current", "rejected", "current"]


def test_the_same_file_sent_by_two_bodies_loads_for_each(settings, tmp_path):
    """Issue 25 (4): the officer of 036 sends the BDAP summary the officer of 237 sent first: the bytes are the same,
    the partitions are not, so 036's rows load too. Never deduplicated by the bytes alone; the same file for the same
    body is."""
    summary = m.bdap(tmp_path / "bdap_2024.csv", bodies=("237", "036"), year=2024)
    _, first = receive(summary, settings, Uploader("ufficio.bo", frozenset({"237"})))
    _, second = receive(summary, settings, Uploader("ufficio.mo", frozenset({"036"})))
    outcomes = load_receipts(settings)
    assert [o.status for o in outcomes] == ["accepted", "accepted"]
    assert _state(settings, "036")[0] > 0 and _state(settings, "237")[0] > 0
    _, again = receive(summary, settings, Uploader("ufficio.mo", frozenset({"036"})))
    assert [o.status for o in load_receipts(settings)] == ["unchanged"]
    # the command line too: an operator's ingest of the same bytes brings every body, and changes nothing already in use
    assert [o.status for o in ingest_files([summary], settings)] == ["unchanged"]
