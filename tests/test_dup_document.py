"""The DUP as a Word document (issue 26): one per body, year and phase beside the workbook, opened by python-docx and by
LibreOffice; the DUP's headings, a real table of contents, page numbers; a Sezione Operativa entry per programme of the
plan with the responsible unit ("da indicare" until the body names it), the three forecast years, indicators, the
co-production form and the phases; figures in words; English on request."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import dagster as dg
import docx
import pytest
from typer.testing import CliRunner

from cli.main import app
from pipelines.runner import run_pipeline
from sources.samples.budget import generate_budget
from tests.conftest import settings_for, write_sample
from tests.office import office_tools
from transforms.figures import euro_words
from warehouse import store as warehouse
from warehouse.ingest import ingest_files

runner = CliRunner()
TOC = 'TOC \\o "1-2" \\h \\z \\u'
HEADINGS_IT = [
    "Sezione Strategica (SeS)",
    "Obiettivi strategici per missione",
    "Sezione Operativa (SeO)",
    "Parte prima – Obiettivi operativi per programma",
    "Allegato – Matrice di Ruffini e graduatoria",
]
HEADINGS_EN = [
    "Strategic Section (SeS)",
    "Strategic objectives by mission",
    "Operational Section (SeO)",
    "Part one – Operational objectives by programme",
    "Annex – Ruffini matrix and ranking",
]
# what a person never reads: the plan kinds, statuses, quadrants and indicator directions as stored
INTERNAL_KEYS = [
    "development",
    "maintain",
    "delegation",
    "handover",
    "split",
    "retained",
    "transferred",
    "delegated",
    "non_fundamental",
    "allocation",
    "regulation",
    "indirect",
    "direct",
    "watch",
    "co_planning",
    "co_design",
]


@pytest.fixture(scope="module")
def dup(tmp_path_factory):
    """Bologna (237) with final accounts 2025 and the forecast 2026 (three years), Vercelli (002) with final accounts
    only."""
    home = tmp_path_factory.mktemp("home")
    settings = settings_for(home)
    files = [
        write_sample(home / "in", generate_budget("237", 2025, "rendiconto"), "annex_amount_kinds"),
        write_sample(home / "in", generate_budget("237", 2026, "previsione"), "template"),
        write_sample(home / "in", generate_budget("002", 2025, "rendiconto"), "annex_amount_kinds"),
    ]
    os.environ["AREAVASTA_HOME"] = str(home)
    try:
        outcomes = ingest_files(files, settings)
        assert all(o.status == "accepted" for o in outcomes), [o.validation.findings for o in outcomes]
        run_pipeline(dg.DagsterInstance.ephemeral(), [2025, 2026], ["237", "002"], home=str(home))
    finally:
        del os.environ["AREAVASTA_HOME"]
    return settings, settings.outputs_dir / "reports"


def text_of(path: Path) -> str:
    """Every paragraph and table cell, in document order (a planner reads tables too); headings marked "#", "##",
    "###"."""
    qn = docx.oxml.ns.qn
    lines = []
    for p in docx.Document(str(path)).element.body.iter(qn("w:p")):
        style = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        level = style.get(qn("w:val"))[-1] if style is not None and style.get(qn("w:val")).startswith("Heading") else ""
        lines.append(("#" * int(level) + " " if level else "") + "".join(t.text or "" for t in p.iter(qn("w:t"))))
    return "\n".join(lines)


def entry(text: str, code: str, lang: str = "it") -> str:
    """The Sezione Operativa entry of one programme: from its heading to the next heading."""
    part = (HEADINGS_IT if lang == "it" else HEADINGS_EN)[3]
    operative = text[text.index(f"## {part}") :]
    start = operative.find(f"\n### {code} ")
    assert start >= 0, f"no entry for {code}"
    end = operative.find("\n#", start + 1)
    return operative[start + 1 : end if end > 0 else None]


def headings(path: Path) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in docx.Document(str(path)).paragraphs if p.style.name.startswith("Heading")]


def test_one_document_beside_each_workbook_recorded_in_the_manifest(dup):
    settings, folder = dup
    workbooks = sorted(p.stem for p in folder.glob("*.xlsx"))
    assert workbooks == ["002_2025_rendiconto", "237_2025_rendiconto", "237_2026_previsione"]
    assert sorted(p.stem for p in folder.glob("*.docx")) == workbooks
    recorded = {
        name
        for path in (settings.home / "manifests").glob("*.json")
        for name in json.loads(path.read_text())["outputs"]
    }
    assert {f"reports/{stem}.docx" for stem in workbooks} <= recorded


def test_headings_table_of_contents_and_page_numbers(dup):
    _, folder = dup
    path = folder / "237_2025_rendiconto.docx"
    found = [text for _, text in headings(path)]
    assert all(h in found for h in HEADINGS_IT), found
    with zipfile.ZipFile(path) as archive:
        body = archive.read("word/document.xml").decode()
        settings_xml = archive.read("word/settings.xml").decode()
        footers = " ".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("word/footer"))
    assert f'<w:instrText xml:space="preserve"> {TOC} </w:instrText>' in body
    assert '<w:updateFields w:val="true"/>' in settings_xml  # Word refreshes the contents when it opens the file
    assert " PAGE " in footers and " NUMPAGES " in footers and "Pagina " in footers and " di " in footers
    text = text_of(path)
    contents = text[text.index("Indice") : text.index("Sezione Strategica (SeS)", text.index("Indice") + 10)]
    assert (
        "Sezione Operativa (SeO)" in contents
    )  # the contents' current result lists the headings (LibreOffice prints it)
    assert "DUP 2026-2028" in text and "Proposta elaborata dal rendiconto 2025" in text
    assert "DUP 2026-2028" in text_of(folder / "237_2026_previsione.docx")


def test_the_operative_entries_as_a_planner_reads_them(dup):
    _, folder = dup
    text = text_of(folder / "237_2026_previsione.docx")
    roads = entry(text, "10.05")
    assert "Tipo di piano\nprogetto di sviluppo" in roads and "Responsabile\nda indicare" in roads
    for part in (
        "Obiettivo operativo\nPortare il servizio da «",
        "Risorse",
        "Indicatori",
        "Valore di partenza",
        "dato da rilevare",
        "Forma di coproduzione",
        "co-valutazione",
        "Fasi",
        "Co-programmazione",
    ):
        assert part in roads, part
    assert "Missione\n10 Trasporti e diritto alla mobilità" in roads
    objective = roads.split("Obiettivo operativo\n")[1].split("\n")[0]
    assert objective.count(".") == 1 and ";" not in objective  # one sentence, no list repeated
    schools = entry(text, "04.02")
    assert "Missione\n04 Istruzione e diritto allo studio" in schools and "Responsabile\nda indicare" in schools
    taken_back = entry(
        text, "16.02"
    )  # Emilia-Romagna took hunting and fishing back (status_by_region.csv): a hand-over
    assert "piano di cessione al titolare" in taken_back and "L.R. Emilia-Romagna 13/2015" in taken_back
    hunting = entry(
        text_of(folder / "002_2025_rendiconto.docx"), "16.02"
    )  # Piemonte delegates it: governed, never handed over
    assert "Tipo di piano\ngoverno della funzione delegata dalla Regione" in hunting
    assert "cessione" not in hunting.lower() and "cedere" not in hunting.lower()
    assert "accordo con la Regione" in hunting and "costo pieno" in hunting
    transferred = entry(text, "15.01")
    assert (
        "piano di cessione al titolare" in transferred
        and "Forma di coproduzione\nnessuna: funzione trasferita" in transferred
    )


def test_three_years_of_resources_from_the_forecast(dup):
    settings, folder = dup
    with warehouse.connect(settings.warehouse_path) as con:
        sums = dict(
            con.execute(
                "SELECT amount_kind, sum(amount_cents) FROM core.budget_lines WHERE body = '237' AND year = 2026 AND "
                "phase = 'previsione' AND programma = '10.05' AND titolo IN ('1', '2') GROUP BY amount_kind"
            ).fetchall()
        )
    expected = [euro_words(sums[k]) for k in ("stanziamento", "stanziamento_anno_2", "stanziamento_anno_3")]
    for name in (
        "237_2026_previsione.docx",
        "237_2025_rendiconto.docx",
    ):  # final accounts 2025 prepare the DUP 2026-2028
        roads = entry(text_of(folder / name), "10.05")
        assert "Spesa\n2026\n2027\n2028" in roads
        assert "Totale\n" + "\n".join(expected) in roads, (name, expected)
        assert "Stanziamenti di competenza del bilancio di previsione 2026-2028" in roads
    vercelli = text_of(folder / "002_2025_rendiconto.docx")
    assert "Previsione 2026 non caricata" in vercelli and "DUP 2026-2028" in vercelli


def test_figures_in_words_and_no_internal_keys(dup):
    _, folder = dup
    for path in sorted(folder.glob("*.docx")):
        text = text_of(path)
        assert not re.search(r"\bil 0\s?%", text), path.name  # "lo 0 %" (with a no-break space)
        assert not re.search(r"\d{1,3}(\.\d{3})+,\d{1,2}\b", text), path.name  # no "1.092.229,19": figures in words
        assert not re.search(r"\b\d{1,3}(\.\d{3}){2,}\b", text), path.name  # no millions written to the euro either
        assert not re.search(r"\d+,\d{2} ?€", text), path.name  # no cents per inhabitant
        words = set(re.findall(r"[a-z_]+", text))
        assert not words & set(INTERNAL_KEYS), (path.name, words & set(INTERNAL_KEYS))


def test_the_responsible_unit_set_on_the_command_line(dup, tmp_path):
    settings, _ = dup
    os.environ["AREAVASTA_HOME"] = str(settings.home)
    try:
        said = runner.invoke(
            app, ["dup", "responsabile", "--body", "237", "--funzione", "10.05", "--unita", "Settore Viabilità"]
        )
        assert said.exit_code == 0, said.output
        assert "Settore Viabilità" in said.output and "scritto in" in said.output
        english = runner.invoke(
            app,
            [
                "dup",
                "responsabile",
                "--body",
                "BO",
                "--funzione",
                "16.02",
                "--unita",
                "Polizia provinciale",
                "--fonte",
                "organigramma 2026",
                "--lang",
                "en",
            ],
        )
        assert english.exit_code == 0 and "responsible unit" in english.output and "written to" in english.output
        wrong = runner.invoke(app, ["dup", "responsabile", "--body", "237", "--funzione", "10.99", "--unita", "X"])
        assert wrong.exit_code == 2 and "non è un programma" in wrong.output
        config = {"report_workbooks": {"folder": str(tmp_path)}}
        run_pipeline(
            dg.DagsterInstance.ephemeral(),
            [2026],
            ["237"],
            home=str(settings.home),
            config=config,
            stages=("body_reports",),
        )
    finally:
        del os.environ["AREAVASTA_HOME"]
    with (settings.home / "dup" / "237.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["function", "responsible_unit", "source"]
    assert rows[1][:2] == ["10.05", "Settore Viabilità"] and rows[1][2].startswith("areavasta dup responsabile")
    assert rows[2] == ["16.02", "Polizia provinciale", "organigramma 2026"]
    text = text_of(tmp_path / "237_2026_previsione.docx")
    assert "Responsabile\nSettore Viabilità" in entry(text, "10.05")
    assert "Responsabile\nPolizia provinciale" in entry(text, "16.02")
    assert "Responsabile\nda indicare" in entry(text, "04.02")  # the others wait for the body


def test_a_units_file_that_cannot_be_used_is_said_in_the_document(dup, tmp_path):
    from sources.dup_units import UnitsError, read_units

    (tmp_path / "dup").mkdir()
    (tmp_path / "dup" / "237.csv").write_text(
        "function;responsible_unit;source\n10.05;Settore Strade;organigramma\n", encoding="utf-8"
    )
    assert read_units(tmp_path, "237") == {"10.05": "Settore Strade"}  # saved by an Italian Excel: ";" separated
    (tmp_path / "dup" / "237.csv").write_text("function,responsible_unit\n10.99,Nessuno\n", encoding="utf-8")
    with pytest.raises(UnitsError, match="riga 2, colonna function"):
        read_units(tmp_path, "237")


def test_english_on_request(dup, tmp_path):
    settings, _ = dup
    config = {"report_workbooks": {"lang": "en", "folder": str(tmp_path)}}
    run_pipeline(
        dg.DagsterInstance.ephemeral(),
        [2026],
        ["237"],
        home=str(settings.home),
        config=config,
        stages=("body_reports",),
    )
    path = tmp_path / "237_2026_previsione_en.docx"
    found = [text for _, text in headings(path)]
    assert all(h in found for h in HEADINGS_EN), found
    text = text_of(path)
    assert "Sezione" not in " ".join(found) and "Page " in " ".join(
        zipfile.ZipFile(path).read(n).decode() for n in zipfile.ZipFile(path).namelist() if n.startswith("word/footer")
    )
    roads = entry(text, "10.05", "en")
    assert "Kind of plan\ndevelopment project" in roads and "Responsible unit\n" in roads
    assert 'Move the service from "traditional professional service provision"' in roads
    for italian in (
        "da indicare",
        "dato da rilevare",
        "Obiettivo operativo",
        "progetto di sviluppo",
        "Tradizionale fornitura",
    ):
        assert italian not in text, italian


def test_rerun_writes_the_same_bytes(dup, tmp_path):
    """Same manifest, same document, byte for byte (python-docx stamps the zip with the time of saving: not here)."""
    settings, _ = dup
    for name in ("a", "b"):
        time.sleep(2.1)  # another zip time stamp (two-second resolution) if the file took the time of saving
        config = {"report_workbooks": {"folder": str(tmp_path / name)}}
        run_pipeline(
            dg.DagsterInstance.ephemeral(),
            [2025],
            ["002"],
            home=str(settings.home),
            config=config,
            stages=("body_reports",),
        )
    assert (tmp_path / "a" / "002_2025_rendiconto.docx").read_bytes() == (
        tmp_path / "b" / "002_2025_rendiconto.docx"
    ).read_bytes()


def test_the_body_page_links_the_workbook_and_the_document(dup):
    settings, _ = dup
    page = (settings.outputs_dir / "dashboards" / "237_2025_rendiconto.html").read_text(encoding="utf-8")
    assert 'href="../reports/237_2025_rendiconto.docx">Documento DUP (Word)</a>' in page
    assert 'href="../reports/237_2025_rendiconto.xlsx">Rapporto Excel</a>' in page


def test_libreoffice_opens_the_document(dup, tmp_path):
    """Converted to PDF by LibreOffice Writer: pages, the contents' headings, the page numbers. Under CI=true a missing
    LibreOffice (or Writer) fails instead of skipping (.ci/run installs libreoffice-writer-nogui and poppler-utils)."""
    soffice, pdftotext = office_tools("the DUP document")
    _, folder = dup
    source = folder / "237_2026_previsione.docx"
    profile = tmp_path / "profile"  # its own LibreOffice profile: another test's conversion may be running
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=False,
        capture_output=True,
        timeout=240,
    )
    pdf = tmp_path / "237_2026_previsione.pdf"
    if not pdf.exists():
        message = (
            "LibreOffice could not convert the .docx (is Writer installed? libreoffice-writer-nogui): "
            f"{result.stderr.decode()[-500:]}"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.count("\f") + (0 if text.endswith("\f") else 1)
    assert pages >= 10, pages
    assert "Sezione Operativa (SeO)" in text and "Parte prima – Obiettivi operativi per programma" in text
    assert re.search(r"Pagina 3 di \d+", text) and "Indice" in text
    artifacts = Path(__file__).parent / "artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copy(pdf, artifacts / pdf.name)  # kept for a person to look at
