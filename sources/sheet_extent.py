"""How far a worksheet's cells reach, read from its XML in pieces without parsing it (``cell_extent``): the last row
and column that hold a cell, for the size limits checked before any reader opens the file (``sources.container``)."""

from __future__ import annotations

import re
import zipfile

from sources.settings import Settings


def col_index(letters: bytes | str) -> int:
    value = 0
    for ch in letters if isinstance(letters, str) else letters.decode():
        value = value * 26 + (ord(ch) - 64)
    return value - 1


_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)\b([^>]*)>")

_REF = re.compile(rb'\br="([A-Z]*)(\d*)"')

_CELL_LETTERS = re.compile(rb'<c r="([A-Z]+)')

_FIRST_CELL_ROW = re.compile(rb'<c r="[A-Z]+(\d+)"')

_ROW = re.compile(rb'<row r="(\d+)"[^>]*?(/?)>')  # number, and '/' for a row that holds no cell

PREFIXED = re.compile(rb"<[A-Za-z_][\w.-]*:(?:worksheet|sheetData)\b")


class _Extent:
    """The area of the cells seen so far: first and last row (1-based), first and last column (0-based)."""

    def __init__(self) -> None:
        self.top = self.left = 1 << 62
        self.bottom = self.right = -1
        self.first_cell_row: int | None = None  # where the reader's grid starts (rows come in order in a sound file)

    @property
    def origin(self) -> tuple[int, int] | None:
        """0-based row and column of the grid the parser returns (it trims empty edges)."""
        return None if self.first_cell_row is None else (self.first_cell_row - 1, self.left)

    def add(self, rows: tuple[int, int], cols: tuple[int, int]) -> None:
        self.top, self.bottom = min(self.top, rows[0]), max(self.bottom, rows[1])
        self.left, self.right = min(self.left, cols[0]), max(self.right, cols[1])

    @property
    def size(self) -> tuple[int, int]:
        return (0, 0) if self.bottom < 0 else (self.bottom - self.top + 1, self.right - self.left + 1)

    def past(self, settings: Settings) -> bool:
        rows, columns = self.size
        return rows > settings.max_rows or columns > settings.max_columns or rows * columns > settings.max_cells


def cell_extent(
    archive: zipfile.ZipFile, xml_path: str, settings: Settings, piece: int = 1 << 20, prefixed: bool = False
) -> _Extent:
    """Rows and columns of the area spanned by the sheet's cells (formatted empty ones too: the parser may hold them),
    read in 1 MB pieces. A piece where every cell and row carries its reference, as Excel, LibreOffice and openpyxl
    write them, costs four C-level passes; any other is walked tag by tag, a cell or row without an ``r`` following
    the one before, as spreadsheet programs read them. Stops once the area passes a limit: the figures are then lower
    bounds. ``prefixed``: the sheet's tags carry a namespace prefix (``<x:c>``), and every piece is walked."""
    extent, position, carry = _Extent(), [0, -1], b""  # position: the last row and column seen
    with archive.open(xml_path) as stream:
        while True:
            chunk = stream.read(piece)
            text = carry + chunk
            cut = text.rfind(b">") + 1 if chunk else len(text)  # a tag cut in two waits for its other half
            block = text[:cut]
            if prefixed or not _quick(block, position, extent):
                _walk(block, position, extent)
            if extent.past(settings):
                return extent
            carry = text[cut:][-(1 << 20) :]  # no tag is that long: a run of text without '>' is not kept whole
            if not chunk:
                break
    return extent


def _quick(block: bytes, position: list[int], extent: _Extent) -> bool:
    """Measure a piece whose every cell and row has its reference: False when one does not (or another tag starting
    with ``<c`` or ``<row`` is there, like ``<cols>``), and the piece is walked instead."""
    letters, rows = _CELL_LETTERS.findall(block), _ROW.findall(block)
    if len(letters) != block.count(b"<c") or len(rows) != block.count(b"<row"):
        return False
    opened = [int(n) for n, closed in rows if not closed]
    if letters:
        if extent.first_cell_row is None:
            extent.first_cell_row = int(_FIRST_CELL_ROW.search(block).group(1))
        columns = [col_index(c) for c in set(letters)]
        continued = (
            [position[0]] if block.find(b'<c r="') < block.find(b"<row ") or not opened else []
        )  # the row before
        numbers = opened + continued
        extent.add((min(numbers), max(numbers)), (min(columns), max(columns)))
    ends_in_cell = letters and block.rfind(b'<c r="') > block.rfind(b"<row ")
    position[:] = (
        int(rows[-1][0]) if rows else position[0],
        col_index(letters[-1]) if ends_in_cell else -1 if rows else position[1],
    )
    return True


def _walk(block: bytes, position: list[int], extent: _Extent) -> None:
    """Tag by tag, for pieces whose cells or rows omit their reference (or carry a namespace prefix)."""
    row, col = position
    for tag in _TAG.finditer(block):
        ref = _REF.search(tag.group(2))
        if tag.group(1) == b"row":
            row, col = (int(ref.group(2)) if ref and ref.group(2) else row + 1), -1
            continue
        col = col_index(ref.group(1)) if ref and ref.group(1) else col + 1
        extent.first_cell_row = row if extent.first_cell_row is None else extent.first_cell_row
        extent.add((row, row), (col, col))
    position[:] = row, col
