"""One Dagster asset check per warehouse table, generated from the table registry (PUDL's ``asset_check_from_schema``).

Every table of ``warehouse.tables`` has a strict pandera schema; the asset that writes a table carries its check
``schema_<table>``: blocking where wrong data would mislead the next stage, failure samples as metadata. Each write's
rows, as stored, are validated as they are written (``add_failures``); the check reports them after the asset's run.
"""

from __future__ import annotations

import dagster as dg
import pandera.errors
import polars as pl

from warehouse import tables
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


CASES = 20  # failure cases kept per table


def add_failures(found: dict[str, list[dict]], written: dict[str, pl.DataFrame], checked: list[Table | str]) -> None:
    """The failure cases of the rows just written (table → frame, as stored: ``Warehouse.store``) added to ``found``,
    for the tables the asset checks (the first ``CASES`` of each). Validated in memory as they are written: read back
    from the warehouse they cost a national backfill 8 s (issue 30) and, all years at once, 100-170 MB."""
    for table in map(tables.get, checked):
        cases = found.setdefault(table.name, [])
        if table.name in written and len(cases) < CASES:
            cases += validate(written[table.name], table)[: CASES - len(cases)]


def check_results(checked: list[Table | str], found: dict[str, list[dict]]):
    """One AssetCheckResult per table the asset checks: passed when no row it wrote failed the table's schema."""
    for table in map(tables.get, checked):
        failures = found.get(table.name, [])[:CASES]
        yield dg.AssetCheckResult(
            check_name=check_name(table),
            passed=not failures,
            metadata={"failure_cases": dg.MetadataValue.json(failures)},
        )
