"""The warehouse as a Dagster resource: one DuckDB file under a configurable home, the one way assets persist tables."""

from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from pipelines import warehouse
from pipelines.schemas import TABLES
from sources.settings import Settings, load_settings


class Warehouse(dg.ConfigurableResource):
    """``home``: where the warehouse, archive and outputs live; empty = ``AREAVASTA_HOME`` or ``var``."""

    home: str = ""

    def settings(self) -> Settings:
        settings = load_settings()
        return settings.with_(home=Path(self.home)) if self.home else settings

    @contextmanager
    def connect(self):
        with warehouse.connect(self.settings().warehouse_path) as con:
            yield con

    def store(self, con, tables: dict) -> None:
        """Persist what a stage computed (table → (frame, keys it replaces)); only tables with a schema in ``pipelines.schemas``."""
        undeclared = sorted(set(tables) - set(TABLES))
        if undeclared:
            raise ValueError(f"tables without a schema in pipelines.schemas: {undeclared}")
        for name, (frame, keys) in tables.items():
            warehouse.replace_partitions(con, name, frame, keys)
