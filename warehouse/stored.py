"""What a stage returns: run metadata, and each table it computed with the keys that table replaces."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from warehouse.table import Table


@dataclass
class Stored:
    """What a stage computed: metadata for the run, each table (declared in ``warehouse.tables``: the table or its
    name) with the keys it replaces, written by the ``Warehouse`` resource in one transaction, and the declared checks
    it evaluated while computing (name → (passed, metadata): what it had read anyway, not read twice)."""

    metadata: dict
    tables: dict[Table | str, tuple[pl.DataFrame, pl.DataFrame]] = field(default_factory=dict)
    checks: dict[str, tuple[bool, dict]] = field(default_factory=dict)
    # filled as the tables are written (``pipelines.checks.add_failures``): table → its rows failing its schema
    schema_failures: dict[str, list[dict]] = field(default_factory=dict)
