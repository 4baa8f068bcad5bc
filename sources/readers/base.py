"""What every reader engine returns, and helpers they share."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from sources.findings import Finding, column_letter
from sources.grid import Grid
from sources.layouts import Profile
from transforms.amounts import parse_amounts

# Columns of Extracted.lines. Codes are canonical where the reader recognised them, null
# otherwise; the ``*_raw`` columns keep what the file said, for messages.
LINE_COLUMNS: dict[str, pl.DataType] = {
    "missione": pl.String(),
    "programma": pl.String(),
    "titolo": pl.String(),
    "macroaggregato": pl.String(),
    "tipologia": pl.String(),
    "amount_kind": pl.String(),
    "missione_raw": pl.String(),
    "programma_raw": pl.String(),
    "titolo_raw": pl.String(),
    "macroaggregato_raw": pl.String(),
    "tipologia_raw": pl.String(),
    "amount_kind_raw": pl.String(),
    "amount_text": pl.String(),
    "amount_cents": pl.Int64(),
    "amount_rounded": pl.Boolean(),
    "capitolo": pl.String(),
    "description": pl.String(),
    "sheet": pl.String(),
    "cell": pl.String(),
    "source_row": pl.Int32(),
    "body": pl.String(),
    "year": pl.Int32(),
    "phase": pl.String(),
}


@dataclass
class FileMeta:
    """What the file itself says about body, year and phase (raw text or resolved code)."""

    body: str | None = None
    year: str | None = None
    phase: str | None = None
    where: dict = field(default_factory=dict)  # field -> (sheet, cell) for messages


@dataclass
class Extracted:
    profile: Profile
    lines: pl.DataFrame
    meta: FileMeta
    findings: list[Finding] = field(default_factory=list)
    kind: str = "xlsx"  # the container: xlsx or csv (set by sources.extract)
    letters: dict[str, str] = field(default_factory=dict)  # dimension -> column letter, for findings on code cells
    extras: dict[str, Grid] = field(default_factory=dict)  # other sheets the profile asks for (e.g. overrides)
    unplaced: list[dict] = field(default_factory=list)  # columns and rows nothing could place (see sources.mappings)


def finish_lines(frame: pl.DataFrame, number_format: str) -> pl.DataFrame:
    """Parse amounts and give the frame every LINE_COLUMNS column, in order."""
    frame = parse_amounts(frame, "amount_text", number_format)
    return frame.select(
        (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in LINE_COLUMNS.items()
    )


def cell_expr(grid: Grid, column_index: pl.Expr | int, row_index: pl.Expr) -> pl.Expr:
    """A1 reference for frame positions (vectorised over rows)."""
    if isinstance(column_index, int):
        letters = pl.lit(column_letter(grid.first_col + column_index))
    else:
        letters = column_index
    return pl.concat_str(letters, (row_index + grid.first_row + 1).cast(pl.String))
