"""``areavasta rebuild`` gives back every table the loads wrote (issue 25, item 3): budgets and revenue from their
receipts, and the national extracts and co-assessment ratings, which have no receipts, from their archive records, in
the order they were loaded. Compared table by table with the warehouse before (every table, every schema: rows, the
sum of every number column and a hash of the content), and told in words when it cannot.

The files are the demo's own samples, plus a corrected copy of the national extract and a shorter questionnaire for
the same body and year, loaded after them: the rebuild must end with the later ones, as the loads did.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from pipelines.loading import ingest_files
from pipelines.national import load_national
from pipelines.ratings import load_ratings
from sources.questionnaire import write_questionnaire
from sources.ratings import read_ratings

ROOT = Path(__file__).parents[1]
DEMO = ROOT / "demo"
BUDGETS = [DEMO / "inbox" / name for name in ("237_2025_rendiconto_annex_amount_kinds.xlsx", "002_2026_previsione_template.xlsx",
                                              "201_2023_rendiconto_formato_aperto_entrate.csv", "bdap_2024_rendiconto_riepilogo_missioni.csv")]
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
        for schema, table in con.execute("SELECT table_schema, table_name FROM information_schema.tables ORDER BY ALL").fetchall():
            numbers = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
                "AND data_type IN ('BIGINT', 'INTEGER', 'TINYINT', 'SMALLINT', 'DOUBLE', 'HUGEINT') ORDER BY ordinal_position",
                [schema, table]).fetchall()]
            sums = ", ".join(f"sum({c})" for c in numbers)
            out[f"{schema}.{table}"] = con.execute(
                f"SELECT count(*){', ' + sums if sums else ''}, hash(string_agg(CAST(t AS VARCHAR), ',' ORDER BY CAST(t AS VARCHAR))) "
                f'FROM "{schema}"."{table}" t').fetchone()
        return out
    finally:
        con.close()


def rebuild(settings, *extra: str) -> subprocess.CompletedProcess:
    env = {**{k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}, "AREAVASTA_HOME": str(settings.home)}
    return subprocess.run([sys.executable, "-m", "pipelines.cli", "rebuild", *extra], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


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
    assert "righe nazionali" in result.stdout and "valutazioni" in result.stdout and "national_lines" not in result.stdout


def test_the_rebuilt_national_lines_hold_the_corrected_amount(settings, tmp_path):
    load_everything(settings, tmp_path / "files")
    assert rebuild(settings).returncode == 0
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        files = con.execute("SELECT DISTINCT e.file FROM core.national_lines n JOIN core.national_extracts e ON e.sha256 = n.extract_sha256").fetchall()
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
