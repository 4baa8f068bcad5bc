"""Load co-assessment questionnaires (``areavasta ratings``) into ``core.ratings``, all or nothing, archived as
received.

A file with an error writes nothing; an accepted one is kept in the archive with its SHA-256 and replaces
the ratings of the bodies and years it holds, recorded in ``core.rating_files`` (one transaction). The archive's
sidecar records each load (ratings per body and year; once committed, when), so that ``areavasta rebuild`` loads
every questionnaire again, in the same order, through the same checks and writes (``replay_ratings``).
The ``co_assessment`` asset then computes the statistics.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import polars as pl

from sources import archive
from sources.ratings import RatingsFile, read_ratings
from sources.settings import Settings
from warehouse import store, tables


def load_ratings(path: Path, settings: Settings, user: str = "", display_name: str | None = None) -> RatingsFile:
    checked = read_ratings(path, settings, display_name)
    if not checked.ok:
        return checked
    sha = archive.sha256_of(path)
    name = display_name or path.name
    load = uuid.uuid4().hex  # this load's entry on the sidecar, settled once the warehouse committed
    stored = archive.store(
        path,
        settings.archive_dir,
        sha,
        checked.kind or "xlsx",
        {
            "original_name": name,
            "received_by": user,
            "received_at": dt.datetime.now().isoformat(timespec="seconds"),
            "content": "ratings",
            "rows": checked.ratings.height,
            "partition_rows": partition_rows(checked.ratings),
            "status": "received",
            "load": load,
            "order": dt.datetime.now().isoformat(),
        },
    )  # until the load holds the warehouse
    with store.connect(settings.warehouse_path) as con:
        at = (
            dt.datetime.now()
        )  # while holding the warehouse (one writer): the order of the loads, recorded before the commit
        archive.settle_entry(stored, load, order=at.isoformat())
        write(
            con, checked, sha, name, stored, user, at.isoformat()
        )  # the order, exactly: two loads in one second differ
    archive.settle_entry(stored, load, status="loaded", loaded_at=at.isoformat())
    return checked


def replay_ratings(stored: Path, entry: dict, settings: Settings, con) -> RatingsFile:
    """An archived questionnaire loaded again into ``con`` as its sidecar entry records it (``areavasta rebuild``): the
    same checks and the same writes as ``load_ratings``, with the name, user and time of the original load."""
    name = entry.get("original_name") or stored.name
    checked = read_ratings(stored, settings, name)
    if checked.ok:
        write(
            con,
            checked,
            stored.name.split(".")[0],
            name,
            stored,
            entry.get("received_by", ""),
            entry.get("loaded_at") or entry.get("received_at", ""),
        )
    return checked


def write(con, checked: RatingsFile, sha: str, name: str, stored: Path, user: str, loaded_at: str) -> None:
    """The ratings in ``core.ratings`` (replacing the bodies and years they hold) and the file in
    ``core.rating_files``."""
    ratings = checked.ratings.with_columns(source_sha256=pl.lit(sha), source_file=pl.lit(name))
    keys = ratings.select("body", "year").unique()
    record = pl.DataFrame(
        {
            "sha256": [sha],
            "file": [name],
            "stored_as": [str(stored)],
            "rows": [ratings.height],
            "bodies": [",".join(sorted(keys["body"].unique()))],
            "user": [user],
            "loaded_at": [loaded_at],
        }
    )
    store.replace_together(
        con, {tables.RATINGS: (ratings, keys), tables.RATING_FILES: (record, record.select("sha256"))}
    )


def partition_rows(ratings: pl.DataFrame) -> dict[str, int]:
    """Ratings per body and year (``237|2025``): what the archive records of a load, to check a rebuild by."""
    counts = ratings.group_by("body", "year").len().sort("body", "year")
    return {f"{b}|{y}": n for b, y, n in counts.iter_rows()}
