"""What a stage returns: run metadata, and each table it computed with the keys that table replaces."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from warehouse.table import Table


@dataclass
class Stored:
    """What a stage computed: metadata for the run, and each table (declared in ``warehouse.tables``: the table or its
    name) with the keys it replaces; the ``Warehouse`` resource writes them all in one transaction."""

    metadata: dict
    tables: dict[Table | str, tuple[pl.DataFrame, pl.DataFrame]] = field(default_factory=dict)
