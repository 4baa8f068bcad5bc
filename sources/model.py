"""The canonical model: one long table of budget lines, defined once, used by every layer.

One row is one amount of one kind, for one body, year and phase, at the finest
classification the source gives (programme may be null for mission-level files; title and
macroaggregate may be null for mission summaries such as BDAP's). Amounts are exact integer
cents. Provenance says where each row came from: the file's SHA-256, the sheet and the cell.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from sources.reference import code_sets

PHASES = ("previsione", "rendiconto")

KEY_COLUMNS: dict[str, pl.DataType] = {"body": pl.String(), "year": pl.Int32(), "phase": pl.String()}
PROVENANCE_COLUMNS: dict[str, pl.DataType] = {
    "source_sha256": pl.String(),
    "source_file": pl.String(),
    "sheet": pl.String(),
    "cell": pl.String(),
    "source_row": pl.Int32(),
}
BUDGET_LINE_COLUMNS: dict[str, pl.DataType] = {
    **KEY_COLUMNS,
    "missione": pl.String(),
    "programma": pl.String(),
    "titolo": pl.String(),
    "macroaggregato": pl.String(),
    "amount_kind": pl.String(),
    "amount_cents": pl.Int64(),
    "capitolo": pl.String(),
    "description": pl.String(),
    **PROVENANCE_COLUMNS,
}


def _codes(name: str) -> list[str]:
    return sorted(code_sets()[name])


class BudgetLines(pa.DataFrameModel):
    """Pandera schema of the canonical budget-lines table."""

    body: str = pa.Field(isin=_codes("body"))
    year: pl.Int32 = pa.Field(ge=2000, le=2100)
    phase: str = pa.Field(isin=list(PHASES))
    missione: str = pa.Field(isin=_codes("missione"))
    programma: str = pa.Field(nullable=True, isin=_codes("programma"))
    titolo: str = pa.Field(nullable=True, isin=_codes("titolo"))
    macroaggregato: str = pa.Field(nullable=True, isin=_codes("macroaggregato"))
    amount_kind: str = pa.Field(isin=_codes("amount_kind"))
    amount_cents: pl.Int64
    capitolo: str = pa.Field(nullable=True)
    description: str = pa.Field(nullable=True)
    source_sha256: str = pa.Field(str_length={"min_value": 64, "max_value": 64})
    source_file: str
    sheet: str = pa.Field(nullable=True)
    cell: str = pa.Field(nullable=True)
    source_row: pl.Int32 = pa.Field(nullable=True)

    @pa.dataframe_check
    def programme_within_mission(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("programma").is_null() | (pl.col("programma").str.slice(0, 2) == pl.col("missione"))
        )

    @pa.dataframe_check
    def macro_within_title(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("macroaggregato").is_null() | (pl.col("macroaggregato").str.slice(0, 1) == pl.col("titolo"))
        )

    class Config:
        strict = True
        ordered = True
        coerce = False


REVENUE_LINE_COLUMNS: dict[str, pl.DataType] = {
    **KEY_COLUMNS,
    "titolo": pl.String(),
    "tipologia": pl.String(),
    "amount_kind": pl.String(),
    "amount_cents": pl.Int64(),
    "description": pl.String(),
    **PROVENANCE_COLUMNS,
}


class RevenueLines(pa.DataFrameModel):
    """Pandera schema of the canonical revenue table (titolo x tipologia x amount kind)."""

    body: str = pa.Field(isin=_codes("body"))
    year: pl.Int32 = pa.Field(ge=2000, le=2100)
    phase: str = pa.Field(isin=list(PHASES))
    titolo: str = pa.Field(isin=_codes("titolo_entrata"))
    tipologia: str = pa.Field(isin=_codes("tipologia"))
    amount_kind: str = pa.Field(isin=_codes("amount_kind"))
    amount_cents: pl.Int64
    description: str = pa.Field(nullable=True)
    source_sha256: str = pa.Field(str_length={"min_value": 64, "max_value": 64})
    source_file: str
    sheet: str = pa.Field(nullable=True)
    cell: str = pa.Field(nullable=True)
    source_row: pl.Int32 = pa.Field(nullable=True)

    @pa.dataframe_check
    def tipologia_within_title(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("tipologia").str.slice(0, 1) == pl.col("titolo"))

    class Config:
        strict = True
        ordered = True
        coerce = False


TABLES = {  # profile "table" -> (warehouse table, columns, schema)
    "budget": ("budget_lines", BUDGET_LINE_COLUMNS, BudgetLines),
    "revenue": ("revenue_lines", REVENUE_LINE_COLUMNS, RevenueLines),
}


def empty_budget_lines() -> pl.DataFrame:
    return pl.DataFrame(schema=BUDGET_LINE_COLUMNS)


def conform(frame: pl.DataFrame, columns: dict[str, pl.DataType] = BUDGET_LINE_COLUMNS) -> pl.DataFrame:
    """Select and cast the canonical columns in order (missing optional ones become null)."""
    return frame.select(
        [
            (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in columns.items()
        ]
    )
