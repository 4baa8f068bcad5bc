"""The Excel report: opened by openpyxl and by LibreOffice; values not formulas; input text never a formula."""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from pathlib import Path

import dagster as dg
import openpyxl
import polars as pl
import pytest

from dashboards.cell_text import DIGIT_POINTS, longest_word, row_points, wrapped_lines
from pipelines.runner import run_pipeline
from sources.samples.budget import generate_budget
from tests import malformed as m
from tests.conftest import write_sample
from tests.office import office_tools
from tests.workbook_pdf import expected_pieces, missing_pieces, overprinted, sheet_texts, to_pdf
from warehouse.ingest import ingest_files

SHEETS = [
    "Sintesi",
    "Cosa è cambiato",
    "Matrice",
    "Valutazioni",
    "Priorità",
    "Indicatori",
    "Enti simili",
    "Analisi strategica",
    "Piano di riassetto",
    "Scenari",
    "Dati",
    "Controlli",
    "Metodo",
]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    os.environ["AREAVASTA_HOME"] = str(home)
    from sources.settings import load_settings

    settings = load_settings()
    files = [
        write_sample(home / "in", generate_budget(b, y, "rendiconto"), "annex_amount_kinds")
        for b in ("002", "003", "005")
        for y in (2024, 2025)
    ]
    hostile = m.edit_xlsx(
        write_sample(home / "in2", generate_budget("006", 2025, "rendiconto"), "template"),
        home / "in2" / "=HYPERLINK(evil).xlsx",
        "Override autorità",
        {
            "A4": "10.05",
            "B4": "controlli_sanzioni",
            "C4": 3,
            "E4": m.Text('=HYPERLINK("http://example.invalid","clic")'),
            "F4": m.Text("@SUM(1)"),
        },
    )
    outcomes = ingest_files([*files, hostile], settings)
    assert all(o.status == "accepted" for o in outcomes), [o.validation.findings for o in outcomes]
    run_pipeline(dg.DagsterInstance.ephemeral(), [2024, 2025], home=str(home))  # the assets write the workbooks
    del os.environ["AREAVASTA_HOME"]
    return settings, sorted((settings.outputs_dir / "reports").glob("*.xlsx"))


def test_one_workbook_per_body_year_phase_with_every_sheet(reports):
    _, paths = reports
    assert sorted(p.name for p in paths) == sorted(
        [f"{b}_{y}_rendiconto.xlsx" for b in ("002", "003", "005") for y in (2024, 2025)] + ["006_2025_rendiconto.xlsx"]
    )
    workbook = openpyxl.load_workbook(paths[0])
    assert workbook.sheetnames == SHEETS
    with zipfile.ZipFile(paths[0]) as archive:  # the matrix chart as a picture
        assert any(name.startswith("xl/media/") and name.endswith(".png") for name in archive.namelist())
    assert workbook["Priorità"].freeze_panes and workbook["Priorità"].auto_filter.ref


def test_values_not_formulas_and_input_text_is_never_a_formula(reports):
    _, paths = reports
    for path in paths:
        for sheet in openpyxl.load_workbook(path).worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path.name, sheet.title, cell.coordinate)
    hostile = openpyxl.load_workbook(next(p for p in paths if p.name.startswith("006")))
    notes = [c.value for c in hostile["Matrice"]["K"] if c.value and "HYPERLINK" in str(c.value)]
    assert notes and all(isinstance(v, str) for v in notes)
    names = [c.value for c in hostile["Metodo"]["A"] if c.value and str(c.value).startswith("=")]
    assert names == ["=HYPERLINK(evil).xlsx"]


def test_numbers_trace_to_the_analysis(reports):
    settings, paths = reports
    workbook = openpyxl.load_workbook(next(p for p in paths if p.name == "002_2025_rendiconto.xlsx"))
    sheet = workbook["Priorità"]
    header = [c.value for c in sheet[4]]
    first = [c.value for c in sheet[5]]
    assert header[:4] == ["Rango", "Codice", "Funzione", "Punteggio"] and first[0] == 1
    method = " ".join(str(c.value) for c in workbook["Metodo"]["B"] if c.value)
    names = [str(c.value) for c in workbook["Metodo"]["A"] if c.value]
    assert "SHA-256" in method and "Classificazione › Soglie › quota di trasferimenti" in names
    assert not any(
        word in " ".join(names) for word in ("thresholds", "weights", "run_config", "{")
    )  # words, not keys or JSON


def test_scenarios_are_saved_with_their_parameters(reports):
    settings, _ = reports
    saved = sorted(p.name for p in (settings.outputs_dir / "scenarios").iterdir())
    assert {"piano.json", "prudente.json", "ambizioso.json", "piano_projection.csv"} <= set(saved)
    # every scenario's file covers the same functions as the Base (the common set), saying which ones it plans
    folder = settings.outputs_dir / "scenarios"
    sets = {
        name: set(
            pl.read_csv(folder / f"{name}_projection.csv", infer_schema=False)
            .select("body", "year", "function")
            .unique()
            .rows()
        )
        for name in ("piano", "prudente", "ambizioso")
    }
    assert sets["piano"] == sets["prudente"] == sets["ambizioso"] and sets["piano"]
    ambitious = pl.read_csv(folder / "ambizioso_projection.csv", infer_schema=False)
    plain = pl.read_csv(folder / "piano_projection.csv", infer_schema=False)
    assert (ambitious["in_plan"] == "true").sum() > (plain["in_plan"] == "true").sum()


@pytest.fixture(scope="module")
def printed(reports, tmp_path_factory):
    """A workbook with every sheet filled (a year with the previous one loaded) as LibreOffice prints it: converted
    once for the tests below."""
    soffice, pdftotext = office_tools("that the workbook prints whole")
    _, paths = reports
    path = next(p for p in paths if p.name == "002_2025_rendiconto.xlsx")
    pdf = to_pdf(soffice, path, tmp_path_factory.mktemp("pdf"))
    return path, pdf, pdftotext


def test_libreoffice_opens_the_workbook(printed):
    _, pdf, _ = printed
    assert pdf.stat().st_size > 10_000
    artifacts = Path(__file__).parent / "artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copy(pdf, artifacts / pdf.name)  # kept for a person to look at


def test_every_cell_prints_whole_in_libreoffice(printed):
    """Each cell's words and figures are on its sheet's pages as many times as the cells hold them: none cut at a
    cell's edge ("medio-bas"), glued to the next cell ("socia54,1"), split inside ("Punteggi o") or shown as ###."""
    path, pdf, pdftotext = printed
    pieces = expected_pieces(path)
    texts = sheet_texts(pdftotext, pdf, list(pieces))
    assert all(texts.values()), [name for name, text in texts.items() if not text]
    assert not missing_pieces(pieces, texts)


def test_no_word_prints_over_another(printed):
    """Rows tall enough for their wrapped text: no label prints over the next row's ("Tipo di piano" under the
    function's name)."""
    _, pdf, pdftotext = printed
    assert not overprinted(pdftotext, pdf)


def test_every_word_fits_its_column_and_every_row_its_lines(reports):
    """Measured with the font's widths (DejaVu Sans, wider than Calibri): no word wider than its column, no row
    shorter than its wrapped text, and every text cell wraps (none runs over the next cell)."""
    _, paths = reports
    for path in paths:
        for sheet in openpyxl.load_workbook(path).worksheets:
            merged = set(cell for r in sheet.merged_cells.ranges for cell in r.cells)
            widths = {i: d.width for d in sheet.column_dimensions.values() for i in range(d.min, d.max + 1)}
            for row in sheet.iter_rows():
                for cell in row:
                    if not isinstance(cell.value, str) or not cell.value or (cell.row, cell.column) in merged:
                        continue
                    width = widths[cell.column]
                    bold = bool(cell.font and cell.font.b)
                    where = (path.name, sheet.title, cell.coordinate, cell.value[:40])
                    assert cell.alignment.wrap_text, where
                    height = sheet.row_dimensions[cell.row].height or 15
                    if cell.alignment.textRotation == 90:  # a heading turned upright over short figures
                        assert height >= longest_word(cell.value, bold) * DIGIT_POINTS, (*where, height)
                        continue
                    assert longest_word(cell.value, bold) <= width or longest_word(cell.value, bold) > 39, where
                    lines = wrapped_lines(cell.value, width, bold)
                    assert height >= (row_points(lines) if lines > 1 else 15), (*where, height, lines)


def test_scores_and_figures_are_numbers_in_italian(reports):
    """Scores are numbers shown "82,0 / 100", never the text "82.0 / 100"; every figure's format carries the Italian
    locale ([$-410]), so LibreOffice prints 1.234,56 whatever the machine's language."""
    _, paths = reports
    workbook = openpyxl.load_workbook(next(p for p in paths if p.name == "002_2025_rendiconto.xlsx"))
    priorities = workbook["Priorità"]
    header = next(c.row for c in priorities["A"] if c.value == "Rango")
    column = next(c.column_letter for c in priorities[header] if c.value == "Punteggio")
    scores = [c for c in priorities[column][header:] if c.value is not None]
    assert scores and all(isinstance(c.value, float) and c.number_format == '[$-410]0.0 "/ 100"_-_-' for c in scores)
    summary = [c for row in workbook["Sintesi"].iter_rows() for c in row if '"/ 100"' in c.number_format]
    assert summary and all(isinstance(c.value, float) for c in summary)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert not (isinstance(cell.value, str) and re.search(r"\d\.\d+ / 100", cell.value)), cell.coordinate
                if isinstance(cell.value, float):
                    assert cell.number_format.startswith("[$-410]"), (sheet.title, cell.coordinate, cell.number_format)


def test_english_workbook_on_request(reports, tmp_path):
    settings, _ = reports
    config = {"report_workbooks": {"lang": "en", "folder": str(tmp_path)}}
    run_pipeline(
        dg.DagsterInstance.ephemeral(),
        [2025],
        ["002"],
        home=str(settings.home),
        config=config,
        stages=("body_reports",),
    )
    [path] = sorted(tmp_path.glob("*.xlsx"))
    workbook = openpyxl.load_workbook(path)
    assert path.name == "002_2025_rendiconto_en.xlsx"
    assert workbook.sheetnames == [
        "Summary",
        "What changed",
        "Matrix",
        "Ratings",
        "Priorities",
        "Indicators",
        "Peers",
        "Strategic analysis",
        "Restructuring plan",
        "Scenarios",
        "Data",
        "Checks",
        "Method",
    ]
    explanations = [c.value for c in workbook["Matrix"]["J"] if c.value and "→" in str(c.value)]
    assert explanations and all("authority" in e or "Not classified" in e for e in explanations)
    plan = " ".join(str(c.value) for c in workbook["Restructuring plan"]["B"] if c.value)
    assert "Co-planning (0-4 months" in plan and "Co-programmazione" not in plan.split("Progetto di sviluppo")[0]
    labels = [str(c.value) for c in workbook["Restructuring plan"]["A"] if c.value]
    assert any(label.startswith("Indicator: ") and "Spending per inhabitant" in label for label in labels)
    scores = [c for row in workbook["Priorities"].iter_rows() for c in row if '"/ 100"' in c.number_format]
    assert scores and all(isinstance(c.value, float) and c.number_format.startswith("[$-809]") for c in scores)
    soffice, pdftotext = office_tools("that the English workbook prints whole")  # last: the checks above run anyway
    pdf = to_pdf(soffice, path, tmp_path)
    pieces = expected_pieces(path, "en")
    assert not missing_pieces(pieces, sheet_texts(pdftotext, pdf, list(pieces)))


def test_plan_rows_are_tall_enough_for_their_wrapped_text(reports):
    """Long plan texts wrap in a row high enough for them: nothing printed on top of the next row, no cut DUP text."""
    _, paths = reports
    sheet = openpyxl.load_workbook(paths[0])["Piano di riassetto"]
    long_rows = [cell.row for cell in sheet["B"] if isinstance(cell.value, str) and len(cell.value) > 300]
    assert long_rows
    width = sheet.column_dimensions["B"].width
    for row in long_rows:
        height = sheet.row_dimensions[row].height or 15
        lines = wrapped_lines(sheet.cell(row, 2).value, width)
        assert height >= row_points(lines) and row_points(lines) < 409, (row, height, lines)  # a paragraph fits a row


def test_every_sheet_prints_to_the_width_with_titles_header_footer_and_cents(reports):
    _, paths = reports
    workbook = openpyxl.load_workbook(paths[0])
    for sheet in workbook.worksheets:
        setup = sheet.page_setup
        assert (setup.fitToWidth, setup.fitToHeight) in ((1, 0), (None, 0)), (
            sheet.title
        )  # width only, never squeezed to 1 page
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert "&P" in (sheet.oddFooter.center.text or "") and "&N" in sheet.oddFooter.center.text, sheet.title
        assert "Vercelli" in (sheet.oddHeader.left.text or ""), sheet.title
    matrix = workbook["Matrice"]
    header_row = next(c.row for c in matrix["A"] if c.value == "Codice")
    assert matrix.freeze_panes == f"A{header_row + 1}"  # just below the table's header, not below a picture
    assert matrix.print_title_rows.replace("$", "") == f"{header_row}:{header_row}"
    spending = next(c for c in matrix["D"][header_row:] if isinstance(c.value, float))
    assert "0.00" in spending.number_format and "€" in spending.number_format
    header = next(row for row in workbook["Scenari"].iter_rows(values_only=True) if row[0] == "Anno")
    assert "Base (senza piano)" in header and "piu_coproduzione" not in header


INTERNAL_KEYS = {
    "direct",
    "indirect",
    "regulation",
    "allocation",
    "retained",
    "transferred",
    "delegated",
    "non_fundamental",
    "not_applicable",
    "service",
    "support",
    "technical",
    "regions_only",
    "no_detail",
    "negligible",
    "development",
    "handover",
    "co_produce",
    "hand_over",
    "revenue_opportunity",
    "verify_data",
    "piu_coproduzione",
    "current",
    "superseded",
    "annex_amount_kinds",
    "template",
    "rendiconto_2025",
    "mission_total",
    "mission_only",
    "no_spending",
    "mission_totals",
    "development_mission",
    "outlier",
    "population",
    "ex_post",
}


def test_no_internal_key_reaches_a_reader_of_the_workbook(reports):
    """Every text cell of every sheet: words, never one of the product's internal keys or a raw structure."""
    _, paths = reports
    leaks = []
    for path in paths:
        for sheet in openpyxl.load_workbook(path).worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if not isinstance(cell.value, str) or re.search(r"\.(csv|yaml|txt|xlsx)\b", cell.value):
                        continue  # a file's name is what the person needs to find it
                    tokens = set(re.findall(r"[a-z_0-9]+", cell.value))
                    found = tokens & INTERNAL_KEYS
                    if (
                        found
                        or cell.value.lstrip().startswith(("{", "["))
                        or re.search(r"\b[a-z]+_[a-z_]+\b", cell.value)
                    ):
                        leaks.append((path.name, sheet.title, cell.coordinate, cell.value[:60]))
    assert not leaks, leaks[:15]


def test_text_widths_are_kept_per_text_and_weight():
    """Widths are cached per text (a workbook measures the same words thousands of times): never across weights."""
    from dashboards.cell_text import DIGIT, _advances, text_width

    word = "Trasferimenti"
    regular, bold = text_width(word), text_width(word, True)
    assert bold > regular and text_width(word) == regular
    assert bold == pytest.approx(sum(_advances(True)[c] for c in word) / DIGIT)
    assert text_width(word, size=22) == pytest.approx(2 * regular)
