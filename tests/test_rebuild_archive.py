"""``areavasta rebuild`` gives back every table the loads wrote (issue 25, item 3): budgets and revenue from their
receipts, and the national extracts and co-assessment ratings, which have no receipts, from their archive records, in
the order they were loaded. Compared table by table with the warehouse before (every table, every schema: rows, the
sum of every number column and a hash of the content), and told in words when it cannot.

The files are the demo's own samples, plus a corrected copy of the national extract and a shorter questionnaire for
the same body and year, loaded after them: the rebuild must end with the later ones, as the loads did.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb

from sources.questionnaire import write_questionnaire
from sources.ratings import read_ratings
from warehouse.ingest import ingest_files
from warehouse.national_extracts import load_national
from warehouse.rating_files import load_ratings

ROOT = Path(__file__).parents[1]
DEMO = ROOT / "demo"
BUDGETS = [
    DEMO / "inbox" / name
    for name in (
        "237_2025_rendiconto_annex_amount_kinds.xlsx",
        "002_2026_previsione_template.xlsx",
        "201_2023_rendiconto_formato_aperto_entrate.csv",
        "bdap_2024_rendiconto_riepilogo_missioni.csv",
    )
]
NATIONAL = DEMO / "national" / "bdap_programmi_2025_rendiconto.csv"
RATINGS = DEMO / "ratings" / "237_2025_valutazioni.xlsx"


def corrected_extract(folder: Path) -> Path:
    """The national extract again with one amount of the metropolitan city of Bologna corrected (its first line; the
    capoluogo's line with the same figures further down is not selected anyway)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = NATIONAL.read_bytes()
    assert data.index(b'"2158332.60"') < data.index(b"\r\n", data.index(b"\r\n") + 2)  # on the first data line
    target = folder / "bdap_programmi_2025_rendiconto_rettificato.csv"
    target.write_bytes(data.replace(b'"2158332.60"', b'"2158999.60"', 1))
    return target


def shorter_questionnaire(folder: Path, settings) -> Path:
    """The same body and year with the first 60 answers only: it replaces the ratings of 237 in 2025."""
    ratings = read_ratings(RATINGS, settings).ratings.sort("source_row").head(60)
    return write_questionnaire(folder / "237_2025_valutazioni_seconda.xlsx", "237", 2025, ratings)


def load_everything(settings, folder: Path) -> None:
    """Budgets and revenue (receipts), two national extracts and two questionnaires (no receipts), in that order."""
    assert all(o.status == "accepted" for o in ingest_files(BUDGETS, settings, user="prova"))
    assert load_national(NATIONAL, settings, user="prova").ok
    assert load_ratings(RATINGS, settings, user="prova").ok
    assert load_national(corrected_extract(folder), settings, user="prova").ok
    assert load_ratings(shorter_questionnaire(folder, settings), settings, user="prova").ok


def state(path: Path) -> dict[str, tuple]:
    """Every table of every schema: rows, the sum of each number column, a hash of the content (order-free)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for schema, table in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables ORDER BY ALL"
        ).fetchall():
            numbers = [
                c
                for (c,) in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
                    "AND data_type IN ('BIGINT', 'INTEGER', 'TINYINT', 'SMALLINT', 'DOUBLE', 'HUGEINT') ORDER BY "
                    "ordinal_position",
                    [schema, table],
                ).fetchall()
            ]
            sums = ", ".join(f"sum({c})" for c in numbers)
            out[f"{schema}.{table}"] = con.execute(
                f"SELECT count(*){', ' + sums if sums else ''}, hash(string_agg(CAST(t AS VARCHAR), ',' ORDER BY "
                "CAST(t AS VARCHAR))) "
                f'FROM "{schema}"."{table}" t'
            ).fetchone()
        return out
    finally:
        con.close()


def analyses(path: Path) -> dict[str, tuple]:
    """Rows and a content hash of every table the analyses write. Decimals rounded to 9 places: the pipeline's own means
    differ in the last bit from one run to the next on a loaded machine (authority 0.25333333333333335 /
    0.2533333333333333, two runs over the same warehouse, no rebuild between)."""
    from warehouse.rebuild_check import REBUILT

    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        skip = {spec.table for spec in REBUILT} | {"body_runs"}  # each body's last run: run ids and times
        for (table,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'core' ORDER BY 1"
        ).fetchall():
            if table in skip:
                continue
            columns = [
                f"round({c}, 9)" if kind == "DOUBLE" else c
                for c, kind in con.execute(
                    "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'core' AND "
                    "table_name = ? ORDER BY ordinal_position",
                    [table],
                ).fetchall()
            ]
            out[table] = con.execute(
                f"SELECT count(*), sum(hash(row({', '.join(columns)})))::HUGEINT FROM core.{table}"
            ).fetchone()
        return out
    finally:
        con.close()


def rebuild(settings, *extra: str) -> subprocess.CompletedProcess:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"},
        "AREAVASTA_HOME": str(settings.home),
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "rebuild", *extra],
        check=False,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_rebuild_gives_back_every_table_national_lines_and_ratings_included(settings, tmp_path):
    load_everything(settings, tmp_path / "files")
    before = state(settings.warehouse_path)
    assert before["core.national_lines"][0] == 990 and before["core.ratings"][0] == 60  # the later files are in use
    result = rebuild(settings)
    assert result.returncode == 0, result.stdout + result.stderr
    after = state(settings.warehouse_path)
    assert {t: v for t, v in after.items() if v != before.get(t)} == {}
    assert set(after) == set(before)
    # the report speaks of tables in words, never by their keys
    assert (
        "righe nazionali" in result.stdout and "valutazioni" in result.stdout and "national_lines" not in result.stdout
    )


def test_the_rebuilt_national_lines_hold_the_corrected_amount(settings, tmp_path):
    load_everything(settings, tmp_path / "files")
    assert rebuild(settings).returncode == 0
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        files = con.execute(
            "SELECT DISTINCT e.file FROM core.national_lines n JOIN core.national_extracts e ON e.sha256 = "
            "n.extract_sha256"
        ).fetchall()
        rated = con.execute("SELECT count(*), any_value(source_file) FROM core.ratings").fetchone()
    finally:
        con.close()
    assert files == [("bdap_programmi_2025_rendiconto_rettificato.csv",)]
    assert rated == (60, "237_2025_valutazioni_seconda.xlsx")


def test_ratings_and_national_lines_survive_in_english_too(settings, tmp_path):
    load_everything(settings, tmp_path / "files")
    result = rebuild(settings, "--lang", "en")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "national lines" in result.stdout and "ratings" in result.stdout and "righe" not in result.stdout


def _write(settings, sql: str) -> None:
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        con.execute(sql)
    finally:
        con.close()


def _untouched(settings, before: bytes) -> None:
    """Nothing was touched: the same warehouse, nothing set aside, no half-built one left."""
    assert settings.warehouse_path.read_bytes() == before
    assert sorted(p.name for p in settings.home.iterdir() if p.name.startswith("warehouse")) == ["warehouse.duckdb"]


def test_a_table_that_comes_back_different_is_named_and_the_command_fails(settings, tmp_path):
    load_everything(settings, tmp_path / "files")
    # one cent more in Bologna's national lines than the archived extract holds
    _write(
        settings,
        "UPDATE core.national_lines SET amount_cents = amount_cents + 1 WHERE rowid = (SELECT min(rowid) FROM "
        "core.national_lines WHERE body = '237')",
    )
    result = rebuild(settings)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Tabelle ricostruite diverse da prima: righe nazionali (BDAP)." in result.stdout
    assert "diversa: 237 2025 rendiconto" in result.stdout


def test_an_archived_file_of_unknown_kind_refuses_the_rebuild_before_anything_is_touched(settings, tmp_path):
    load_everything(settings, tmp_path / "files")
    stranger = settings.archive_dir / "ab" / ("ab" + "0" * 62 + ".xlsx")  # no receipt, no sidecar: what was it?
    stranger.parent.mkdir(exist_ok=True)
    stranger.write_bytes(RATINGS.read_bytes())
    before = settings.warehouse_path.read_bytes()
    result = rebuild(settings)
    assert result.returncode == 5, result.stdout + result.stderr
    assert "Ricostruzione rifiutata, il magazzino non è stato toccato" in result.stdout
    assert stranger.name in result.stdout and "senza ricevuta e senza annotazione di che file sia" in result.stdout
    _untouched(settings, before)
    english = rebuild(settings, "--lang", "en")
    assert english.returncode == 5 and "no record of what it is" in english.stdout


def test_a_loaded_extract_whose_archived_file_is_gone_refuses_the_rebuild(settings, tmp_path):
    load_everything(settings, tmp_path / "files")
    [extract] = [
        p
        for p in settings.archive_dir.glob("*/*.zst")
        if f'"{NATIONAL.name}"' in p.with_name(p.name + ".json").read_text()
    ]
    extract.unlink()  # the sidecar says it was loaded
    before = settings.warehouse_path.read_bytes()
    result = rebuild(settings)
    assert result.returncode == 5, result.stdout + result.stderr
    assert (
        "bdap_programmi_2025_rendiconto.csv: caricato, ma il file archiviato" in result.stdout
        and "non c'è più" in result.stdout
    )
    _untouched(settings, before)


def test_what_the_warehouse_holds_and_the_archive_does_not_refuses_the_rebuild(settings, tmp_path):
    load_everything(settings, tmp_path / "files")
    _write(
        settings,
        "INSERT INTO core.rating_files SELECT 'f' || sha256[2:], 'a_mano.xlsx', stored_as, rows, bodies, user, "
        "loaded_at FROM core.rating_files LIMIT 1",
    )
    before = settings.warehouse_path.read_bytes()
    result = rebuild(settings)
    assert result.returncode == 5 and "a_mano.xlsx: nel magazzino ma non nell'archivio" in result.stdout
    _untouched(settings, before)


def test_an_archived_questionnaire_that_no_longer_loads_refuses_the_rebuild(settings, tmp_path):
    load_everything(settings, tmp_path / "files")
    [questionnaire] = [
        p for p in settings.archive_dir.glob("*/*.xlsx") if "_seconda.xlsx" in p.with_name(p.name + ".json").read_text()
    ]
    questionnaire.write_bytes(b"not a workbook any more")  # altered on disk
    before = settings.warehouse_path.read_bytes()
    result = rebuild(settings)
    assert result.returncode == 5, result.stdout + result.stderr
    assert "237_2025_valutazioni_seconda.xlsx: non si carica più con le regole di oggi" in result.stdout
    _untouched(settings, before)


def test_a_damaged_warehouse_is_checked_against_the_archive_s_records(settings, tmp_path):
    load_everything(settings, tmp_path / "files")
    before = state(settings.warehouse_path)
    with open(settings.warehouse_path, "r+b") as handle:
        handle.seek(0)
        handle.write(b"garbage" * 2000)
    result = rebuild(settings)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "prima: le righe registrate nell'archivio" in result.stdout and "diversa" not in result.stdout
    assert state(settings.warehouse_path) == before


def test_a_rebuild_loads_the_extract_and_questionnaire_whose_loads_died_before_the_commit(
    settings, tmp_path, monkeypatch
):
    """Archived and recorded, never committed (the process died): they were accepted, so the rebuild loads them, after
    the loads before them, and says so; their sidecar entries are then settled."""
    from warehouse import national_extracts, rating_files

    load_everything(settings, tmp_path / "files")
    died = RuntimeError("the process died here")
    for module in (national_extracts, rating_files):
        monkeypatch.setattr(module, "write", lambda *args, **kwargs: (_ for _ in ()).throw(died))
    corrected = corrected_extract(tmp_path / "again")
    again = corrected.with_name("bdap_programmi_2025_rendiconto_terza.csv")
    again.write_bytes(corrected.read_bytes().replace(b'"2158999.60"', b'"2159999.60"'))
    for attempt in (
        lambda: load_national(again, settings, user="prova"),
        lambda: load_ratings(RATINGS, settings, user="prova"),
    ):
        try:
            attempt()
        except RuntimeError:
            pass
    monkeypatch.undo()
    result = rebuild(settings)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "Caricati ora i file che erano in attesa di caricamento: 237_2025_valutazioni.xlsx, "
        "bdap_programmi_2025_rendiconto_terza.csv" in result.stdout
    )
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        assert con.execute("SELECT DISTINCT extract_sha256 FROM core.national_lines").fetchall() == [
            (archive_sha(again),)
        ]
        assert con.execute("SELECT count(*), any_value(source_file) FROM core.ratings").fetchone() == (
            192,
            RATINGS.name,
        )
    finally:
        con.close()
    assert rebuild(settings).returncode == 0  # settled: a second rebuild finds the same, with nothing waiting
    assert "in attesa" not in rebuild(settings).stdout


def archive_sha(path: Path) -> str:
    from sources.archive import sha256_of

    return sha256_of(path)


def test_after_a_rebuild_the_analyses_come_back_the_same_reconciliation_coassessment_and_open_data_bodies_included(
    settings, tmp_path
):
    """The issue's symptom: after a rebuild the BDAP reconciliation and the co-assessment were empty and the bodies
    known from open data only were gone. Rebuild, then ``areavasta run``: every table the analyses write is as it
    was."""
    load_everything(settings, tmp_path / "files")
    env = {**{k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}, "AREAVASTA_HOME": str(settings.home)}

    def run() -> None:
        done = subprocess.run(
            [sys.executable, "-m", "cli.main", "run"],
            check=False,
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    run()
    before = analyses(settings.warehouse_path)
    assert before["bdap_reconciliation"][0] and before["coassessment"][0]
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    open_data_only = con.execute(
        "SELECT count(DISTINCT body) FROM core.ruffini_matrix WHERE body NOT IN (SELECT body FROM core.uploads)"
    ).fetchone()[0]
    con.close()
    assert open_data_only >= 2  # bodies with no upload, analysed from the national extract alone
    result = rebuild(settings)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(
        r"ricalcolare le analisi \(\d\d tabelle\)", result.stdout
    )  # the analyses' tables, told apart from those rebuilt
    run()
    after = analyses(settings.warehouse_path)
    assert {t: (v, after.get(t)) for t, v in before.items() if after.get(t) != v} == {}


def test_a_file_replaced_by_mistake_and_sent_again_is_the_one_in_use_after_a_rebuild(settings, tmp_path):
    """Complete forecast, a confirmed draft over it, the complete forecast again: loaded one by one it is in use again.
    Replayed in one call, the third receipt was taken for "already in use" (the draft had replaced it): the draft
    stayed."""
    from tests.test_replacements import draft_of_bologna

    complete = DEMO / "inbox" / "237_2026_previsione_template.xlsx"
    ingest_files([complete], settings)
    assert ingest_files([draft_of_bologna(tmp_path / "bozza.xlsx")], settings, replace=True)[0].status == "accepted"
    assert ingest_files([complete], settings)[0].status == "accepted"
    before = state(settings.warehouse_path)
    result = rebuild(settings)
    assert result.returncode == 0, result.stdout + result.stderr
    assert state(settings.warehouse_path) == before


def test_a_file_replaced_and_sent_again_is_in_use_when_the_three_receipts_load_in_one_call(settings, tmp_path):
    """The same in the sensor's one call over a backlog (the rebuild's path too): before, the third receipt was
    "unchanged" and the draft stayed in use; with a fix of that alone, the file's two receipts collided in the
    register."""
    from sources.intake import receive
    from sources.receipts import Uploader
    from tests.test_replacements import draft_of_bologna
    from warehouse.loading import load_receipts

    complete = DEMO / "inbox" / "237_2026_previsione_template.xlsx"
    operator = Uploader("operatore")
    receive(complete, settings, operator)
    receive(draft_of_bologna(tmp_path / "bozza.xlsx"), settings, operator, replace=True)
    receive(complete, settings, operator)
    assert [o.status for o in load_receipts(settings)] == ["accepted"] * 3
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        assert con.execute("SELECT count(*), any_value(source_file) FROM core.budget_lines").fetchone() == (
            6030,
            complete.name,
        )
        assert con.execute("SELECT receipt_seq, status FROM core.uploads ORDER BY ALL").fetchall() == [
            (2, "superseded"),
            (3, "current"),
        ]
    finally:
        con.close()


HOLD_DURING_FILL = """
import sys
import warehouse.rebuild as rebuild
real = rebuild._fill
def fill(*args, **kwargs):
    print("filling", flush=True)
    sys.stdin.readline()  # until the test has tried to write
    return real(*args, **kwargs)
rebuild._fill = fill
from sources.settings import load_settings
print(rebuild.rebuild_warehouse(load_settings()).ok, flush=True)
"""


def test_nobody_writes_into_the_warehouse_while_it_is_rebuilt(settings, tmp_path):
    """What another process wrote into the old warehouse during the rebuild would be lost at the swap: the old one stays
    open until then, and a writer waits (one that must not wait is told who holds it)."""
    from warehouse import store as warehouse
    from warehouse.errors import WarehouseBusy

    load_everything(settings, tmp_path / "files")
    env = {**os.environ, "AREAVASTA_HOME": str(settings.home)}
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_DURING_FILL],
        env=env,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "filling"
        try:
            with warehouse.connect(settings.warehouse_path, wait=0):
                written = True
        except WarehouseBusy as busy:
            written = False
            assert "è in uso da" in busy.message("it")
        assert not written
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "True"
    finally:
        proc.stdin.close()
        proc.wait(timeout=120)
