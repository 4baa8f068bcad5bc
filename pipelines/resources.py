"""The warehouse as a Dagster resource: one DuckDB file under a configurable home, the one way assets persist tables."""

from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from sources.settings import Settings, load_settings
from warehouse import store, tables


class Warehouse(dg.ConfigurableResource):
    """``home``: where the warehouse, archive and outputs live; empty = ``AREAVASTA_HOME`` or ``var``."""

    home: str = ""

    def settings(self) -> Settings:
        settings = load_settings()
        return settings.with_(home=Path(self.home)) if self.home else settings

    @contextmanager
    def connect(self):
        with store.connect(self.settings().warehouse_path) as con:
            yield con

    def store(self, con, computed: dict) -> dict:
        """Persist what a stage computed (table → (frame, keys it replaces)); only tables declared in
        ``warehouse.tables`` (an undeclared one refuses the lot: ``UnknownTable``), with frames that fit them
        (``TableMismatch``). Returns each table's rows as written."""
        for table in computed:
            tables.get(table)
        return {
            tables.get(t).name: store.replace_partitions(con, t, frame, keys) for t, (frame, keys) in computed.items()
        }
