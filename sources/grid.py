"""A sheet as a grid of strings, with its true position on the sheet.

Every layout reader starts from a :class:`Grid`: a polars frame of string columns
``c0, c1, …`` plus the 0-based row and column offset of its top-left cell, so that any value
can be reported back to the officer as a cell in A1 notation.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import fastexcel
import polars as pl

from sources.container import Container, SheetInfo, sniff_delimiter
from sources.findings import a1
from transforms.codes import fold_text


@dataclass
class Grid:
    sheet: str | None  # None for CSV files
    frame: pl.DataFrame  # string columns c0..cN, one row per sheet row
    first_row: int = 0
    first_col: int = 0

    _head: list[list[str]] | None = None

    def head_cells(self, rows: int = 40) -> list[list[str]]:
        """The first rows as folded text (for detection and header search), computed once."""
        if self._head is None:
            self._head = [[fold_text(v) for v in row] for row in self.frame.head(rows).iter_rows()]
        return self._head

    def cell(self, row: int, col: int) -> str:
        """A1 reference of a position in the frame."""
        return a1(self.first_row + row, self.first_col + col)

    def excel_row(self, row: int) -> int:
        return self.first_row + row + 1


def _rename(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.rename({old: f"c{i}" for i, old in enumerate(frame.columns)})


def open_workbook(container: Container) -> fastexcel.ExcelReader:
    return fastexcel.read_excel(str(container.path))


def read_sheet(reader: fastexcel.ExcelReader, container: Container, sheet: SheetInfo) -> Grid:
    """Read one sheet with calamine, every cell as text (numbers as their shortest decimal form).

    Calamine drops empty leading rows and columns; the offset comes from the sheet's
    ``<dimension>``, or from its cells as measured on intake when the dimension disagrees with what was read.
    """
    frame = _rename(reader.load_sheet(sheet.name, header_row=None, dtypes="string").to_polars())
    first_row, first_col = sheet.first_row, sheet.first_col
    if (frame.height, frame.width) != (sheet.rows, sheet.columns) and frame.height and sheet.cells_at is not None:
        first_row, first_col = sheet.cells_at
    return Grid(sheet=sheet.name, frame=frame, first_row=first_row, first_col=first_col)


def read_csv_grid(container: Container) -> Grid:
    """Parse CSV text (any of ; , tab; quoted or not) into a string grid."""
    text = container.text or ""
    delimiter = sniff_delimiter(text)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    width = max((len(r) for r in rows), default=0)
    columns = {f"c{i}": [r[i] if i < len(r) and r[i].strip() != "" else None for r in rows] for i in range(width)}
    return Grid(sheet=None, frame=pl.DataFrame(columns, schema={k: pl.String for k in columns}))
