"""Load co-assessment questionnaires (``areavasta ratings``) into ``core.ratings``, all or nothing, archived as received.

A file with an error writes nothing; an accepted one is kept in the archive with its SHA-256 and replaces
the ratings of the bodies and years it holds. The ``co_assessment`` asset then computes the statistics.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines import warehouse
from sources import archive
from sources.ratings import RatingsFile, read_ratings
from sources.settings import Settings


def load_ratings(path: Path, settings: Settings, user: str = "", display_name: str | None = None) -> RatingsFile:
    checked = read_ratings(path, settings, display_name)
    if not checked.ok:
        return checked
    sha = archive.sha256_of(path)
    name = display_name or path.name
    stored = archive.store(path, settings.archive_dir, sha, checked.kind or "xlsx", {
        "original_name": name, "received_by": user, "received_at": dt.datetime.now().isoformat(timespec="seconds"),
        "content": "ratings", "rows": checked.ratings.height, "status": "loaded"})
    ratings = checked.ratings.with_columns(source_sha256=pl.lit(sha), source_file=pl.lit(name))
    keys = ratings.select("body", "year").unique()
    with warehouse.connect(settings.warehouse_path) as con:
        warehouse.replace_partitions(con, "ratings", ratings, keys)
        record = pl.DataFrame({"sha256": [sha], "file": [name], "stored_as": [str(stored)], "rows": [ratings.height],
                               "bodies": [",".join(sorted(keys["body"].unique()))], "user": [user],
                               "loaded_at": [dt.datetime.now().isoformat(timespec="seconds")]})
        warehouse.replace_partitions(con, "rating_files", record, record.select("sha256"))
    return checked
