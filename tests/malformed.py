"""Builders of malformed files for the validation corpus (tests/test_malformed_corpus.py).

Each builder starts from a valid file made by the project's own writers and breaks one thing.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import polars as pl

from sources.samples.budget import generate_budget
from sources.samples.layouts import write_bdap, write_layout
from sources.template import write_template

GOOD_ROWS = pl.DataFrame(
    {
        "missione": ["10", "10", "04"],
        "programma": ["10.05", "10.05", "04.02"],
        "titolo": ["1", "2", "1"],
        "macroaggregato": ["1.03", "2.02", "1.03"],
        "amount_kind": ["stanziamento", "stanziamento", "stanziamento"],
        "amount_cents": [125_000_000, 480_000_050, 36_512_075],
        "capitolo": ["10520/1", "21005/2", "04230/1"],
        "description": ["Manutenzione strade", "Messa in sicurezza SP 12", "Utenze scuole"],
    }
)


def template(path: Path, rows: pl.DataFrame = GOOD_ROWS, body="237", year=2026, phase="previsione") -> Path:
    return write_template(path, body, year, phase, rows)


class Text(str):
    """A value to store as text even when it starts with '=' (openpyxl would make it a formula)."""


def edit_xlsx(source: Path, target: Path, sheet: str, cells: dict[str, object]) -> Path:
    """Change some cells with openpyxl (which, like many tools, writes formulas without values)."""
    workbook = openpyxl.load_workbook(source)
    for ref, value in cells.items():
        workbook[sheet][ref] = value
        if isinstance(value, Text):
            workbook[sheet][ref].data_type = "s"
    workbook.save(target)
    return target


def find_row(path: Path, sheet: str, column: int, startswith: str) -> int:
    """1-based row of the first cell in ``column`` (1-based) starting with the text."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    for index, row in enumerate(workbook[sheet].iter_rows(min_col=column, max_col=column, values_only=True), start=1):
        if isinstance(row[0], str) and row[0].startswith(startswith):
            return index
    raise LookupError(startswith)


def annex(path: Path, layout: str, body="002", year=2025, phase="rendiconto") -> Path:
    return write_layout(layout, generate_budget(body, year, phase), path)


def zip_with(path: Path, members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def add_member(source: Path, target: Path, name: str, data: bytes) -> Path:
    buffer = io.BytesIO(source.read_bytes())
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr(name, data)
    target.write_bytes(buffer.getvalue())
    return target


def open_format_csv(path: Path, body="036", year=2025, phase="rendiconto") -> Path:
    return write_layout("open_format_matrix", generate_budget(body, year, phase), path)


def edit_csv(source: Path, target: Path, edit) -> Path:
    """Apply ``edit(rows)`` to the CSV's rows (lists of cells) and write it back as latin-1 ';'."""
    rows = [line.split(";") for line in source.read_bytes().decode("latin-1").split("\r\n") if line]
    edit(rows)
    target.write_bytes(("\r\n".join(";".join(r) for r in rows) + "\r\n").encode("latin-1"))
    return target


def bdap(path: Path, bodies=("237", "002"), year=2024) -> Path:
    return write_bdap([generate_budget(b, year, "rendiconto") for b in bodies], path)


DATA_SHEET = "xl/worksheets/sheet2.xml"  # the template's data sheet


def edit_sheet_xml(source: Path, target: Path, edit, member: str = DATA_SHEET) -> Path:
    """The workbook with one sheet's XML passed through ``edit`` (bytes to bytes), every other member as it was."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info, edit(data) if info.filename == member else data)
    return target


def text_cell(row: int) -> bytes:
    return b'<c r="A%d" t="inlineStr"><is><t>x</t></is></c>' % row


def appended_rows(xml: bytes, cells=text_cell, count: int | None = None, up_to: int | None = None) -> bytes:
    """Sheet XML with rows appended after its last one (``count`` of them, or up to row ``up_to``), each of
    ``cells(row)``; the ``<dimension>`` is left as it was, as a hostile or careless writer leaves it."""
    last = max(int(r) for r in re.findall(rb'<row r="(\d+)"', xml))
    end = last + count if count is not None else up_to
    rows = b"".join(b'<row r="%d">' % n + cells(n) + b"</row>" for n in range(last + 1, end + 1))
    return xml.replace(b"</sheetData>", rows + b"</sheetData>")
