"""Never silently worse: a replacement that would make the data worse is held until the body's officer confirms it.

The files are built from the official schemes, not by ``areavasta sample``: the official annex of final
accounts by programme (``tests/fixtures/official``), the "formato aperto" export of the same body (mission
detail), and a draft the officer filled by hand in the template (seven lines). Each rule is tried alone;
then the real paths: command line, portal → intake → sensor → warehouse (with a second officer trying to
confirm another body's file), concurrent uploads, a kill -9 between the commit and the register, rebuild.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import dagster as dg
import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboards import accounts
from dashboards.portal import create_app
from sources import receipts, replacement, validated
from sources.intake import receive
from sources.receipts import Uploader
from sources.template import write_template
from tests import daemon
from tests.test_intake_authorisation import (  # the same portal client and sensor tick
    _client,
    _tick,
)
from transforms import replacement as logic
from warehouse import store as warehouse
from warehouse.ingest import ingest_files
from warehouse.loading import load_receipts
from warehouse.rebuild import rebuild_warehouse

OFFICIAL = Path(__file__).parent / "fixtures" / "official"
ROOT = Path(__file__).parents[1]
ANNEX = OFFICIAL / "allegato_rendiconto_2023_macroaggregati.xlsx"  # Padova (028), final accounts 2023, by programme
OPEN_FORMAT = (
    OFFICIAL / "rendiconto_2022_formato_aperto_spese_nomi_danneggiati.csv"
)  # the same body's export: missions only
PADOVA = Uploader("ufficio.pd", frozenset({"028"}))
RULES = replacement.rules()


# --- the rules, one at a time -----------------------------------------------------------------------------------------


def _summary(missions: dict[str, int], programmes=("04.02", "10.05"), detail="programma", per_inhabitant=150.0) -> dict:
    titles = {"1": sum(missions.values())}
    return {
        "body": "028",
        "year": 2023,
        "phase": "rendiconto",
        "table": "budget",
        "amount_kind": "impegni",
        "lines": 100,
        "detail": detail,
        "total_cents": sum(missions.values()),
        "titles": titles,
        "missions": missions,
        "programmes": list(programmes),
        "per_inhabitant": per_inhabitant,
    }


BASE = {"01": 30_000_000_00, "04": 40_000_000_00, "10": 60_000_000_00, "12": 500_00}


def _reasons(before, after, typical=140.0) -> list[str]:
    return [r["code"] for r in logic.compare(before, after, RULES, typical)["reasons"]]


def test_a_mission_with_spending_that_disappears_holds_the_file():
    after = {k: v for k, v in BASE.items() if k != "04"} | {"10": 100_000_000_00}  # same total, mission 04 gone
    assert _reasons(_summary(BASE), _summary(after)) == ["mission_gone"]
    assert _reasons(_summary(BASE), _summary(after | {"04": 0})) == [
        "mission_gone"
    ]  # listed with nothing in it is gone too
    # a few euro of a mission the body barely uses is not a loss of data (below mission_gone_min_eur)
    assert (
        _reasons(_summary(BASE), _summary({k: v for k, v in BASE.items() if k != "12"} | {"10": 60_000_500_00})) == []
    )


@pytest.mark.parametrize(
    "factor, held", [(0.5, True), (0.79, True), (0.8, False), (1.0, False), (1.2, False), (1.21, True), (1000, True)]
)
def test_the_total_may_move_by_at_most_the_set_share_either_way(factor, held):
    after = {k: round(v * factor) for k, v in BASE.items()}
    assert ("total_moved" in _reasons(_summary(BASE), _summary(after, per_inhabitant=None))) is held


def test_the_detail_dropping_from_programme_to_mission_holds_the_file():
    assert _reasons(_summary(BASE), _summary(BASE, programmes=(), detail="missione")) == ["detail_dropped"]
    assert _reasons(_summary(BASE, programmes=(), detail="missione"), _summary(BASE)) == []  # more detail is better


def test_spending_per_inhabitant_leaving_the_national_range_holds_the_file():
    low, high = RULES["per_inhabitant_range"]
    assert _reasons(_summary(BASE), _summary(BASE, per_inhabitant=140 * low - 1)) == ["per_inhabitant_out"]
    assert _reasons(_summary(BASE), _summary(BASE, per_inhabitant=140 * high + 1)) == ["per_inhabitant_out"]
    assert _reasons(_summary(BASE), _summary(BASE, per_inhabitant=140 * low)) == []
    # already outside before: the replacement is not what made it worse
    assert _reasons(_summary(BASE, per_inhabitant=5.0), _summary(BASE, per_inhabitant=4.0)) == []


def test_a_file_that_brings_spending_back_into_the_national_range_is_a_correction():
    """The complete budget after a draft moves the total by +1,700 %: not held, since it restores what was
    implausible."""
    draft = _summary({k: v // 20 for k, v in BASE.items()}, per_inhabitant=7.5)
    assert _reasons(draft, _summary(BASE, per_inhabitant=150.0)) == []
    assert _reasons(draft, _summary({k: v * 3 for k, v in BASE.items()}, per_inhabitant=3.0)) == [
        "total_moved"
    ]  # still out


missions = st.dictionaries(
    st.sampled_from(["01", "04", "05", "08", "09", "10", "12", "50", "99"]),
    st.integers(min_value=1_000_00, max_value=10**11),
    min_size=1,
)


@given(missions, st.floats(min_value=0.81, max_value=1.19))
def test_the_same_budget_scaled_within_the_share_is_never_held(spending, factor):
    before = _summary(spending)
    after = _summary({k: round(v * factor) for k, v in spending.items()}, per_inhabitant=150.0 * factor)
    assert logic.compare(before, after, RULES, 140.0)["reasons"] == []
    assert logic.compare(before, before, RULES, 140.0)["worse"] is False


@given(missions, st.sampled_from(["01", "04", "05", "08", "09", "10", "12", "50", "99"]))
def test_dropping_a_mission_that_had_spending_is_always_seen(spending, gone):
    spending = spending | {gone: 5_000_000_00}
    after = {k: v for k, v in spending.items() if k != gone}
    comparison = logic.compare(_summary(spending), _summary(after), RULES, None)
    assert {"code": "mission_gone", "params": {"mission": gone, "before": 5_000_000_00}} in comparison["reasons"]
    row = next(r for r in comparison["missions"] if r["code"] == gone)
    assert (row["before"], row["after"], row["difference"]) == (5_000_000_00, 0, -5_000_000_00)


def test_the_summary_of_the_official_annex_is_the_file_s_own_totals(settings):
    import json

    from sources.intake import validate_file

    expected = json.loads((OFFICIAL / "expected.json").read_text(encoding="utf-8"))[ANNEX.name]
    lines = validate_file(ANNEX, settings, body="028", year=2023, phase="rendiconto").lines
    summary = replacement.summarise(lines)["028|2023|rendiconto"]
    assert summary["missions"] == expected["mission_totals"]["impegni"] and summary["detail"] == "programma"
    assert summary["lines"] == lines.height and summary["amount_kind"] == "impegni"
    assert summary["total_cents"] == sum(v for t, v in summary["titles"].items() if t in ("1", "2"))


# --- files an officer really sends ------------------------------------------------------------------------------------


def draft_of_bologna(path: Path) -> Path:
    """The officer's hand-filled draft of the 2026 forecast: the product's template with seven lines."""
    write_template(path, "237", 2026, "previsione")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Dati"]
    rows = [
        ("10", "10.05", "1", "1.03", 3_512_000.00, "Manutenzione strade"),
        ("10", "10.05", "2", "2.02", 2_850_000.00, "SP 325"),
        ("04", "04.02", "1", "1.03", 1_420_689.14, "Utenze scuole"),
        ("04", "04.02", "2", "2.02", 1_750_000.00, "Adeguamento sismico"),
        ("09", "09.02", "1", "1.03", 310_000.00, "Aree protette"),
        ("01", "01.02", "1", "1.01", 397_000.00, "Segreteria"),
        ("08", "08.01", "1", "1.03", 100_000.00, "Piano territoriale metropolitano"),
    ]
    for i, (mission, programme, title, macro, euro, text) in enumerate(rows):
        for j, value in enumerate((mission, programme, title, macro, "Stanziamento di competenza", euro, "", text)):
            sheet.cell(row=6 + i, column=1 + j, value=value)
    workbook.save(path)
    return path


def open_format_copy(tmp_path: Path) -> Path:
    """The export under a name that says nothing (body, year and phase come from the upload, as in the portal)."""
    target = tmp_path / "spese_formato_aperto.csv"
    shutil.copyfile(OPEN_FORMAT, target)
    return target


def _lines_of(settings, body: str) -> tuple:
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        return con.execute(
            "SELECT count(*), count(DISTINCT source_sha256), any_value(source_file) FROM core.budget_lines "
            "WHERE body = ?",
            [body],
        ).fetchone()


def _cli(settings, *args):
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "AREAVASTA_LANG")},
        "AREAVASTA_HOME": str(settings.home),
    }
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def test_command_line_holds_the_draft_and_replaces_only_when_told(settings, tmp_path):
    complete = ROOT / "demo" / "inbox" / "237_2026_previsione_template.xlsx"
    assert _cli(settings, "ingest", complete).returncode == 0
    draft = draft_of_bologna(tmp_path / "bozza_2026.xlsx")
    held = _cli(settings, "ingest", draft)
    assert held.returncode == 4, held.stdout + held.stderr
    said = " ".join(held.stdout.split())
    assert (
        "in attesa di conferma" in said
        and "sparisce la spesa di 11 missioni (03, 05, 11, 12, 14, 15, 16, 18, 20, 50, 99: 39.909.066,53 € "
        "nel file in uso"
        in said
    )
    assert "la spesa complessiva cambia del -94 %" in said and "10,59 €" in said and "areavasta confirm 2" in said
    assert "Traceback" not in held.stderr and "held" not in said and "mission_gone" not in said  # no internal key
    assert _lines_of(settings, "237") == (6030, 1, complete.name)  # the complete budget stays in use
    english = " ".join(_cli(settings, "ingest", draft, "--lang", "en").stdout.split())
    assert "already loaded" in english or "waiting for confirmation" in english
    listed = " ".join(_cli(settings, "uploads").stdout.split())
    assert "in uso" in listed and "in attesa di conferma" in listed
    replaced = _cli(settings, "ingest", draft, "--replace")
    assert replaced.returncode == 0 and _lines_of(settings, "237") == (7, 1, draft.name)


def test_the_sensor_never_loads_a_held_file_and_a_newer_file_cancels_it(settings, tmp_path):
    receive(ANNEX, settings, PADOVA, body="028", year=2023, phase="rendiconto")
    load_receipts(settings)
    before = _lines_of(settings, "028")
    _, held = receive(open_format_copy(tmp_path), settings, PADOVA, body="028", year=2023, phase="rendiconto")
    assert held.status == receipts.HELD and {r["code"] for c in held.comparisons for r in c["reasons"]} == {
        "total_moved",
        "detail_dropped",
    }
    assert load_receipts(settings) == [] and _lines_of(settings, "028") == before
    assert receipts.get(settings, held.seq).status == receipts.HELD
    # the officer sends the right file again instead (a corrected annex): the held one is cancelled, never loaded
    corrected = tmp_path / "allegato_corretto.xlsx"
    workbook = openpyxl.load_workbook(ANNEX)
    workbook.active.title = workbook.active.title  # same content, other bytes: saved again by the office software
    workbook.save(corrected)
    _, newer = receive(corrected, settings, PADOVA, body="028", year=2023, phase="rendiconto")
    assert newer.status == receipts.RECEIVED and not newer.worse
    assert receipts.get(settings, held.seq).status == receipts.CANCELLED
    with pytest.raises(receipts.RegisterRefusal):
        receipts.confirm(settings, held.seq, PADOVA)  # cancelled is final


def test_only_the_body_s_own_officer_confirms(settings, tmp_path):
    receive(ANNEX, settings, PADOVA, body="028", year=2023, phase="rendiconto")
    _, held = receive(open_format_copy(tmp_path), settings, PADOVA, body="028", year=2023, phase="rendiconto")
    for stranger in (Uploader("ufficio.bo", frozenset({"237"})), Uploader("nessuno", frozenset())):
        with pytest.raises(receipts.RegisterRefusal):
            receipts.confirm(settings, held.seq, stranger)
        with pytest.raises(receipts.RegisterRefusal):
            receipts.cancel(settings, held.seq, stranger)
    assert receipts.get(settings, held.seq).status == receipts.HELD
    confirmed = receipts.confirm(settings, held.seq, PADOVA)
    assert (confirmed.status, confirmed.confirmed_by) == (receipts.RECEIVED, "ufficio.pd")
    [first, second] = load_receipts(settings)
    assert (first.status, second.status) == ("accepted", "accepted")
    assert [r.status for r in receipts.all_receipts(settings)] == [receipts.SUPERSEDED, receipts.CURRENT]


# --- portal → intake → sensor → warehouse -----------------------------------------------------------------------------


@pytest.fixture
def portal(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("AREAVASTA_SECRET", "replacement-secret-" + "r" * 40)
    monkeypatch.setenv("AREAVASTA_INBOX", str(tmp_path / "inbox"))
    accounts.add_user(settings, "ufficio.pd", "officer", "028", "pw-padova")
    accounts.add_user(settings, "ufficio.bo", "officer", "237", "pw-bologna")
    accounts.add_user(settings, "pianificatore", "planner", None, "pw-planner")
    return settings, create_app(settings, max_upload_mb=5)


def _post(client, token, path: Path, year=2023, phase="rendiconto"):
    with path.open("rb") as handle:
        response = client.post(
            "/upload",
            data={"year": str(year), "phase": phase, "csrf": token},
            files={"file": (path.name, handle, "application/octet-stream")},
            follow_redirects=False,
        )
    assert response.status_code == 303
    return response.headers["location"]


def test_portal_shows_the_comparison_and_only_the_body_s_officer_confirms(portal, tmp_path, monkeypatch):
    settings, app = portal
    officer, token = _client(app, "ufficio.pd", "pw-padova")
    _post(officer, token, ANNEX)
    first = _tick(settings)
    assert first.partitions() == {"2023|028"}
    in_use = _lines_of(settings, "028")

    page_url = _post(officer, token, open_format_copy(tmp_path))
    page = officer.get(page_url).text
    words = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "In attesa di conferma." in words and "non è stato caricato" in words
    assert "il dettaglio scende da programma a missione" in words and "la spesa complessiva cambia del +24 %" in words
    assert "Prima (in uso) Dopo (nuovo file) Differenza" in words and "10 Trasporti e diritto alla mobilità" in words
    assert "per programma per missione" in words  # detail, before and after
    assert 'id="confirm"' in page and 'id="cancel"' in page and 'http-equiv="refresh"' not in page
    assert "detail_dropped" not in page and "held" not in words  # no internal key reaches the officer
    assert "in attesa di conferma" in officer.get("/").text  # the officer's own list names the state

    # the sensor never loads it
    assert not _tick(settings).requests and _lines_of(settings, "028") == in_use
    # another body's officer, a planner, a missing token: refused, and nothing changes
    upload_id = page_url.rsplit("/", 1)[1]
    other, other_token = _client(app, "ufficio.bo", "pw-bologna")
    assert other.post(f"/uploads/{upload_id}/conferma", data={"csrf": other_token}).status_code == 403
    assert other.get(page_url).status_code == 403
    planner, planner_token = _client(app, "pianificatore", "pw-planner")
    assert 'id="confirm"' not in planner.get(page_url).text
    assert planner.post(f"/uploads/{upload_id}/conferma", data={"csrf": planner_token}).status_code == 403
    assert officer.post(f"/uploads/{upload_id}/conferma", data={"csrf": ""}).status_code == 403
    assert officer.post(f"/uploads/{upload_id}/cancella-tutto", data={"csrf": token}).status_code == 404
    assert not _tick(settings).requests and _lines_of(settings, "028") == in_use

    # the officer confirms: the sensor loads it, the officer's list says which file is in use and which was replaced
    confirmed = officer.post(f"/uploads/{upload_id}/conferma", data={"csrf": token}, follow_redirects=False)
    assert confirmed.status_code == 303
    assert officer.post(f"/uploads/{upload_id}/conferma", data={"csrf": token}).status_code == 409  # once
    monkeypatch.setattr("warehouse.loading.validate_files", _never)  # validated once: the sensor does not read it again
    loaded = _tick(settings)
    assert loaded.partitions() == {"2023|028"}
    assert _lines_of(settings, "028")[2] == "spese_formato_aperto.csv"
    history = " ".join(re.sub(r"<[^>]+>", " ", officer.get("/").text).split())
    assert (
        "spese_formato_aperto.csv Rendiconto 2023 in uso" in history
        and f"{ANNEX.name} Rendiconto 2023 sostituito" in history
    )
    assert "sostituzione confermata da ufficio.pd" in officer.get(page_url).text


def test_portal_cancel_keeps_the_file_in_use(portal, tmp_path):
    settings, app = portal
    officer, token = _client(app, "ufficio.pd", "pw-padova")
    _post(officer, token, ANNEX)
    _tick(settings)
    page_url = _post(officer, token, open_format_copy(tmp_path))
    upload_id = page_url.rsplit("/", 1)[1]
    assert (
        officer.post(f"/uploads/{upload_id}/annulla", data={"csrf": token}, follow_redirects=False).status_code == 303
    )
    assert "annullato" in officer.get(page_url).text and "annullato" in officer.get("/").text
    assert not _tick(settings).requests and _lines_of(settings, "028")[2] == ANNEX.name


def _never(*args, **kwargs):
    raise AssertionError("the file was read again although the intake had validated it under the same rules")


def test_a_file_is_validated_once_unless_the_rules_changed(settings, monkeypatch):
    _, receipt = receive(ANNEX, settings, PADOVA, body="028", year=2023, phase="rendiconto", keep=True)
    assert Path(receipt.validated).exists() and receipt.rules
    monkeypatch.setattr("warehouse.loading.validate_files", _never)
    [outcome] = load_receipts(settings)
    assert outcome.status == "accepted" and not Path(receipt.validated).exists()  # loaded, then let go
    # the rules changed since the intake: the archived file is read again
    receive(
        open_format_copy(Path(receipt.validated).parent),
        settings,
        PADOVA,
        body="028",
        year=2023,
        phase="rendiconto",
        keep=True,
        replace=True,
    )
    monkeypatch.setattr("sources.validated.fingerprint", lambda settings: "other-rules")
    with pytest.raises(AssertionError, match="read again"):
        load_receipts(settings)


# --- concurrency, kill -9, rebuild ------------------------------------------------------------------------------------


def test_concurrent_uploads_each_compare_with_the_file_before_them(settings, tmp_path):
    """Eight uploads of the same partition at once: the register's lock orders them, and each compares with the receipt
    just before it (the draft is held against whatever was in use, never against a file it raced with)."""
    receive(ANNEX, settings, PADOVA, body="028", year=2023, phase="rendiconto")
    copies = []
    for n in range(8):
        copy = tmp_path / f"copia_{n}.xlsx"
        workbook = openpyxl.load_workbook(ANNEX)
        workbook.properties.title = f"copia {n}"  # other bytes, same figures: never worse
        workbook.save(copy)
        copies.append(copy)
    threads = [
        threading.Thread(
            target=receive, args=(c, settings, PADOVA), kwargs=dict(body="028", year=2023, phase="rendiconto")
        )
        for c in copies
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    register = receipts.all_receipts(settings)
    assert [r.seq for r in register] == list(range(1, 10)) and all(r.status == receipts.RECEIVED for r in register)
    assert [r.replaces["028|2023|rendiconto"] for r in register[1:]] == list(range(1, 9))
    load_receipts(settings)
    assert [r.status for r in receipts.all_receipts(settings)] == [receipts.SUPERSEDED] * 8 + [receipts.CURRENT]


KILL_AFTER_COMMIT = """
import os, signal, sys
import warehouse.loading as loading
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)  # the warehouse committed; the register never hears of it
loading.settle_from_warehouse = die
from sources.settings import load_settings
loading.load_receipts(load_settings())
"""


def test_a_kill_between_the_commit_and_the_register_loses_nothing(settings, tmp_path):
    """SIGKILL right after the warehouse committed a batch: the next load settles those receipts from the warehouse and
    reports them loaded (their runs are requested); a rebuild then gives the same files in use."""
    receive(ANNEX, settings, PADOVA, body="028", year=2023, phase="rendiconto")
    receive(draft_of_bologna(tmp_path / "bozza.xlsx"), settings, Uploader("ufficio.bo", frozenset({"237"})))
    env = {**os.environ, "AREAVASTA_HOME": str(settings.home)}
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_COMMIT], env=env, cwd=ROOT, capture_output=True, timeout=300
    )
    assert killed.returncode == -signal.SIGKILL
    assert [r.status for r in receipts.all_receipts(settings)] == [receipts.RECEIVED] * 2  # the register did not hear
    outcomes = load_receipts(settings)
    assert [(o.status, o.partitions) for o in outcomes] == [
        ("accepted", [("028", 2023, "rendiconto")]),
        ("accepted", [("237", 2026, "previsione")]),
    ]
    assert [r.status for r in receipts.all_receipts(settings)] == [receipts.CURRENT] * 2
    lines = (_lines_of(settings, "028"), _lines_of(settings, "237"))
    report = rebuild_warehouse(settings)
    assert report.ok and report.expected_current == report.current_after == [1, 2]
    assert (_lines_of(settings, "028"), _lines_of(settings, "237")) == lines


def test_rebuild_keeps_held_files_out_and_confirmed_ones_in_use(settings, tmp_path):
    receive(ANNEX, settings, PADOVA, body="028", year=2023, phase="rendiconto")
    complete = ROOT / "demo" / "inbox" / "237_2026_previsione_template.xlsx"
    ingest_files([complete], settings)
    [held] = ingest_files([draft_of_bologna(tmp_path / "bozza.xlsx")], settings)
    assert held.status == "held"
    _, confirmed = receive(open_format_copy(tmp_path), settings, PADOVA, body="028", year=2023, phase="rendiconto")
    receipts.confirm(settings, confirmed.seq, PADOVA)
    load_receipts(settings)
    before = (_lines_of(settings, "028"), _lines_of(settings, "237"))
    assert before[1] == (6030, 1, complete.name) and before[0][2] == "spese_formato_aperto.csv"
    report = rebuild_warehouse(settings)
    assert report.ok and report.expected_current == report.current_after
    assert (_lines_of(settings, "028"), _lines_of(settings, "237")) == before
    assert receipts.get(settings, held.receipt.seq).status == receipts.HELD
    assert not list(validated.folder(settings).glob("*.parquet"))  # nothing kept once loaded


# --- what an attacker and a clumsy officer tried (helper probes, 2026-12-03) ------------------------------------------

BDAP_MISSIONS = (
    ROOT / "demo" / "inbox" / "bdap_2024_rendiconto_riepilogo_missioni.csv"
)  # many bodies, mission totals only


def _bdap_scaled(path: Path, factor: float) -> Path:
    """The BDAP mission summary again with every amount multiplied (``0.001``: sent in thousands of euro)."""
    import polars as pl

    frame = pl.read_csv(BDAP_MISSIONS, separator=";", infer_schema=False, encoding="latin-1")
    amounts = ["Previsioni Definitive di Competenza", "Impegni", "Totale Pagamenti"]
    frame = frame.with_columns([(pl.col(c).cast(pl.Float64) * factor).round(2).cast(pl.String) for c in amounts])
    path.write_bytes(frame.write_csv(separator=";", quote_style="always").encode("latin-1"))
    return path


def test_a_mission_summary_sent_in_thousands_of_euro_is_held(settings, tmp_path):
    """BDAP's mission summary has no titles: the total is every amount of the basis kind, and it moves by 99.9 %."""
    assert ingest_files([BDAP_MISSIONS], settings)[0].status == "accepted"
    [outcome] = ingest_files([_bdap_scaled(tmp_path / "bdap_migliaia.csv", 0.001)], settings)
    assert outcome.status == "held"
    assert {r["code"] for c in outcome.receipt.comparisons for r in c["reasons"]} == {"total_moved"}
    assert all(c["total"]["titles_1_2"] is False for c in outcome.receipt.comparisons)


def test_an_officer_s_upload_never_cancels_a_held_file_of_other_bodies(settings, tmp_path):
    operator = Uploader("operatore")
    ingest_files([BDAP_MISSIONS], settings)
    halved = _bdap_scaled(tmp_path / "bdap_meta.csv", 0.5)
    _, held = receive(halved, settings, operator)
    assert held.status == receipts.HELD and len({p[0] for p in held.partitions}) > 1
    receive(halved, settings, Uploader("ufficio.bo", frozenset({"237"})), body="237")  # the same bytes, one body's rows
    assert receipts.get(settings, held.seq).status == receipts.HELD  # still the operator's to decide
    receive(halved, settings, operator)  # the operator sends it again: that one cancels it
    assert receipts.get(settings, held.seq).status == receipts.CANCELLED


def test_kept_lines_altered_on_disk_are_not_trusted(settings, tmp_path):
    """A Parquet file in validated/ swapped for another body's lines: the loader reads the archived file again, within
    the uploader's rights."""
    bologna = Uploader("ufficio.bo", frozenset({"237"}))
    _, other = receive(ROOT / "demo" / "inbox" / "237_2026_previsione_template.xlsx", settings, bologna, keep=True)
    _, own = receive(ANNEX, settings, PADOVA, body="028", year=2023, phase="rendiconto", keep=True)
    shutil.copyfile(other.validated, own.validated)
    load_receipts(settings, [own])
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        written = dict(con.execute("SELECT body, count(*) FROM core.budget_lines GROUP BY body").fetchall())
    assert set(written) == {"028"}


def test_a_file_replaced_by_mistake_comes_back_when_sent_again(settings, tmp_path):
    complete = ROOT / "demo" / "inbox" / "237_2026_previsione_template.xlsx"
    draft = draft_of_bologna(tmp_path / "bozza.xlsx")
    ingest_files([complete], settings)
    assert ingest_files([draft], settings, replace=True)[0].status == "accepted"
    assert _lines_of(settings, "237")[0] == 7
    assert (
        ingest_files([complete], settings)[0].status == "accepted"
    )  # better than the draft: not held, and not "unchanged"
    assert _lines_of(settings, "237") == (6030, 1, complete.name)
    assert ingest_files([complete], settings)[0].status == "unchanged"  # in use: the same bytes change nothing
    assert [r.status for r in receipts.all_receipts(settings)] == [
        receipts.SUPERSEDED,
        receipts.SUPERSEDED,
        receipts.CURRENT,
    ]


def test_runs_are_requested_for_files_loaded_outside_the_tick(settings, tmp_path):
    """A run that loaded more than its own receipt, or a confirmation loaded by the command line: the next tick
    requests the runs (the sensor's cursor is the time of the last load it requested runs for), once."""
    assert not _tick(settings).requests
    receive(ANNEX, settings, PADOVA, body="028", year=2023, phase="rendiconto")
    load_receipts(settings)  # loaded by another process
    cursor = "2000-01-01T00:00:00"  # the last one the sensor requested, before this load
    result = daemon.tick(settings, cursor=cursor)
    assert daemon.requested(result.run_requests) == {"2023|028"} and result.cursor > cursor
    again = daemon.tick(settings, cursor=result.cursor)
    assert isinstance(again, dg.SkipReason)


def test_the_first_tick_keeps_its_cursor_so_a_later_outside_load_gets_its_runs(settings):
    """Without a cursor, what was loaded before the sensor ran is not requested again; the tick keeps the cursor it
    found even when it requests nothing, so a load by another process after it is not missed."""
    receive(ANNEX, settings, PADOVA, body="028", year=2023, phase="rendiconto")
    load_receipts(settings)
    first = daemon.tick(settings)
    assert not first.run_requests and first.skip_reason and first.cursor
    receive(draft_of_bologna(settings.home / "bozza.xlsx"), settings, Uploader("ufficio.bo", frozenset({"237"})))
    load_receipts(settings)  # areavasta confirm, or ingest, while the daemon runs
    later = daemon.tick(settings, cursor=first.cursor)
    assert daemon.requested(later.run_requests) == {"2026|237"}


KILL_REBUILD = """
import os, signal
import warehouse.rebuild as rebuild
real = rebuild.load_receipts
def die(*args, **kwargs):
    real(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)  # the new warehouse is filled, not yet in place
rebuild.load_receipts = die
from sources.settings import load_settings
rebuild.rebuild_warehouse(load_settings())
"""


def test_a_rebuild_killed_midway_leaves_the_warehouse_and_the_register_as_they_were(settings, tmp_path):
    ingest_files([ROOT / "demo" / "inbox" / "237_2026_previsione_template.xlsx"], settings)
    _, confirmed = receive(
        draft_of_bologna(tmp_path / "bozza.xlsx"), settings, Uploader("ufficio.bo", frozenset({"237"})), replace=True
    )
    register = [(r.seq, r.status) for r in receipts.all_receipts(settings)]
    lines = _lines_of(settings, "237")
    env = {**os.environ, "AREAVASTA_HOME": str(settings.home)}
    killed = subprocess.run([sys.executable, "-c", KILL_REBUILD], env=env, cwd=ROOT, capture_output=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL
    assert (
        _lines_of(settings, "237") == lines and [(r.seq, r.status) for r in receipts.all_receipts(settings)] == register
    )
    # run again: the confirmed file waiting for the sensor is the one in use afterwards, as loading would make it
    report = rebuild_warehouse(settings)
    assert report.ok and report.expected_current == report.current_after == [confirmed.seq]
    assert _lines_of(settings, "237")[0] == 7


def test_a_damaged_sequence_counter_never_overwrites_a_receipt(settings, tmp_path):
    _, first = receive(ANNEX, settings, PADOVA, body="028", year=2023, phase="rendiconto")
    (receipts.folder(settings) / ".sequence").write_text("")  # a crash while it was written (before it was atomic)
    _, second = receive(draft_of_bologna(tmp_path / "bozza.xlsx"), settings, Uploader("ufficio.bo", frozenset({"237"})))
    assert second.seq == first.seq + 1 and receipts.get(settings, first.seq).sha256 == first.sha256


@pytest.mark.parametrize("tamper", ["another_year", "another_body_and_receipt"])
def test_kept_lines_must_be_the_receipt_s_own_partitions_within_its_rights(settings, tamper):
    """Each check alone: lines of the same file moved to another year; lines and receipt both moved to another body."""
    import polars as pl

    _, own = receive(ANNEX, settings, PADOVA, body="028", year=2023, phase="rendiconto", keep=True)
    lines = pl.read_parquet(own.validated)
    if tamper == "another_year":
        lines = lines.with_columns(year=pl.lit(2022, pl.Int32))
    else:
        lines = lines.with_columns(body=pl.lit("237"))
        own.partitions = [["237", 2023, "rendiconto"]]  # the receipt edited on disk to match
    lines.write_parquet(own.validated)
    outcomes = load_receipts(settings, [own])
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        written = con.execute("SELECT DISTINCT body, year FROM core.budget_lines").fetchall()
    assert written in ([("028", 2023)], []) and outcomes[0].status in ("accepted", "rejected")


def test_the_workbook_says_which_file_replaced_which_and_who_confirmed_it(settings, tmp_path):
    """Downstream too: the Controlli sheet of the body's workbook names the confirmed replacement and why it was
    held."""
    import polars as pl

    from pipelines.stage_outputs import upload_warnings

    ingest_files([ROOT / "demo" / "inbox" / "237_2026_previsione_template.xlsx"], settings)
    ingest_files([draft_of_bologna(tmp_path / "bozza.xlsx")], settings, replace=True, user="ufficio.bo")
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        current = warehouse.uploads(con).filter(pl.col("status") == "current")
    [finding] = [f for f in upload_warnings(current, settings, "it") if f["code"] == "REPLACEMENT_CONFIRMED"]
    words = " ".join(finding["message"].split())
    assert (
        "ha sostituito 237_2026_previsione_template.xlsx peggiorando i dati" in words
        and "confermata da ufficio.bo" in words
    )
    assert "sparisce la spesa di 11 missioni" in words and "{" not in words
    english = next(f for f in upload_warnings(current, settings, "en") if f["code"] == "REPLACEMENT_CONFIRMED")[
        "message"
    ]
    assert "confirmed by ufficio.bo" in english
