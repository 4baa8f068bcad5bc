"""The warehouse as a Dagster resource: one DuckDB file under a configurable home."""


from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from pipelines import warehouse
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
