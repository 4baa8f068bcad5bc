"""The malformed-file corpus: each broken file yields exactly the expected finding, at the right place.

Files are generated here from valid files made by the project's writers; nothing is committed.
"""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import polars as pl
import pytest

from sources.intake import validate_file
from tests import malformed as m

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _codes(result, severity="error"):
    return [(f.code, f.sheet, f.cell) for f in result.findings if f.severity == severity]


def _one(result, code, sheet=None, cell=None):
    errors = [(f.code, f.sheet, f.cell) for f in result.findings if f.is_error]
    assert errors == [(code, sheet, cell)], [f.to_dict() for f in result.findings]
    finding = result.findings[0] if result.findings[0].is_error else [f for f in result.findings if f.is_error][0]
    assert finding.message("it") and finding.message("en") and "{" not in finding.message("it")
    assert result.lines.height == 0 or not result.ok


# --- containers -------------------------------------------------------------------------------


def test_empty_file(tmp_path, settings):
    path = tmp_path / "vuoto.xlsx"
    path.write_bytes(b"")
    _one(validate_file(path, settings), "FILE_EMPTY")


def test_pdf_is_not_a_spreadsheet(tmp_path, settings):
    path = tmp_path / "bilancio.xlsx"
    path.write_bytes(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n")
    result = validate_file(path, settings)
    _one(result, "FILE_NOT_SPREADSHEET")
    assert "PDF" in result.findings[0].message()


def test_binary_garbage_is_not_a_spreadsheet(tmp_path, settings):
    path = tmp_path / "foto.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    _one(validate_file(path, settings), "FILE_NOT_SPREADSHEET")


def test_word_document_is_not_a_spreadsheet(tmp_path, settings):
    path = m.zip_with(tmp_path / "relazione.xlsx", {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})
    result = validate_file(path, settings)
    _one(result, "FILE_NOT_SPREADSHEET")
    assert "Word" in result.findings[0].message()


def test_legacy_xls_is_refused_with_advice(tmp_path, settings):
    path = tmp_path / "vecchio.xls"
    path.write_bytes(OLE + bytes(1024) + "Workbook".encode("utf-16-le"))
    _one(validate_file(path, settings), "FILE_LEGACY_XLS")


def test_encrypted_workbook(tmp_path, settings):
    path = tmp_path / "protetto.xlsx"
    path.write_bytes(
        OLE + bytes(512) + "EncryptionInfo".encode("utf-16-le") + bytes(64) + "EncryptedPackage".encode("utf-16-le")
    )
    _one(validate_file(path, settings), "FILE_ENCRYPTED")


def test_macro_enabled_workbook_is_refused_unopened(tmp_path, settings):
    good = m.template(tmp_path / "good.xlsx")
    path = m.add_member(good, tmp_path / "macro.xlsm", "xl/vbaProject.bin", b'Attribute VB_Name = "Module1"')
    result = validate_file(path, settings)
    _one(result, "FILE_MACRO_ENABLED")
    assert "vbaProject.bin" in result.findings[0].message()


def _rezipped(source: Path, target: Path, edit) -> Path:
    """The workbook's parts again, ``edit(members)`` changing some: a copy saved by another program."""
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    return m.zip_with(target, edit(members))


MACRO_MAIN = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"


@pytest.mark.parametrize(
    "how, detail",
    [
        (
            "content_type",
            "xlsm",
        ),  # declared macro-enabled, even with no VBA project in it (Excel refuses such an .xlsx too)
        ("macro_sheet", "xl/macrosheets/sheet1.xml"),  # an Excel 4 macro sheet: macros without a VBA project
    ],
)
def test_a_workbook_declared_or_built_macro_enabled_is_refused_unopened(tmp_path, settings, how, detail):
    good = m.template(tmp_path / "good.xlsx")
    xlsx_main = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"

    def edit(members: dict[str, bytes]) -> dict[str, bytes]:
        assert xlsx_main in members["[Content_Types].xml"] and not any("vbaProject" in n for n in members)
        if how == "content_type":
            return {**members, "[Content_Types].xml": members["[Content_Types].xml"].replace(xlsx_main, MACRO_MAIN)}
        return {
            **members,
            "xl/macrosheets/sheet1.xml": b'<xm:macrosheet xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"/>',
        }

    result = validate_file(_rezipped(good, tmp_path / "bilancio.xlsx", edit), settings)
    _one(result, "FILE_MACRO_ENABLED")
    assert result.findings[0].params["detail"] == detail and detail in result.findings[0].message()
    assert validate_file(
        _rezipped(good, tmp_path / "copia.xlsx", lambda members: members), settings
    ).ok  # the re-zipping alone is fine


def test_truncated_zip_is_corrupt(tmp_path, settings):
    good = m.template(tmp_path / "good.xlsx")
    path = tmp_path / "troncato.xlsx"
    path.write_bytes(good.read_bytes()[:3000])
    _one(validate_file(path, settings), "FILE_CORRUPT")


def test_zip_bomb(tmp_path, settings):
    path = m.zip_with(
        tmp_path / "bomba.xlsx", {"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": bytes(30 * 2**20)}
    )
    result = validate_file(path, settings)
    _one(result, "FILE_ZIP_BOMB")
    assert result.findings[0].params["ratio"] > 150


def test_oversized_sheet(tmp_path, settings):
    rows = pl.concat([m.GOOD_ROWS.with_columns(capitolo=pl.lit(f"C{i}")) for i in range(70)])  # 210 data rows
    path = m.template(tmp_path / "grande.xlsx", rows)
    result = validate_file(path, dataclasses.replace(settings, max_rows=150))
    _one(result, "SHEET_TOO_LARGE", "Dati")
    assert (
        result.findings[0].params["rows"] > 150
    )  # counted on the cells (a lower bound: the count stops past the limit)


def test_file_over_size_limit(tmp_path, settings):
    path = m.template(tmp_path / "pesante.xlsx")
    _one(validate_file(path, dataclasses.replace(settings, max_file_mb=0.001)), "FILE_TOO_LARGE")


def test_formula_without_cached_value(tmp_path, settings):
    good = m.template(tmp_path / "good.xlsx")
    path = m.edit_xlsx(good, tmp_path / "formula.xlsx", "Dati", {"F7": "=F6*2"})
    result = validate_file(path, settings)
    _one(result, "FORMULA_WITHOUT_VALUE", "Dati", "F7")
    assert "=F6*2" in result.findings[0].message()


def test_unknown_layout(tmp_path, settings):
    path = m.zip_with(tmp_path / "altro.xlsx", {})
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Elenco telefonico"
    workbook.active["A2"] = "Mario Rossi"
    workbook.save(path)
    _one(validate_file(path, settings), "LAYOUT_UNKNOWN")


# --- body, year, phase --------------------------------------------------------------------------


def test_open_format_without_any_metadata(tmp_path, settings):
    good = m.open_format_csv(tmp_path / "good.csv")
    path = tmp_path / "spese.csv"
    path.write_bytes(good.read_bytes())
    result = validate_file(path, settings)
    assert _codes(result) == [("BODY_MISSING", None, None), ("YEAR_MISSING", None, None)]
    assert validate_file(path, settings, body="MO", year=2025, phase="rendiconto").ok


def test_phase_missing(tmp_path, settings):
    good = m.open_format_csv(tmp_path / "good.csv")
    path = tmp_path / "036_2025_spese.csv"
    path.write_bytes(good.read_bytes())
    _one(validate_file(path, settings), "PHASE_MISSING")


def test_unknown_body_in_template(tmp_path, settings):
    path = m.edit_xlsx(
        m.template(tmp_path / "g.xlsx"), tmp_path / "ente.xlsx", "Dati", {"B1": "999 - Provincia di Atlantide"}
    )
    _one(validate_file(path, settings), "BODY_UNKNOWN", "Dati", "B1")


def test_body_conflict(tmp_path, settings):
    path = m.template(tmp_path / "bologna.xlsx")
    _one(validate_file(path, settings, body="VC"), "BODY_CONFLICT", "Dati", "B1")


def test_implausible_year(tmp_path, settings):
    path = m.edit_xlsx(m.template(tmp_path / "g.xlsx"), tmp_path / "anno.xlsx", "Dati", {"B2": 1999})
    _one(validate_file(path, settings), "YEAR_IMPLAUSIBLE", "Dati", "B2")


def test_year_conflict(tmp_path, settings):
    _one(validate_file(m.template(tmp_path / "g.xlsx"), settings, year=2024), "YEAR_CONFLICT", "Dati", "B2")


def test_unknown_phase(tmp_path, settings):
    path = m.edit_xlsx(m.template(tmp_path / "g.xlsx"), tmp_path / "fase.xlsx", "Dati", {"B3": "assestamento"})
    _one(validate_file(path, settings), "PHASE_UNKNOWN", "Dati", "B3")


def test_phase_conflict(tmp_path, settings):
    _one(validate_file(m.template(tmp_path / "g.xlsx"), settings, phase="rendiconto"), "PHASE_CONFLICT", "Dati", "B3")


# --- codes, amounts, keys in the template ------------------------------------------------------

CELL_CASES = [
    ("MISSION_UNKNOWN", {"A6": "21"}, "A6"),
    ("PROGRAMME_UNKNOWN", {"B6": "10.99"}, "B6"),
    ("PROGRAMME_NOT_IN_MISSION", {"A8": "04", "B8": "10.05"}, "B8"),
    ("TITLE_UNKNOWN", {"C6": "9 - Spese varie"}, "C6"),
    ("MACRO_UNKNOWN", {"D6": "1.99"}, "D6"),
    ("MACRO_NOT_IN_TITLE", {"D6": "2.02 - Investimenti fissi lordi"}, "D6"),
    ("AMOUNT_KIND_UNKNOWN", {"E6": "Somme varie"}, "E6"),
    ("AMOUNT_KIND_PHASE", {"E6": "Impegni"}, "E6"),
    ("AMOUNT_NOT_NUMBER", {"F6": "mille euro"}, "F6"),
    ("AMOUNT_NEGATIVE", {"F7": -100}, "F7"),
    ("DUPLICATE_KEY", {"G7": "10520/1", "C7": "1", "D7": "1.03"}, "F7"),
]


@pytest.mark.parametrize(("code", "edits", "cell"), CELL_CASES, ids=[c[0] for c in CELL_CASES])
def test_template_cell_errors(tmp_path, settings, code, edits, cell):
    path = m.edit_xlsx(m.template(tmp_path / "g.xlsx"), tmp_path / f"{code}.xlsx", "Dati", edits)
    _one(validate_file(path, settings), code, "Dati", cell)


def test_duplicate_names_the_first_row(tmp_path, settings):
    path = m.edit_xlsx(
        m.template(tmp_path / "g.xlsx"), tmp_path / "dup.xlsx", "Dati", {"G7": "10520/1", "C7": "1", "D7": "1.03"}
    )
    finding = validate_file(path, settings).findings[0]
    assert finding.params["other_row"] == 6 and "10520/1" in finding.params["key"]


def test_no_data_rows(tmp_path, settings):
    path = m.template(tmp_path / "vuoto.xlsx", m.GOOD_ROWS.clear())
    _one(validate_file(path, settings), "NO_DATA")


@pytest.mark.parametrize(
    ("code", "value"),
    [("AMOUNT_TOO_PRECISE", "12,345"), ("AMOUNT_IMPLAUSIBLE", 9_000_000_000)],
)
def test_amount_warnings_do_not_reject(tmp_path, settings, code, value):
    path = m.edit_xlsx(m.template(tmp_path / "g.xlsx"), tmp_path / f"{code}.xlsx", "Dati", {"F6": value})
    result = validate_file(path, settings)
    body_warning = (
        [("BODY_AMOUNTS_IMPLAUSIBLE", None, None)] if code == "AMOUNT_IMPLAUSIBLE" else []
    )  # 9 bn on one line: too much for Bologna too
    assert result.ok and _codes(result, "warning") == [(code, "Dati", "F6"), *body_warning]


def test_regions_only_programme_warns(tmp_path, settings):
    path = m.edit_xlsx(m.template(tmp_path / "g.xlsx"), tmp_path / "regioni.xlsx", "Dati", {"A8": "04", "B8": "04.03"})
    result = validate_file(path, settings)
    assert result.ok and _codes(result, "warning") == [("REGIONS_ONLY_CODE", "Dati", "F8")]


@pytest.mark.parametrize("macro", ["1.05", "1.06", "4.05"])  # labelled "(solo per le Regioni)" in the official scheme
def test_regions_only_macroaggregate_warns_and_a_zero_one_does_not(tmp_path, settings, macro):
    rows = m.GOOD_ROWS.with_columns(
        titolo=pl.Series(["1", "2", macro[0]]), macroaggregato=pl.Series(["1.03", "2.02", macro])
    )
    result = validate_file(m.template(tmp_path / "regioni.xlsx", rows), settings)
    assert result.ok and _codes(result, "warning") == [("REGIONS_ONLY_CODE", "Dati", "F8")]
    assert f"{macro} è riservata alle Regioni" in next(
        f for f in result.findings if f.code == "REGIONS_ONLY_CODE"
    ).message("it")
    zero = validate_file(
        m.template(tmp_path / "zero.xlsx", rows.with_columns(amount_cents=pl.Series([125_000_000, 480_000_050, 0]))),
        settings,
    )
    assert zero.ok and _codes(zero, "warning") == []


# --- annexes and matrices ----------------------------------------------------------------------


def test_subtotal_row_that_does_not_add_up(tmp_path, settings):
    good = m.annex(tmp_path / "g.xlsx", "annex_amount_kinds")
    row = m.find_row(good, "Riepilogo spese", 1, "TOTALE MISSIONE 10")
    path = m.edit_xlsx(good, tmp_path / "subtotale.xlsx", "Riepilogo spese", {f"D{row}": 1.0})
    result = validate_file(path, settings)
    _one(result, "SUBTOTAL_MISMATCH", "Riepilogo spese", f"D{row}")
    assert "TOTALE MISSIONE 10" in result.findings[0].message()


def test_subtotal_within_one_euro_is_accepted(tmp_path, settings):
    good = m.annex(tmp_path / "g.xlsx", "annex_amount_kinds")
    row = m.find_row(good, "Riepilogo spese", 1, "TOTALE GENERALE")
    import openpyxl

    stated = openpyxl.load_workbook(good)["Riepilogo spese"][f"C{row}"].value
    path = m.edit_xlsx(good, tmp_path / "arrotondato.xlsx", "Riepilogo spese", {f"C{row}": stated + 0.99})
    assert validate_file(path, settings).ok


def test_total_column_that_does_not_add_up(tmp_path, settings):
    good = m.annex(tmp_path / "g.xlsx", "annex_macroaggregates")
    row = m.find_row(good, "Impegni", 1, "0102")
    import openpyxl

    sheet = openpyxl.load_workbook(good)["Impegni"]
    total_col = next(c.column_letter for c in sheet[6] if c.value == "TOTALE")
    path = m.edit_xlsx(good, tmp_path / "totale.xlsx", "Impegni", {f"{total_col}{row}": 12.0})
    _one(validate_file(path, settings), "TOTAL_COLUMN_MISMATCH", "Impegni", f"{total_col}{row}")


def test_unrecognised_row_with_amounts(tmp_path, settings):
    good = m.annex(tmp_path / "g.xlsx", "annex_amount_kinds")
    row = m.find_row(good, "Riepilogo spese", 1, "101")
    path = m.edit_xlsx(good, tmp_path / "riga.xlsx", "Riepilogo spese", {f"A{row}": "Voce varia", f"B{row}": None})
    result = validate_file(path, settings)
    errors = [f for f in result.findings if f.is_error]
    assert errors[0].code == "ROW_UNRECOGNISED" and errors[0].cell == f"A{row}"
    assert {f.code for f in errors} <= {
        "ROW_UNRECOGNISED",
        "SUBTOTAL_MISMATCH",
    }  # its amounts are missing from the totals


def test_header_missing_from_annex(tmp_path, settings):
    good = m.annex(tmp_path / "g.xlsx", "annex_amount_kinds")
    import openpyxl

    sheet = openpyxl.load_workbook(good)["Riepilogo spese"]
    blank = {cell.coordinate: None for cell in sheet[6]}
    path = m.edit_xlsx(good, tmp_path / "senza.xlsx", "Riepilogo spese", blank)
    _one(validate_file(path, settings), "HEADER_NOT_FOUND", "Riepilogo spese")


def test_mission_column_name_that_matches_nothing(tmp_path, settings):
    good = m.open_format_csv(tmp_path / "036_2025_rendiconto.csv")

    def rename(rows):
        index = next(i for i, c in enumerate(rows[0]) if "ISTRUZIONE" in c)
        rows[0][index] = " MISSIONE INVENTATA DI SANA PIANTA "
        rename.cell = f"{chr(65 + index)}1"

    path = m.edit_csv(good, tmp_path / "036_2025_rendiconto_x.csv", rename)
    _one(validate_file(path, settings), "COLUMN_UNMATCHED", None, rename.cell)


def test_damaged_mission_names_still_match(tmp_path, settings):
    good = m.open_format_csv(tmp_path / "036_2025_rendiconto.csv")

    def damage(rows):
        for i, cell in enumerate(rows[0]):
            rows[0][i] = cell.lower().replace("à", "a").replace("istruzione", "istruzone")

    assert validate_file(m.edit_csv(good, tmp_path / "036_2025_rendiconto_y.csv", damage), settings).ok


def test_macro_row_before_any_title(tmp_path, settings):
    good = m.open_format_csv(tmp_path / "036_2025_rendiconto.csv")

    def orphan(rows):
        rows[3][0] = ""

    path = m.edit_csv(good, tmp_path / "036_2025_rendiconto_z.csv", orphan)
    result = validate_file(path, settings)
    assert [(f.code, f.cell) for f in result.findings if f.is_error][0] == ("ROW_OUTSIDE_BLOCK", "A4")


def test_bdap_missing_column(tmp_path, settings):
    good = m.bdap(tmp_path / "bdap.csv")
    text = good.read_bytes().decode("latin-1").replace('"Codice Provincia"', '"Provincia cod"', 1)
    path = tmp_path / "bdap_2024_rendiconto.csv"
    path.write_bytes(text.encode("latin-1"))
    result = validate_file(path, settings)
    assert [(f.code, f.params.get("column")) for f in result.findings] == [("COLUMN_MISSING", "province_code")]


def test_bdap_with_only_comuni(tmp_path, settings):
    good = m.bdap(tmp_path / "bdap.csv")
    text = good.read_bytes().decode("latin-1").replace("PROVINCE/CITTA' METROPOLITANE", "UNIONI DI COMUNI")
    path = tmp_path / "bdap_2024_rendiconto_comuni.csv"
    path.write_bytes(text.encode("latin-1"))
    result = validate_file(path, settings)
    _one(result, "BDAP_NO_BODY", cell="C2")  # the body type of the first body the file holds
    assert (
        "UNIONI DI COMUNI" in result.findings[0].message()
        and "province e le città metropolitane" in result.findings[0].message()
    )


def test_corpus_is_large_enough():
    import sys

    module = sys.modules[__name__]
    tests = [name for name in dir(module) if name.startswith("test_") and name != "test_corpus_is_large_enough"]
    assert len(tests) - 1 + len(CELL_CASES) >= 30


def test_a_total_row_gives_one_finding_that_says_what_to_do(tmp_path):
    from sources.intake import validate_file
    from sources.settings import load_settings

    bad = m.edit_xlsx(
        m.template(tmp_path / "g.xlsx"), tmp_path / "totale.xlsx", "Dati", {"A8": "Totale", "B8": "Totale programma"}
    )
    findings = validate_file(bad, load_settings()).findings
    assert [(f.code, f.cell) for f in findings] == [("TOTAL_ROW", "A8")]
    assert "rimuovere le righe di totale" in findings[0].message("it")
