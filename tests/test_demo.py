"""`make run` as a newcomer sees it: every chart the product has appears somewhere, in words, on a screenshot."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pytest

from tests.browser import render

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).parent / "artifacts" / "demo"
CHARTS = ("matrix", "movement", "priorities", "composition", "peers", "indicators", "national")
# internal keys that must never reach a reader of the pages (outside scripts and chart specs)
LEAKS = (
    "transfer_share",
    "explanation_it",
    "override_note",
    "not_classified",
    "co_produce",
    "revenue_opportunity",
    "piu_coproduzione",
    "retained",
    "transferred",
    "_rendiconto",
    "_previsione",
    "allocation",
    "regions_only",
    "MISSION_",
    '{"',
    "None",
    "delivery_gap",
    "commitment_capacity",
    "zero_denominator",
    "kind:",
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One run of `areavasta demo` (what `make run` does) in a fresh home: its output and the dashboards folder."""
    from typer.testing import CliRunner

    from cli.main import app

    home = tmp_path_factory.mktemp("demo")
    previous = os.environ.get("AREAVASTA_HOME")
    os.environ["AREAVASTA_HOME"] = str(home)
    try:
        result = CliRunner().invoke(app, ["demo", "--inbox", str(ROOT / "demo" / "inbox")], terminal_width=200)
    finally:
        os.environ.pop("AREAVASTA_HOME") if previous is None else os.environ.__setitem__("AREAVASTA_HOME", previous)
    assert result.exit_code == 0, result.output
    return result.output, home / "outputs" / "dashboards"


def test_demo_loads_the_bundled_samples(demo):
    output, _ = demo
    files = sorted(p for p in (ROOT / "demo" / "inbox").iterdir() if p.suffix in (".xlsx", ".csv"))
    assert output.count("caricato") == len(files) and "warehouse.duckdb" in output
    assert "Entrate (formato aperto)" in output and "44 righe per 1 enti" in output
    assert "Estratto BDAP bdap_programmi_2025_rendiconto.csv: 990 righe di 4 enti" in output
    assert "Confronto con BDAP, ente 237 rendiconto 2025: 201 importi confrontati, 4 oltre la tolleranza" in output
    moved = re.search(
        r"Due esecuzioni \(soglia dei trasferimenti al 40 %, poi al 50 %\): (\d+) funzioni cambiano quadrante; "
        r"il perché con: areavasta diff --run [0-9a-f]{16} --run [0-9a-f]{16}",
        output.replace("\n", " "),
    )
    assert moved and int(moved.group(1)) > 0
    assert "accepted" not in output and "open_format_revenue" not in output  # words, not keys


def test_the_registry_declares_every_table_the_demo_writes(demo):
    """Every table of the demo's warehouse is declared in ``warehouse/tables.py``, and every declared table is one the
    demo fills, but for those it has no file for (no catalogue changes, no confirmed outliers): no table undeclared,
    none declared for nothing."""
    import duckdb

    from tests.conftest import settings_for
    from warehouse import tables

    path = settings_for(demo[1].parent.parent).warehouse_path
    with duckdb.connect(str(path), read_only=True) as con:
        present = [
            t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'core'").fetchall()
        ]
        rows = {t: con.execute(f"SELECT count(*) FROM core.{t}").fetchone()[0] for t in present}
    assert sorted(rows) == sorted(tables.TABLES)
    assert sorted(t for t, n in rows.items() if n == 0) == ["authority_overrides", "confirmed_outliers"]


def test_demo_shows_every_bodys_execution_indicators(demo):
    """One row per body, year and phase of the warehouse, each indicator in words with the peers' median when there is
    one, and what cannot be computed said, never a 0."""
    output = demo[0].replace("\n", " ")
    table = output[output.index("Indicatori di esecuzione") : output.index("Un indicatore non calcolabile")]
    for body in ("002", "003", "036", "201", "210", "215", "237"):
        assert f"│ {body} " in table, body
    assert re.search(r"impegno 8\d %\s*\(8\d %\)", re.sub(r"[│ ]+", " ", table)), table  # 237 against its BDAP peers
    assert "Non calcolabili:" in table or "non calcolabili:" in table.lower()
    assert "commitment" not in table and "0 %" not in re.sub(r"\d0 %", "", table)


def _visible(page: str) -> str:
    """The text a reader sees: no scripts, styles or tags, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.DOTALL)))


def test_every_chart_of_the_product_appears_in_the_demo(demo):
    counts = {name: 0 for name in CHARTS}
    for page in demo[1].glob("*.html"):
        for name in re.findall(
            r'<div class="chart" id="([a-z]+)" role="img" aria-label="[^"]+"', page.read_text(encoding="utf-8")
        ):
            counts[name] += 1
    assert all(counts.values()), counts


def test_pages_speak_words_not_keys(demo):
    names = [
        p.name for folder in ("inbox", "national") for p in (ROOT / "demo" / folder).iterdir()
    ]  # the officers' own file names
    for page in demo[1].glob("*.html"):
        text = _visible(page.read_text(encoding="utf-8"))
        for name in names:
            text = text.replace(name, "")
        assert not [k for k in LEAKS if k in text], (page.name, [k for k in LEAKS if k in text])


def test_mission_level_pages_say_why_there_is_no_matrix(demo):
    mission_only = [p for p in demo[1].glob("*_*_*.html") if 'id="matrix"' not in p.read_text(encoding="utf-8")]
    assert mission_only
    for page in mission_only:
        text = _visible(page.read_text(encoding="utf-8"))
        assert "Perché qui non c'è la matrice" in text and "Come leggere la matrice" not in text
        assert 'id="composition"' not in page.read_text(encoding="utf-8")  # nothing measurable to draw


def test_index_offers_named_pages_and_the_most_complete_year(demo):
    index = (demo[1] / "index.html").read_text(encoding="utf-8")
    first = re.search(r'<select id="open"[^>]*>\s*<option value="">([^<]+)</option>', index)
    assert first and first.group(1).strip() == "— scegli un ente —"
    assert "Provincia di Vercelli - Rendiconto 2025" in _visible(index)
    assert _visible(index).count("Cruscotti degli enti") == 2  # the page title and the <title>: no repeated heading


def test_screenshots_of_every_page(demo):
    for page in sorted(demo[1].glob("*.html")):
        dom, log = render(page, ARTIFACTS / f"{page.stem}.png", size="1280,2400")
        assert "vega" in dom.lower() and "Uncaught" not in log, page.name
        assert (ARTIFACTS / f"{page.stem}.png").stat().st_size > 10_000


def test_every_chart_has_a_text_alternative(demo):
    """aria-label and caption on each chart; a data table for each, the matrix's being the functions table."""
    for page in demo[1].glob("*.html"):
        text = page.read_text(encoding="utf-8")
        charts = re.findall(
            r'<div class="chart" id="([a-z]+)" role="img" aria-label="[^"]+" aria-describedby="\1-desc">', text
        )
        assert len(charts) == text.count('class="chart"'), page.name
        tables = text.count("<details><summary>")
        assert tables == len([c for c in charts if c not in ("matrix", "indicators")]), (page.name, charts, tables)
        if "matrix" in charts:
            assert 'id="functions-table"' in text
        if "indicators" in charts:  # its table is shown under it, not folded: it says why an indicator is missing
            section = text[text.index('id="indicators"') :]
            assert "<table>" in section[: section.index("<h2")], page.name
