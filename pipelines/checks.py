"""One Dagster asset check per warehouse table, generated from the table registry (PUDL's ``asset_check_from_schema``).

Every table of ``warehouse.tables`` has a strict pandera schema; the asset that writes a table carries its check
``schema_<table>``: blocking where wrong data would mislead the next stage, failure samples as metadata. After a write
the check reads the rows of the partitions just written (the table's ``partitions`` say which) and validates them.
"""

from __future__ import annotations

import dagster as dg
import pandera.errors
import polars as pl

from warehouse import store, tables
from warehouse.table import Table


def check_name(table: Table | str) -> str:
    return f"schema_{tables.get(table).name}"


def check_specs(asset: str, written: list[Table | str]) -> list[dg.AssetCheckSpec]:
    """One check per table the asset writes, named ``schema_<table>``."""
    return [
        dg.AssetCheckSpec(
            check_name(table),
            asset=asset,
            blocking=table.blocking,
            description=f"{table.qualified} against its strict pandera schema ({table.description})"
            + (" (blocking)" if table.blocking else ""),
        )
        for table in map(tables.get, written)
    ]


def validate(frame: pl.DataFrame, table: Table | str) -> list[dict]:
    """Failure cases (at most 20) of ``frame`` against the table's schema; empty when it passes."""
    if frame.is_empty():
        return []
    try:
        tables.get(table).schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        return cases.head(20).to_dicts() if hasattr(cases, "head") else [{"error": str(exc)[:2000]}]
    return []


def check_results(con, written: list[Table | str], keys: pl.DataFrame):
    """The rows each table holds for the partitions just written, checked a year at a time (a national backfill's
    indicator peers read back at once took 100-170 MB more than the rest of the run); one AssetCheckResult per table."""
    for table in map(tables.get, written):
        columns = list(table.partitions)
        if not columns:
            failures = validate(store.read_table(con, table), table)
        else:
            wanted = keys.select(columns).unique()
            by_year = "year" in columns and wanted.height
            parts = wanted.sort("year").partition_by("year", maintain_order=True) if by_year else [wanted]
            failures = []
            for part in parts:  # the first 20 failure cases, whichever years they are in
                failures += validate(store.read_table(con, table, part), table)[: 20 - len(failures)]
        yield dg.AssetCheckResult(
            check_name=check_name(table),
            passed=not failures,
            metadata={"failure_cases": dg.MetadataValue.json(failures)},
        )
