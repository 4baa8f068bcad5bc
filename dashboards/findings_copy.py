"""The findings on the officer's own spreadsheet: a copy of the file as sent, each offending cell filled (red for an
error, yellow for a warning) with a comment saying what to correct, and a first sheet "Rilievi" listing every finding
(those without a cell too: whole file, whole sheet), each linked to its cell.

The file as received is only read (the archive's copy, or the rejected file waiting in the portal's folder); the copy
is written anew. A workbook keeps the officer's formatting (openpyxl); a CSV file becomes an Excel copy of its data,
and the "Rilievi" sheet says so. A file that cannot be opened as a spreadsheet gets the list alone. Italian by default,
English with ``lang="en"``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import tempfile
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from sources import archive
from sources.container import inspect_file, sniff_delimiter
from sources.findings import Finding

FILLS = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}  # Excel's own "bad" and "neutral" fills
AUTHOR = "areavasta"
CELL = re.compile(r"^\$?[A-Z]{1,3}\$?[0-9]{1,7}$")
WORDS = {
    "it": {
        "sheet": "Rilievi",
        "data": "Dati",
        "title": "Rilievi sul file «{name}»",
        "copy": "Copia del file come è stato ricevuto, con le celle da correggere evidenziate (rosso: errori da "
        "correggere; giallo: avvisi) e un commento su ciascuna. Il file originale resta archiviato così com'è.",
        "csv": "Il file era in formato CSV: questa è una copia dei suoi dati in formato Excel, con le celle da "
        "correggere evidenziate; correggere il file originale e caricarlo di nuovo.",
        "unreadable": "Il file non si può aprire come foglio di calcolo: ecco l'elenco dei rilievi.",
        "header": ("N.", "Gravità", "Foglio", "Cella o riga", "Cosa correggere"),
        "row": "riga {row}",
        "whole": "tutto il file",
        "severity": {"error": "errore", "warning": "avviso", "info": "informazione"},
    },
    "en": {
        "sheet": "Findings",
        "data": "Data",
        "title": "Findings on the file «{name}»",
        "copy": "A copy of the file as received, with the cells to correct highlighted (red: errors to correct; "
        "yellow: warnings) and a comment on each. The original file stays archived as it was.",
        "csv": "The file was a CSV file: this is an Excel copy of its data with the cells to correct highlighted; "
        "correct the original file and upload it again.",
        "unreadable": "The file cannot be opened as a spreadsheet: here is the list of findings.",
        "header": ("No.", "Severity", "Sheet", "Cell or row", "What to correct"),
        "row": "row {row}",
        "whole": "whole file",
        "severity": {"error": "error", "warning": "warning", "info": "note"},
    },
}


def message(entry: dict, lang: str) -> str:
    """A stored finding (``sources.findings.findings_json``) said again in ``lang``; its stored words when the
    catalogue no longer knows its code."""
    try:
        finding = Finding(
            entry["code"],
            entry.get("file") or "",
            entry.get("sheet"),
            entry.get("cell"),
            entry.get("row"),
            dict(entry.get("params") or {}),
        )
        return finding.message(lang)
    except (KeyError, TypeError):
        return str(entry.get("message", ""))


def original_path(settings, record, incoming: Path) -> Path | None:
    """Where the upload's file is kept as received: the portal's folder for a rejected file, the archive (by SHA-256)
    for an accepted one; None when neither holds it."""
    waiting = incoming / str(record["stored_as"] or "")
    if record["stored_as"] and waiting.is_file():
        return waiting
    return archive.find_archived(settings.archive_dir, record["sha256"]) if record["sha256"] else None


def marked_copy(source: Path | None, name: str, entries: list[dict], settings, lang: str = "it") -> bytes:
    """The copy of ``source`` with ``entries`` (stored findings) marked on it, as .xlsx bytes. ``source`` is read,
    never written (a compressed archive copy is expanded into a temporary folder)."""
    words = WORDS["en" if lang == "en" else "it"]
    with tempfile.TemporaryDirectory() as folder:
        plain = source
        if source is not None and source.suffix == archive.COMPRESSED:
            plain = Path(folder) / source.with_suffix("").name
            archive.restore(source, plain)
        book, note = _opened(plain, name, settings, words)
    data_sheets = [s.title for s in book.worksheets]
    listing = book.create_sheet(_free_title(book, words["sheet"]), 0)
    placed = [_mark(book, data_sheets, entry, message(entry, lang), words) for entry in entries]
    _list(listing, name, note, entries, placed, words, lang)
    book.active = 0
    for sheet in book.worksheets:
        sheet.sheet_view.tabSelected = sheet is listing
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _opened(path: Path | None, name: str, settings, words: dict) -> tuple[openpyxl.Workbook, str]:
    """The workbook to mark and the note that says what it is: the officer's workbook as it is, a CSV's data in a
    new workbook, or an empty one when the file is not a spreadsheet the intake accepts to open."""
    container = inspect_file(path, settings, name)[0] if path is not None and path.is_file() else None
    if container is not None and container.kind == "xlsx":
        with contextlib.suppress(Exception):  # a workbook openpyxl cannot read still gets its list of findings
            return openpyxl.load_workbook(path), words["copy"]
    book = openpyxl.Workbook()
    if container is not None and container.kind == "csv":
        sheet = book.active
        sheet.title = words["data"]
        text = container.text or ""
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text)):
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                cell.data_type = "s"  # as written: '=…' stays text, never a formula of the copy
        return book, words["csv"]
    book.remove(book.active)
    return book, words["unreadable"]


def _free_title(book: openpyxl.Workbook, title: str) -> str:
    """``title``, or ``title (2)``… when the officer's workbook already has a sheet of that name."""
    taken, candidate, n = {s.title.lower() for s in book.worksheets}, title, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{title} ({n})"
    return candidate


def _target(book, data_sheets: list[str], entry: dict) -> tuple[Worksheet, str] | None:
    """The sheet and cell a finding points at: its own sheet (the only one for a CSV or a finding without a sheet in a
    one-sheet workbook) and its cell, or the first cell of its row; None for a finding of the whole file."""
    sheet_name = entry.get("sheet")
    if sheet_name not in data_sheets:
        sheet_name = data_sheets[0] if len(data_sheets) == 1 and not sheet_name else None
    if sheet_name is None:
        return None
    cell = str(entry.get("cell") or "").replace("$", "")
    if CELL.match(cell):
        return book[sheet_name], cell
    row = entry.get("row")
    return (book[sheet_name], f"A{int(row)}") if isinstance(row, int) and row > 0 else None


def _mark(book, data_sheets: list[str], entry: dict, text: str, words: dict) -> str | None:
    """Fill the finding's cell and add its comment (after any comment already there); the cell's address, or None."""
    target = _target(book, data_sheets, entry)
    if target is None:
        return None
    sheet, address = target
    try:
        cell = sheet[address]
    except ValueError:  # beyond the sheet's limits: listed, not marked
        return None
    if isinstance(cell, MergedCell):  # a cell inside a merged range: its first cell carries the mark
        merged = next(r for r in sheet.merged_cells.ranges if address in r)
        cell = sheet.cell(merged.min_row, merged.min_col)
        address = cell.coordinate
    severity = entry.get("severity", "error")
    said = f"{words['severity'].get(severity, severity).capitalize()}: {text}"
    earlier = cell.comment.text + "\n\n" if cell.comment is not None else ""
    comment = Comment(earlier + said, AUTHOR)
    comment.width, comment.height = 320, 40 + 16 * (len(earlier + said) // 45 + 1)
    cell.comment = comment
    worst = cell.fill.fgColor.rgb if cell.fill is not None and cell.fill.fill_type == "solid" else None
    if worst != "00" + FILLS["error"]:  # an error's red is kept when a warning falls on the same cell
        cell.fill = PatternFill("solid", fgColor=FILLS.get(severity, FILLS["error"]))
    return address


def _list(sheet, name: str, note: str, entries: list[dict], placed: list, words: dict, lang: str) -> None:
    """The first sheet: title, what the copy is, and one row per finding with a link to its cell."""
    sheet["A1"] = words["title"].format(name=name)
    sheet["A1"].font = Font(name="Calibri", bold=True, size=13)
    sheet["A2"] = note
    sheet.merge_cells("A2:E2")
    sheet["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[2].height = 48
    sheet.append([])
    sheet.append(list(words["header"]))
    for cell in sheet[4]:
        cell.font = Font(name="Calibri", bold=True)
    for number, (entry, address) in enumerate(zip(entries, placed), start=1):
        severity = entry.get("severity", "error")
        where = entry.get("cell") or (words["row"].format(row=entry["row"]) if entry.get("row") else words["whole"])
        sheet.append(
            [number, words["severity"].get(severity, severity), entry.get("sheet") or "", where, message(entry, lang)]
        )
        row = sheet.max_row
        for column in (3, 4, 5):  # a sheet's name or a label from the file is text, never a formula
            sheet.cell(row, column).data_type = "s"
        sheet.cell(row, 2).fill = PatternFill("solid", fgColor=FILLS.get(severity, FILLS["error"]))
        sheet.cell(row, 5).alignment = Alignment(wrap_text=True, vertical="top")
        if address is not None:
            link = sheet.cell(row, 4)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{_target_sheet(entry, sheet)}'!{address}")
            link.font = Font(color="0563C1", underline="single")
    for column, width in zip("ABCDE", (6, 14, 22, 14, 90)):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A5"
    sheet.print_title_rows = "4:4"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _target_sheet(entry: dict, listing) -> str:
    """The title of the sheet a placed finding sits on (the only data sheet when the finding names none)."""
    book = listing.parent
    names = [s.title for s in book.worksheets if s is not listing]
    return entry.get("sheet") if entry.get("sheet") in names else names[0]


def for_upload(settings, record: dict, incoming: Path, lang: str = "it") -> bytes:
    """The marked copy of one upload of the portal's register (its file as received, its stored findings)."""
    entries = json.loads(record["findings_json"] or "[]")
    return marked_copy(original_path(settings, record, incoming), record["original_name"], entries, settings, lang)
