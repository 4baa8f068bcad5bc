"""What a planner reads compares like with like (issue 24, parts 2-4), through the real paths: files received and
loaded, the Dagster assets, the warehouse, the pages and the workbooks.

Modena uploads its official "formato aperto" export for 2021 (mission totals by title and macroaggregate) after a
programme-level annex for 2020; Padova, Vicenza and Rovigo upload programme-level annexes for 2021.
"""

from __future__ import annotations

import html as markup
import json
import re
from pathlib import Path

import dagster as dg
import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.browser import render
from warehouse import manifest
from warehouse import store as warehouse

OFFICIAL = Path(__file__).parent / "fixtures" / "official"
MODENA = "036_2021_rendiconto"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    from pipelines.runner import run_pipeline
    from sources.samples.budget import generate_budget
    from tests.conftest import settings_for, write_sample
    from warehouse.ingest import ingest_files

    home = tmp_path_factory.mktemp("like")
    settings = settings_for(home)
    inbox = home / "in"
    annexes = [
        write_sample(inbox, generate_budget(b, y, "rendiconto"), "annex_amount_kinds")
        for b, y in (("036", 2020), ("024", 2021), ("028", 2021), ("029", 2021))
    ]
    assert all(o.status == "accepted" for o in ingest_files(annexes, settings, user="test"))
    official = OFFICIAL / "rendiconto_2021_formato_aperto_spese_due_righe.csv"
    assert (
        ingest_files([official], settings, body="036", year=2021, phase="rendiconto", user="test")[0].status
        == "accepted"
    )
    results = run_pipeline(dg.DagsterInstance.ephemeral(), [2020, 2021], home=str(home))
    assert all(r.success for r in results)
    return settings


def _page(settings, stem: str) -> str:
    return (settings.outputs_dir / "dashboards" / f"{stem}.html").read_text(encoding="utf-8")


def _text(html: str) -> str:
    """The page's words, without the chart specs and tags."""
    return markup.unescape(
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style).*?</\1>", "", html, flags=re.DOTALL)))
    )


def test_the_mission_level_page_says_what_it_is(home):
    html = _page(home, MODENA)
    text = _text(html)
    assert 'id="mission-level"' in html and "Dati solo per missione" in text
    matrix = html.split('VIEWS.push(vegaEmbed("#matrix"', 1)[1].split("</script>", 1)[0]
    dash = json.loads(matrix.split(", ", 1)[1].rsplit(", {", 1)[0])["layer"]
    marks = [layer["encoding"]["strokeDash"] for layer in dash if "strokeDash" in layer.get("encoding", {})]
    assert (
        marks and marks[0]["field"] == "detail" and "dettaglio per missione" in marks[0]["scale"]["domain"]
    )  # drawn marked, with a legend
    assert "Istruzione e diritto allo studio (dettaglio per missione)" in text
    assert "Non classificata: missione 01 data solo in totale" in text
    priorities = html.split('VIEWS.push(vegaEmbed("#priorities"', 1)[1].split("</script>", 1)[0]
    assert '"function": "01"' not in priorities and '"function": "50"' not in priorities
    dom, log = render(home.outputs_dir / "dashboards" / f"{MODENA}.html")
    assert "<svg" in dom and not [line for line in log.splitlines() if "CONSOLE" in line and "ERROR" in line]


def test_movement_with_a_programme_level_year_is_shown_mission_by_mission(home):
    text = _text(_page(home, MODENA))
    assert "Un solo anno caricato" not in text
    assert (
        "Il 2020 ha il dettaglio per programma; il 2021 ha solo il dettaglio per missione (con i macroaggregati)"
        in text
    )
    assert "Spesa 2020" in text and "Spesa 2021" in text
    section = text.split("Spostamenti rispetto all'anno precedente", 1)[1].split("Priorità di intervento", 1)[0]
    assert (
        "10 Trasporti e diritto alla mobilità" in section
        and "01 Servizi istituzionali, generali e di gestione" in section
    )
    with warehouse.connect(home.warehouse_path) as con:
        moved = warehouse.read_table(con, "mission_movement").filter(pl.col("body") == "036")
        matrix = warehouse.read_table(con, "ruffini_matrix").filter(pl.col("body") == "036", pl.col("year") == 2020)
    roads = moved.filter(pl.col("function") == "10").row(0, named=True)
    assert roads["year_before"] == 2020 and roads["detail_before"] == "programme" and roads["detail_now"] == "mission"
    assert (
        roads["spending_before_cents"] == matrix.filter(pl.col("function").str.starts_with("10."))["total_cents"].sum()
    )


def test_what_changed_names_the_year_that_lacks_detail(home):
    section = _text(_page(home, MODENA).split('<section id="changes">', 1)[1].split("</section>", 1)[0])
    assert (
        "Il 2020 ha il dettaglio per programma; il 2021 ha solo il dettaglio per missione (con i macroaggregati)"
        in section
    )
    assert " o il " not in section


def test_peers_are_named_with_their_values_at_the_same_detail(home):
    text = _text(_page(home, MODENA))
    assert "Nessun ente simile" not in text
    assert re.search(
        r"Enti simili scelti per stesso tipo di ente e popolazione comparabile \(entro ±\d+ %\): "
        r"Provincia di Vicenza, Provincia di Padova, Provincia di Rovigo",
        text,
    )
    assert re.search(r"Provincia di Padova \d+,\d\d\s€", text)
    padova = _text(_page(home, "028_2021_rendiconto"))
    assert "Provincia di Modena (solo dettaglio per missione in quell'anno: nessun valore per programma)" in padova


def test_the_index_never_puts_mission_level_bodies_beside_the_others_unmarked(home):
    html = (home.outputs_dir / "dashboards" / "index.html").read_text(encoding="utf-8")
    assert "Provincia di Modena (dettaglio per missione)" in html
    assert "hanno per quell'anno solo i totali per missione" in _text(html)
    with warehouse.connect(home.warehouse_path) as con:
        overview = warehouse.read_table(con, "national_overview").filter(pl.col("year") == 2021)
        matrix = warehouse.read_table(con, "ruffini_matrix").filter(pl.col("year") == 2021)
    assert dict(overview.select("body", "coarse").unique().iter_rows()) == {
        "036": True,
        "024": False,
        "028": False,
        "029": False,
    }
    assert overview.group_by("body").agg(pl.col("share").sum())["share"].round(9).to_list() == [1.0] * 4
    services = matrix.filter(pl.col("kind") != "technical").group_by("body").agg(pl.col("total_cents").sum())
    assert dict(services.iter_rows()) == dict(
        overview.group_by("body").agg(pl.col("total_cents").sum()).iter_rows()
    )  # no debt, no clearing


def test_the_workbook_reads_right(home):
    workbook = openpyxl.load_workbook(home.outputs_dir / "reports" / f"{MODENA}.xlsx")
    summary = {row[0]: row[1] for row in workbook["Sintesi"].iter_rows(values_only=True) if row[0]}
    assert summary["Progetti di sviluppo nel piano di riassetto"] == 0
    assert summary["Progetti di sviluppo da completare con il dettaglio per programma (dati solo per missione)"] >= 1
    assert (
        "Piani di cessione al titolare (funzioni trasferite)" in summary
    )  # delegated functions are governed, never handed over (issue 26)
    peers = " ".join(str(c) for row in workbook["Enti simili"].iter_rows(values_only=True) for c in row if c)
    assert "Provincia di Padova" in peers and "mediana" not in peers.lower().split("enti simili scelti")[0]
    priorities = [row for row in workbook["Priorità"].iter_rows(values_only=True) if row[0] and isinstance(row[0], int)]
    assert priorities and all(row[1] not in ("01", "20", "50", "60", "99") for row in priorities)
    assert any(str(row[13]).startswith("mediana ") and "Provincia di" in str(row[13]) for row in priorities)
    plan = " ".join(str(c) for row in workbook["Piano di riassetto"].iter_rows(values_only=True) for c in row if c)
    assert "Ottenere il dettaglio per programma" in plan and "Direzione (dati solo per missione)" in plan
    scenarios = " ".join(str(c) for row in workbook["Scenari"].iter_rows(values_only=True) for c in row if c)
    assert "questi scenari sono ex post" in scenarios and "coprono le stesse" in scenarios
    changed = [row for row in workbook["Cosa è cambiato"].iter_rows(values_only=True) if any(row)]
    assert any("Il 2020 ha il dettaglio per programma" in str(row[0]) for row in changed)
    header = next(row for row in changed if row[0] == "Missione")
    assert header[2:4] == ("Spesa 2020", "Spesa 2021") and any(
        row[0] == "10" and row[1] == "Trasporti e diritto alla mobilità" for row in changed
    )


def test_the_planner_chooses_the_peer_group_and_the_run_records_it(home, monkeypatch):
    monkeypatch.setenv("AREAVASTA_HOME", str(home.home))
    runner = CliRunner()
    assert runner.invoke(app, ["run", "--year", "2021", "--peer-group", "nowhere"]).exit_code == 2
    assert runner.invoke(app, ["run", "--year", "2021", "--peers", "XX,Atlantide"]).exit_code == 2
    result = runner.invoke(app, ["run", "--year", "2021", "--peers", "PD,Vicenza"])
    assert result.exit_code == 0, result.output
    with warehouse.connect(home.warehouse_path) as con:
        groups = warehouse.read_table(con, "peer_groups").filter(pl.col("body") == "036", pl.col("year") == 2021)
        recorded = warehouse.read_table(con, "stage_parameters").filter(
            pl.col("asset") == "peer_benchmarks", pl.col("year") == 2021
        )
        found = manifest.build(con, pl.DataFrame({"year": [2021]}, schema={"year": pl.Int32}))
    assert sorted(groups["peer"]) == ["024", "028"] and set(groups["rule"]) == {"list"}
    assert json.loads(recorded["parameters"][0]) == {"peer_group": "list", "peers": ["028", "024"]}
    assert any(p["asset"] == "peer_benchmarks" and "024" in p["parameters"] for p in found.content["parameters"])
    assert "enti scelti uno per uno: Provincia di Vicenza, Provincia di Padova" in _text(_page(home, MODENA))


def test_english_pages_and_workbooks_say_the_same_in_english(home):
    from pipelines import stage_outputs, stages

    keys = stages.keys_frame([("036", 2021)])
    with warehouse.connect(home.warehouse_path) as con:
        stage_outputs.stage_dashboards(con, keys, home, lang="en")
        workbook, document = stage_outputs.stage_reports(con, keys, home, output=home.home / "en", lang="en")
    assert (workbook.name, document.name) == ("036_2021_rendiconto_en.xlsx", "036_2021_rendiconto_en.docx")
    import docx

    words = " ".join(t.text or "" for t in docx.Document(str(document)).element.body.iter(docx.oxml.ns.qn("w:t")))
    assert "Istruzione e diritto allo studio (mission detail)" in words and "dettaglio per missione" not in words
    text = _text(_page(home, f"{MODENA}_en"))
    for words in (
        "Mission-level data only",
        "2020 has programme detail; 2021 has mission detail only (with macroaggregates)",
        "Peers chosen by",
        "Istruzione e diritto allo studio (mission detail)",
        "Not classified: mission 01 given as a total",
    ):
        assert words in text, words
    for italian in ("dettaglio per missione", "Enti simili", "Non classificata", "Spesa 2020", "nessuna spesa"):
        assert italian not in text, italian
    sheets = openpyxl.load_workbook(workbook)
    plan = " ".join(str(c) for row in sheets["Restructuring plan"].iter_rows(values_only=True) for c in row[:1] if c)
    assert "Direction (mission-level data only)" in plan
    scenarios = " ".join(str(c) for row in sheets["Scenarios"].iter_rows(values_only=True) for c in row if c)
    assert "these scenarios are ex post" in scenarios and "cover the same" in scenarios
    assert "Peers chosen by" in " ".join(
        str(c) for row in sheets["Peers"].iter_rows(values_only=True) for c in row if c
    )
