"""The DuckDB warehouse (one embedded file): the canonical budget lines and the upload register.

Loading is all or nothing: one transaction replaces every (body, year, phase) the file brings
and records the upload; a rejected file never reaches this module, and a crash mid-load rolls
back to the warehouse as it was.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from areavasta.model import BUDGET_LINE_COLUMNS

_DUCK_TYPES = {pl.String(): "VARCHAR", pl.Int32(): "INTEGER", pl.Int64(): "BIGINT"}

SCHEMA_SQL = f"""
CREATE SCHEMA IF NOT EXISTS core;
CREATE TABLE IF NOT EXISTS core.budget_lines (
    {", ".join(f"{name} {_DUCK_TYPES[dtype]}" for name, dtype in BUDGET_LINE_COLUMNS.items())}
);
CREATE TABLE IF NOT EXISTS core.uploads (
    sha256 VARCHAR NOT NULL,
    original_name VARCHAR NOT NULL,
    layout VARCHAR NOT NULL,
    body VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    phase VARCHAR NOT NULL,
    received_at TIMESTAMP NOT NULL,
    received_by VARCHAR NOT NULL,
    n_rows BIGINT NOT NULL,
    archive_path VARCHAR NOT NULL,
    status VARCHAR NOT NULL,          -- current | superseded
    superseded_by VARCHAR,
    PRIMARY KEY (sha256, body, year, phase)
);
"""


@contextmanager
def connect(path: Path, read_only: bool = False):
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        if not read_only:
            con.execute(SCHEMA_SQL)
        yield con
    finally:
        con.close()


def already_loaded(con: duckdb.DuckDBPyConnection, sha256: str) -> bool:
    return con.execute("SELECT count(*) FROM core.uploads WHERE sha256 = ?", [sha256]).fetchone()[0] > 0


def load(con: duckdb.DuckDBPyConnection, lines: pl.DataFrame, *, sha256: str, original_name: str, layout: str,
         received_by: str, archive_path: Path, received_at: dt.datetime | None = None) -> list[tuple[str, int, str]]:
    """Replace the partitions the file brings; returns the (body, year, phase) keys it made current."""
    received_at = received_at or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    keys = lines.group_by("body", "year", "phase").agg(n_rows=pl.len()).sort("body", "year", "phase")
    con.register("incoming", lines.to_arrow())  # zero-copy Arrow, never row by row
    con.register("incoming_keys", keys.to_arrow())
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "DELETE FROM core.budget_lines b USING incoming_keys k "
            "WHERE b.body = k.body AND b.year = k.year AND b.phase = k.phase"
        )
        con.execute("INSERT INTO core.budget_lines SELECT * FROM incoming")
        con.execute(
            "UPDATE core.uploads u SET status = 'superseded', superseded_by = ? FROM incoming_keys k "
            "WHERE u.body = k.body AND u.year = k.year AND u.phase = k.phase AND u.status = 'current'",
            [sha256],
        )
        con.execute(
            "INSERT INTO core.uploads SELECT ?, ?, ?, body, year, phase, ?, ?, n_rows, ?, 'current', NULL FROM incoming_keys",
            [sha256, original_name, layout, received_at, received_by, str(archive_path)],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("incoming")
        con.unregister("incoming_keys")
    return [tuple(row) for row in keys.select("body", "year", "phase").iter_rows()]


def budget_lines(con: duckdb.DuckDBPyConnection, where: str = "", params: list | None = None) -> pl.DataFrame:
    return con.execute(f"SELECT * FROM core.budget_lines {where}", params or []).pl()


def uploads(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return con.execute("SELECT * FROM core.uploads ORDER BY received_at, sha256").pl()
