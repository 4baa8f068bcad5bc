"""A file validated once: the intake keeps its canonical lines beside the receipt, the loader takes them from there.

The portal validates a file when the officer sends it; the sensor, another process, loads it later. The
lines (and the authority changes the file carries) are written as Parquet under ``<home>/validated/`` with
the fingerprint of the rules they were validated with (``sources.rules_version``); the loader uses them only
while that fingerprint holds, reads the archived file again otherwise, and deletes them once loaded. They
are a cache: the archive keeps the file as received.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import polars as pl

from sources.rules_version import fingerprint
from sources.settings import Settings

OVERRIDES = ".overrides.parquet"


def folder(settings: Settings) -> Path:
    return settings.home / "validated"


def keep(settings: Settings, validation) -> dict:
    """Write a validation's lines (and overrides); the receipt fields that point at them."""
    target = folder(settings)
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = target / f"{validation.sha256[:16]}-{uuid.uuid4().hex[:12]}.parquet"
    _write(validation.lines, path)
    if validation.overrides is not None:
        _write(validation.overrides, path.with_name(path.stem + OVERRIDES))
    return {"validated": str(path), "rules": fingerprint(settings)}


def _write(frame: pl.DataFrame, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    frame.write_parquet(tmp, compression="zstd")
    os.chmod(tmp, 0o600)  # budgets and who sent them: the owner only
    os.replace(tmp, path)


def load(settings: Settings, receipt) -> tuple[pl.DataFrame, pl.DataFrame | None] | None:
    """The lines kept for a receipt and its overrides, or None: none kept, gone, or validated under other rules."""
    if not receipt.validated or receipt.rules != fingerprint(settings):
        return None
    path = Path(receipt.validated)
    if path.parent != folder(settings) or not path.exists():  # only our own folder: a receipt names no other file
        return None
    extra = path.with_name(path.stem + OVERRIDES)
    try:
        return pl.read_parquet(path), pl.read_parquet(extra) if extra.exists() else None
    except (OSError, pl.exceptions.ComputeError):  # damaged: read the archived file again
        return None


def discard(settings: Settings, receipt) -> None:
    """Once loaded (or refused), the kept lines are not needed any more."""
    if receipt.validated:
        path = Path(receipt.validated)
        if path.parent == folder(settings):
            path.unlink(missing_ok=True)
            path.with_name(path.stem + OVERRIDES).unlink(missing_ok=True)
