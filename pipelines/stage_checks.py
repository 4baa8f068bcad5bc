"""The checks some stages declare beyond the schema checks of their tables (``pipelines.graph``), each computed from
what the stage just computed: no second read of the warehouse."""

from __future__ import annotations

import dagster as dg
import polars as pl

from pipelines.declaration import Check, StageRun
from warehouse.stored import Stored


def _placed(run: StageRun, computed: Stored) -> tuple[bool, dict]:
    matrix = computed.tables["ruffini_matrix"][0]
    silent = matrix.filter(pl.col("total_cents") > 0, pl.col("quadrant").is_null(), pl.col("not_classified").is_null())
    return silent.is_empty(), {
        "unexplained": dg.MetadataValue.json(silent.select("body", "year", "function").to_dicts()[:20])
    }


def _jumps(run: StageRun, computed: Stored) -> tuple[bool, dict]:
    jumps = computed.tables["peer_benchmarks"][0].filter(pl.col("outlier_jump"))
    listed = jumps.select("body", "year", "function", "yearly_change").to_dicts()[:30]
    return jumps.is_empty(), {"jumps": dg.MetadataValue.json(listed)}


DIFFERENCE_COLUMNS = (
    "body",
    "year",
    "phase",
    "amount_kind",
    "level",
    "code",
    "own_file",
    "own_cents",
    "bdap_file",
    "bdap_cents",
    "difference_cents",
    "allowed_cents",
)


def _agrees(run: StageRun, computed: Stored) -> tuple[bool, dict]:
    off = computed.tables["bdap_reconciliation"][0].filter(~pl.col("within_tolerance"))
    largest = off.sort(pl.col("difference_cents").abs(), descending=True).select(DIFFERENCE_COLUMNS)
    return off.is_empty(), {"differences": dg.MetadataValue.json(largest.to_dicts()[:30])}


EVERY_FUNCTION_PLACED = Check(
    "every_function_placed", "Every function with spending has a quadrant or a stated reason", _placed
)
YEAR_ON_YEAR_JUMPS = Check(
    "year_on_year_jumps",
    "Spending jumping by more than 50 % from one year to the next (flagged, not blocking)",
    _jumps,
    warn=True,
)
AGREES_WITH_BDAP = Check(
    "agrees_with_bdap",
    "The upload and the BDAP extract of the same body, year and phase agree within the tolerance of "
    "data/reconciliation (warning)",
    _agrees,
    warn=True,
)
# evaluated by the budget_lines stage while it reads its lines a year at a time (pipelines.stage_lines)
LINES_SCHEMA = Check("schema", "The canonical pandera schema (blocking)", blocking=True)
TOTALS_RECONCILE = Check("totals_reconcile", "Lines in the warehouse = rows recorded for the current uploads")
