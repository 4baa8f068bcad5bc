"""Look inside an uploaded file before any parser touches it.

Decides what the file is (xlsx workbook or CSV text), and refuses hostile or broken files
cleanly: not a spreadsheet, legacy or encrypted OLE files, macro-enabled workbooks (never
executed, never opened by a spreadsheet library), zip bombs, oversized sheets and formulas
whose value was never computed. Only the zip directory, the small workbook parts and each
sheet's XML stream are read here.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from sources.findings import Finding
from sources.settings import Settings
from sources.sheet_extent import PREFIXED, cell_extent, col_index

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DIMENSION = re.compile(rb'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+\d+)"[^>]*>(.*?)</c>', re.DOTALL)
_FORMULA_TEXT = re.compile(rb"<f[^>]*>(.*?)</f>|<f[^>]*/>", re.DOTALL)
_VALUE = re.compile(rb"<v>[^<]+</v>|<is>")
_FORMULA_TAG = re.compile(rb"<f[ >/]")  # not <formula1> of data validations


@dataclass
class SheetInfo:
    name: str
    xml_path: str
    first_row: int = 0  # 0-based offset of the sheet's used range (calamine trims empty edges)
    first_col: int = 0
    rows: int = 0
    columns: int = 0
    cells_at: tuple[int, int] | None = None  # 0-based row and column of the first cell, as measured (not as claimed)


@dataclass
class Container:
    """What the file is, and for workbooks, its sheets in order."""

    path: Path
    kind: str  # "xlsx" | "csv"
    sheets: list[SheetInfo] = field(default_factory=list)
    text: str | None = None  # decoded CSV text
    encoding: str | None = None
    warnings: list[Finding] = field(default_factory=list)  # what the officer should know, though the file is read


def inspect_file(
    path: Path, settings: Settings, display_name: str | None = None
) -> tuple[Container | None, list[Finding]]:
    """Return the container, or None and the findings that refuse the file."""
    name = display_name or path.name
    size = path.stat().st_size
    if size == 0:
        return None, [Finding("FILE_EMPTY", file=name)]
    if size > settings.max_file_mb * 1024 * 1024:
        return None, [
            Finding(
                "FILE_TOO_LARGE",
                file=name,
                params={"size_mb": round(size / 2**20, 1), "limit_mb": settings.max_file_mb},
            )
        ]
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(OLE_MAGIC):
        return None, [_ole_finding(path, name)]
    if head.startswith(ZIP_MAGIC):
        try:
            return _inspect_workbook(path, name, size, settings)
        except DAMAGED_ZIP as exc:  # sizes, offsets or compressed data that lie
            return None, [Finding("FILE_CORRUPT", file=name, params={"detail": _first_line(exc)})]
    return _inspect_text(path, name, settings)


DAMAGED_ZIP = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, KeyError, NotImplementedError)


def _first_line(exc: Exception) -> str:
    return ((str(exc).splitlines() or [type(exc).__name__])[0] or type(exc).__name__)[:200]


def _ole_finding(path: Path, name: str) -> Finding:
    data = path.read_bytes()
    if "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data:
        return Finding("FILE_ENCRYPTED", file=name)
    return Finding("FILE_LEGACY_XLS", file=name)


def _inspect_text(path: Path, name: str, settings: Settings) -> tuple[Container | None, list[Finding]]:
    raw = path.read_bytes()
    if raw.startswith(b"%PDF"):
        return None, [Finding("FILE_NOT_SPREADSHEET", file=name, params={"detail": "pdf"})]
    text, encoding, warnings = _decode(raw, name)
    if text is None:
        return None, [Finding("FILE_NOT_SPREADSHEET", file=name, params={"detail": "binary"})]
    first_line = text.split("\n", 1)[0]
    if first_line.count(";") + first_line.count(",") + first_line.count("\t") == 0:
        return None, [Finding("FILE_NOT_SPREADSHEET", file=name, params={"detail": "no_separators"})]
    rows, columns = _csv_extent(text, settings)
    if rows > settings.max_rows or columns > settings.max_columns or rows * columns > settings.max_cells:
        return None, [
            Finding(
                "CSV_TOO_LARGE",
                file=name,
                params={
                    "rows": rows,
                    "columns": columns,
                    "max_rows": settings.max_rows,
                    "max_columns": settings.max_columns,
                    "max_cells": settings.max_cells,
                },
            )
        ]
    return Container(path=path, kind="csv", text=text, encoding=encoding, warnings=warnings), []


def sniff_delimiter(text: str) -> str:
    """The separator of a CSV: the most frequent of ; , and tab in its first 20 lines."""
    sample = "\n".join(text.split("\n", 20)[:20])
    counts = {d: sample.count(d) for d in (";", ",", "\t")}
    return max(counts, key=counts.get)


def _csv_extent(text: str, settings: Settings) -> tuple[int, int]:
    """Lines and fields of the widest line, before any parser builds a column per field (a million separators on one
    line would be a million columns). Separators are counted first; the csv module, which knows about quotes, counts
    only the lines that look too wide."""
    delimiter = sniff_delimiter(text)
    rows = text.count("\n") + (0 if text.endswith("\n") else 1)
    if rows > settings.max_rows:
        rows = sum(1 for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    widest = 0
    for line in io.StringIO(text, newline=""):
        fields = line.count(delimiter) + 1
        if fields > widest and (fields > settings.max_columns or rows * fields > settings.max_cells):
            fields = max((len(row) for row in csv.reader([line], delimiter=delimiter)), default=0)
        widest = max(widest, fields)
        if widest > settings.max_columns or rows * widest > settings.max_cells:
            break
    return rows, widest


def _utf16(raw: bytes) -> str | None:
    """UTF-16 with a byte-order mark, or without one when every other byte of the start is zero."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = raw[:4096]
    if len(sample) >= 8 and sample[1::2].count(0) > 0.9 * len(sample[1::2]):
        return "utf-16-le"
    if len(sample) >= 8 and sample[0::2].count(0) > 0.9 * len(sample[0::2]):
        return "utf-16-be"
    return None


def _decode(raw: bytes, name: str) -> tuple[str | None, str | None, list[Finding]]:
    """The text of a CSV and its encoding: UTF-8, UTF-16, Windows-1252/Latin-1, or UTF-8 with some lines in another
    encoding (each such line read as Windows-1252, and a warning naming the rows and the bytes)."""
    wide = _utf16(raw)
    if wide:
        try:
            return raw.decode(wide).lstrip("\ufeff"), wide, []
        except UnicodeDecodeError:
            return None, None, []
    if b"\x00" in raw[:65536]:
        return None, None, []
    try:
        return raw.decode("utf-8-sig"), "utf-8-sig", []
    except UnicodeDecodeError:
        pass
    lines = raw.split(b"\n")
    utf8_lines = sum(1 for line in lines if not line.isascii() and _is_utf8(line))
    if not utf8_lines:  # a legacy encoding throughout
        for encoding in ("cp1252", "latin-1"):
            try:
                return raw.decode(encoding), encoding, []
            except UnicodeDecodeError:
                continue
    decoded, odd = [], []
    for number, line in enumerate(lines, start=1):
        if _is_utf8(line):
            decoded.append(line.decode("utf-8"))
        else:
            decoded.append(line.decode("cp1252", errors="replace"))
            bad = sorted({f"{b:02X}" for b in line if b >= 0x80})
            odd.append(f"{number} ({' '.join(bad[:6])})")
    warning = Finding(
        "ENCODING_MIXED",
        file=name,
        row=int(odd[0].split()[0]),
        params={"rows": ", ".join(odd[:10]) + (" …" if len(odd) > 10 else ""), "count": len(odd)},
    )
    return "\n".join(decoded).lstrip("\ufeff"), "mixed", [warning]


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _inspect_workbook(path: Path, name: str, size: int, settings: Settings) -> tuple[Container | None, list[Finding]]:
    try:
        archive = zipfile.ZipFile(path)
        members = {info.filename: info for info in archive.infolist()}
    except (zipfile.BadZipFile, OSError) as exc:
        return None, [Finding("FILE_CORRUPT", file=name, params={"detail": str(exc)})]
    with archive:
        unpacked = sum(info.file_size for info in members.values())
        ratio = unpacked / max(size, 1)
        if unpacked > settings.max_uncompressed_mb * 2**20 or ratio > settings.max_compression_ratio:
            return None, [
                Finding(
                    "FILE_ZIP_BOMB",
                    file=name,
                    params={
                        "unpacked_mb": round(unpacked / 2**20, 1),
                        "ratio": round(ratio),
                        "limit_mb": settings.max_uncompressed_mb,
                        "limit_ratio": settings.max_compression_ratio,
                    },
                )
            ]
        if "xl/workbook.xml" not in members:
            kind = "un documento Word" if "word/document.xml" in members else "un archivio zip"
            if "EncryptedPackage" in members:
                return None, [Finding("FILE_ENCRYPTED", file=name)]
            return None, [Finding("FILE_NOT_SPREADSHEET", file=name, params={"detail": kind})]
        macro_parts = [m for m in members if m.lower().endswith("vbaproject.bin") or m.startswith("xl/macrosheets/")]
        content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in members else b""
        if macro_parts or b"macroEnabled" in content_types:
            detail = macro_parts[0] if macro_parts else "xlsm"
            return None, [Finding("FILE_MACRO_ENABLED", file=name, params={"detail": detail})]
        try:
            sheets = _sheet_list(archive)
        except (KeyError, ElementTree.ParseError) as exc:
            return None, [
                Finding("FILE_CORRUPT", file=name, params={"detail": f"struttura interna non valida ({exc})"})
            ]
        findings: list[Finding] = []
        for sheet in sheets:
            if sheet.xml_path not in members:
                return None, [Finding("FILE_CORRUPT", file=name, params={"detail": f"manca {sheet.xml_path}"})]
            findings += _sheet_size(archive, sheet, name, settings)
        if findings:
            return None, findings
    return Container(path=path, kind="xlsx", sheets=sheets), []


def _sheet_list(archive: zipfile.ZipFile) -> list[SheetInfo]:
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target") for rel in rels.iter(f"{NS_PKG_REL}Relationship")}
    sheets = []
    for sheet in workbook.iter(f"{NS_MAIN}sheet"):
        target = targets[sheet.get(f"{NS_REL}id")]
        xml_path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        sheets.append(SheetInfo(name=sheet.get("name"), xml_path=xml_path))
    return sheets


def _sheet_size(archive: zipfile.ZipFile, sheet: SheetInfo, name: str, settings: Settings) -> list[Finding]:
    """The sheet against the limits. The offset comes from its ``<dimension>`` (first bytes of its XML), but the size
    is measured on the cells themselves, streaming: a tag that says ``A1:H6035`` over 700,000 more rows does not hide
    them, and the count stops as soon as a limit is passed (the parser would hold the whole used range in memory)."""
    with archive.open(sheet.xml_path) as stream:
        head = stream.read(4096)
    match = _DIMENSION.search(head)
    if match:
        first_col, first_row = col_index(match.group(1)), int(match.group(2)) - 1
        last_col = col_index(match.group(3) or match.group(1))
        last_row = int(match.group(4) or match.group(2)) - 1
        sheet.first_row, sheet.first_col = first_row, first_col
        sheet.rows, sheet.columns = last_row - first_row + 1, last_col - first_col + 1
    extent = cell_extent(archive, sheet.xml_path, settings, prefixed=bool(PREFIXED.search(head)))
    rows, columns = extent.size
    sheet.cells_at = extent.origin
    if rows > settings.max_rows or columns > settings.max_columns or rows * columns > settings.max_cells:
        return [
            Finding(
                "SHEET_TOO_LARGE",
                file=name,
                sheet=sheet.name,
                params={
                    "rows": rows,
                    "columns": columns,
                    "max_rows": settings.max_rows,
                    "max_columns": settings.max_columns,
                    "max_cells": settings.max_cells,
                },
            )
        ]
    return []


def scan_formulas(container: Container, name: str, limit: int = 20) -> list[Finding]:
    """Cells whose formula has no computed value (written by a program that cannot calculate).

    Streams each sheet's XML; only a sheet that holds a formula is searched cell by cell. Runs
    beside the calamine read (both release the GIL), so it costs little wall time.
    """
    findings: list[Finding] = []
    with zipfile.ZipFile(container.path) as archive:
        calc_on_load = b"fullCalcOnLoad" in archive.read("xl/workbook.xml")
        for sheet in container.sheets:
            has_formula, tail = False, b""
            with archive.open(sheet.xml_path) as stream:
                while chunk := stream.read(1 << 20):
                    if _FORMULA_TAG.search(tail + chunk[:16]) or _FORMULA_TAG.search(chunk):
                        has_formula = True
                        break
                    tail = chunk[-8:]
            if not has_formula:
                continue
            for cell in _FORMULA_CELL.finditer(archive.read(sheet.xml_path)):
                body = cell.group(2)
                formula = _FORMULA_TEXT.search(body)
                if formula is None or (not calc_on_load and _VALUE.search(body)):
                    continue
                text = (formula.group(1) or b"").decode("utf-8", "replace")
                findings.append(
                    Finding(
                        "FORMULA_WITHOUT_VALUE",
                        file=name,
                        sheet=sheet.name,
                        cell=cell.group(1).decode(),
                        params={"formula": "=" + text},
                    )
                )
                if len(findings) >= limit:
                    return findings
    return findings


__all__ = ["Container", "SheetInfo", "inspect_file", "scan_formulas", "sniff_delimiter"]
