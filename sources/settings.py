"""Run-time settings: defaults from ``data/settings.yaml``, overridden by ``AREAVASTA_*`` variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from sources.reference import settings_defaults


@dataclass(frozen=True)
class Settings:
    home: Path
    max_file_mb: float
    max_uncompressed_mb: float
    max_compression_ratio: float
    max_rows: int
    max_columns: int
    max_cells: int
    subtotal_tolerance_cents: int
    min_year: int
    max_year_ahead: int
    large_amount_eur: int
    support_contact: str = ""  # who an officer calls when the results do not come (empty: the portal's administrator)

    @property
    def warehouse_path(self) -> Path:
        return Path(os.environ.get("AREAVASTA_WAREHOUSE", self.home / "warehouse.duckdb"))

    @property
    def archive_dir(self) -> Path:
        return self.home / "archive"

    @property
    def outputs_dir(self) -> Path:
        return self.home / "outputs"

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)


def load_settings() -> Settings:
    values = dict(settings_defaults())
    for field in fields(Settings):
        env = os.environ.get(f"AREAVASTA_{field.name.upper()}")
        if env is not None:
            values[field.name] = env
    converted = {}
    for field in fields(Settings):
        raw = values.get(field.name, field.default)
        if field.type == "Path":
            converted[field.name] = Path(raw)
        elif field.type == "str":
            converted[field.name] = str(raw or "").strip()
        elif field.type == "int":
            converted[field.name] = int(raw)
        else:
            converted[field.name] = float(raw)
    return Settings(**converted)
