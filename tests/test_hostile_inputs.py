"""Bad input never raises: damaged containers, blank and merged amount cells, UTF-16 and mixed encodings."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest

from sources.intake import validate_file
from tests import malformed as m

OFFICIAL = Path(__file__).parent / "fixtures" / "official" / "rendiconto_2023_formato_aperto_spese.csv"


def _sheet_member(path: Path) -> zipfile.ZipInfo:
    with zipfile.ZipFile(path) as archive:
        return archive.getinfo("xl/worksheets/sheet2.xml")


def _damaged(kind: str, tmp_path: Path) -> Path:
    good = m.template(tmp_path / "g.xlsx")
    raw = bytearray(good.read_bytes())
    info = _sheet_member(good)
    if kind == "compressed_data":
        start = info.header_offset + 30 + len(info.filename) + 10
        for k in range(start, start + 200):
            raw[k] ^= 0x55
    elif kind == "central_directory_offset":
        struct.pack_into("<I", raw, raw.rfind(b"PK\x05\x06") + 16, 999_999)
    elif kind == "truncated":
        raw = raw[: len(raw) // 2]
    path = tmp_path / f"{kind}.xlsx"
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize("kind", ["compressed_data", "central_directory_offset", "truncated"])
def test_a_zip_that_lies_is_a_corrupt_file_finding(tmp_path, settings, kind):
    result = validate_file(_damaged(kind, tmp_path), settings)
    assert [f.code for f in result.findings] == ["FILE_CORRUPT"] and "danneggiato" in result.findings[0].message()


def test_a_blank_amount_cell_is_located_not_a_schema_error(tmp_path, settings):
    path = m.edit_xlsx(m.template(tmp_path / "g.xlsx"), tmp_path / "vuoto.xlsx", "Dati", {"F6": None})
    result = validate_file(path, settings)
    assert [(f.code, f.sheet, f.cell) for f in result.findings] == [("AMOUNT_MISSING", "Dati", "F6")]


def test_merged_amount_cells_are_located_not_a_schema_error(tmp_path, settings):
    good = m.template(tmp_path / "g.xlsx")
    workbook = openpyxl.load_workbook(good)
    workbook["Dati"].merge_cells("F6:F7")  # the second row's amount disappears into the merge
    workbook.save(tmp_path / "unite.xlsx")
    result = validate_file(tmp_path / "unite.xlsx", settings)
    assert ("AMOUNT_MISSING", "Dati", "F7") in [(f.code, f.sheet, f.cell) for f in result.findings] and not result.ok


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_csv_is_read(tmp_path, settings, encoding):
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(OFFICIAL.read_bytes().decode("latin-1").encode(encoding))
    plain = validate_file(OFFICIAL, settings, body="201", year=2023, phase="rendiconto")
    result = validate_file(path, settings, body="201", year=2023, phase="rendiconto", display_name=OFFICIAL.name)
    assert result.ok and result.lines.drop("source_sha256").equals(plain.lines.drop("source_sha256"))


def test_mixed_encodings_are_read_and_the_odd_rows_named(tmp_path, settings):
    lines = OFFICIAL.read_bytes().decode("latin-1").split("\r\n")
    path = tmp_path / "misto.csv"
    path.write_bytes("\r\n".join(lines[:5]).encode("utf-8") + b"\r\n" + "\r\n".join(lines[5:]).encode("latin-1"))
    result = validate_file(path, settings, body="201", year=2023, phase="rendiconto")
    [warning] = [f for f in result.findings if f.code == "ENCODING_MIXED"]
    assert result.ok and warning.row == 20 and "E0" in warning.message("it") and "E0" in warning.message("en")


def test_container_details_are_words_in_the_readers_language(tmp_path):
    from sources.intake import validate_file
    from sources.settings import load_settings

    pdf = tmp_path / "bilancio.xlsx"
    pdf.write_bytes(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n" + b"\x00" * 200)
    [finding] = validate_file(pdf, load_settings()).findings
    assert (
        "è un PDF" in finding.message("it")
        and "it is a PDF" in finding.message("en")
        and "PDF" in finding.message("en")
    )
