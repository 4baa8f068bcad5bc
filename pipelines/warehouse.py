"""The DuckDB warehouse (one embedded file): the canonical budget lines and the upload register.

Loading is all or nothing: one transaction replaces every (body, year, phase) the file brings
and records the upload; a rejected file never reaches this module, and a crash mid-load rolls
back to the warehouse as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from pipelines.warehouse_errors import WarehouseBusy, WarehouseError  # noqa: F401 (the errors callers catch)
from sources.model import BUDGET_LINE_COLUMNS, REVENUE_LINE_COLUMNS, TABLES

_DUCK_TYPES = {pl.String(): "VARCHAR", pl.Int32(): "INTEGER", pl.Int64(): "BIGINT"}

SCHEMA_SQL = f"""
CREATE SCHEMA IF NOT EXISTS core;
CREATE TABLE IF NOT EXISTS core.budget_lines (
    {", ".join(f"{name} {_DUCK_TYPES[dtype]}" for name, dtype in BUDGET_LINE_COLUMNS.items())}
);
CREATE TABLE IF NOT EXISTS core.revenue_lines (
    {", ".join(f"{name} {_DUCK_TYPES[dtype]}" for name, dtype in REVENUE_LINE_COLUMNS.items())}
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
    content VARCHAR NOT NULL DEFAULT 'budget',  -- which table the file fed: budget (spending) or revenue
    receipt_seq BIGINT,               -- order of receipt (sources.receipts): the latest receipt is current
    PRIMARY KEY (sha256, body, year, phase)
);
ALTER TABLE core.uploads ADD COLUMN IF NOT EXISTS content VARCHAR DEFAULT 'budget';
ALTER TABLE core.uploads ADD COLUMN IF NOT EXISTS receipt_seq BIGINT;
CREATE TABLE IF NOT EXISTS core.authority_overrides (
    body VARCHAR NOT NULL,
    programma VARCHAR NOT NULL,
    attribute VARCHAR NOT NULL,       -- an authority attribute, or 'status'
    value VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    author VARCHAR NOT NULL,
    date VARCHAR NOT NULL,
    source_sha256 VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
"""


class WarehouseDamaged(WarehouseError):
    def __init__(self, path: Path, detail: str):
        first = (detail.splitlines() or ["?"])[0][:300]
        super().__init__(
            f"Il magazzino {path} è danneggiato e non si può usare ({first}). I file ricevuti sono tutti nell'archivio: "
            "'areavasta rebuild' ricostruisce il magazzino da lì (il file danneggiato viene conservato a parte).",
            f"The warehouse {path} is damaged and cannot be used ({first}). Every received file is in the archive: "
            "'areavasta rebuild' rebuilds the warehouse from it (the damaged file is kept aside).",
        )


_LOCK = re.compile(r"Conflicting lock is held in (.+?) \(PID (\d+)\)")
_DAMAGE = (
    "not a valid duckdb database",
    "checksum",
    "corrupt",
    "invalid block",
    "failed to read",
    "truncated",
    "serializ",
)


def _wait_seconds() -> float:
    return float(os.environ.get("AREAVASTA_WAREHOUSE_WAIT", "300"))


@contextmanager
def connect(
    path: Path, read_only: bool = False, wait: float | None = None, on_wait=None, memory_limit: str | None = None
):
    """Open the warehouse (``memory_limit``: DuckDB's buffer pool, by default 80 % of the machine's memory). Another process writing: wait (bounded, ``AREAVASTA_WAREHOUSE_WAIT`` seconds) and say so
    once; past the limit, or when the file is damaged, raise a ``WarehouseError`` that says what to do."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wait = _wait_seconds() if wait is None else wait
    deadline, told = time.monotonic() + wait, False
    while True:
        try:
            config = {"preserve_insertion_order": False} | ({"memory_limit": memory_limit} if memory_limit else {})
            con = duckdb.connect(str(path), read_only=read_only, config=config)
            break
        except duckdb.IOException as exc:
            holder = _LOCK.search(str(exc))
            if holder is None:
                raise WarehouseDamaged(path, str(exc)) from None
            who = f"{Path(holder.group(1)).name} (PID {holder.group(2)})"
            if wait <= 0:  # a caller that must not wait (the sensor's tick): at once, saying who holds it
                raise WarehouseBusy(
                    f"Il magazzino {path} è in uso da {who}: si riprova al prossimo controllo.",
                    f"The warehouse {path} is in use by {who}: trying again at the next check.",
                ) from None
            if time.monotonic() > deadline:
                raise WarehouseBusy(
                    f"Il magazzino {path} è ancora in uso da {who} dopo {wait:.0f} s: riprovare più tardi.",
                    f"The warehouse {path} is still in use by {who} after {wait:.0f} s: try again later.",
                ) from None
            if not told:
                (on_wait or _tell)(f"Il magazzino è in uso da {who}: attendo (al massimo {wait:.0f} s)…")
                told = True
            time.sleep(0.25)
        except duckdb.Error as exc:
            raise WarehouseDamaged(path, str(exc)) from None
    try:
        if not read_only:
            con.execute(SCHEMA_SQL)
            if path.exists() and path.stat().st_mode & 0o077:
                path.chmod(0o600)  # budgets and who uploaded them: the owner only
        yield con
    except duckdb.Error as exc:
        if any(word in str(exc).lower() for word in _DAMAGE):
            raise WarehouseDamaged(path, str(exc)) from None
        raise
    finally:
        con.close()


def _tell(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class Upload:
    """One accepted file, ready to load: its canonical lines and where it came from."""

    lines: pl.DataFrame
    sha256: str
    original_name: str
    layout: str
    received_by: str
    archive_path: Path
    received_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None))
    overrides: pl.DataFrame | None = None  # authority-catalogue changes the file carries
    table: str = "budget"  # the canonical table the lines go to (sources.model.TABLES)
    receipt_seq: int | None = None  # order of receipt; a partition's current upload is its latest receipt

    def partitions(self) -> list[tuple[str, int, str]]:
        return self.lines.select("body", "year", "phase").unique().sort("body", "year", "phase").rows()


def load(con: duckdb.DuckDBPyConnection, uploads_in_order: list[Upload]) -> None:
    """Load a batch of accepted files in one transaction.

    Each (body, year, phase) a file brings replaces what the warehouse held for it in the file's
    table (spending or revenue: a revenue file never supersedes a spending one); within the
    batch, a later file for the same partition supersedes an earlier one, exactly as if they
    had been loaded one by one. One transaction for the batch: a crash leaves the warehouse as it
    was before the batch, and the commit cost is paid once.
    """
    if not uploads_in_order:
        return
    newer = _newer_receipts(con, uploads_in_order)
    register = []
    winner: dict[tuple, int] = {}
    for index, upload in enumerate(uploads_in_order):
        counts = upload.lines.group_by("body", "year", "phase").agg(n_rows=pl.len())
        for body, year, phase, n_rows in counts.iter_rows():
            if not _older(upload, newer.get((body, year, phase, upload.table))):
                winner[(body, year, phase, upload.table)] = index
            register.append((index, body, year, phase, n_rows))
    rows = []
    for index, body, year, phase, n_rows in register:
        upload = uploads_in_order[index]
        key = (body, year, phase, upload.table)
        last = winner.get(key)
        if last is not None:
            superseded_by = None if last == index else uploads_in_order[last].sha256
        else:  # the warehouse already holds a later receipt for this partition
            superseded_by = newer[key][0]
        rows.append(
            (
                upload.sha256,
                upload.original_name,
                upload.layout,
                body,
                year,
                phase,
                upload.received_at,
                upload.received_by,
                n_rows,
                str(upload.archive_path),
                "current" if superseded_by is None else "superseded",
                superseded_by,
                upload.table,
                upload.receipt_seq,
            )
        )
    # the same file twice for a partition in one batch (replaced, then sent again): its later register row, as one by one
    register_frame = pl.DataFrame(rows, schema=UPLOAD_SCHEMA, orient="row").unique(
        ["sha256", "body", "year", "phase"], keep="last", maintain_order=True
    )
    keys = pl.DataFrame(
        [(b, y, p, t, uploads_in_order[i].sha256, i) for (b, y, p, t), i in winner.items()],
        schema={
            "body": pl.String,
            "year": pl.Int32,
            "phase": pl.String,
            "content": pl.String,
            "sha256": pl.String,
            "winner": pl.Int64,
        },
        orient="row",
    )
    losers = {
        index
        for index, body, year, phase, _ in register
        if winner.get((body, year, phase, uploads_in_order[index].table)) != index
    }
    incoming = {}
    for table in dict.fromkeys(u.table for u in uploads_in_order):
        incoming[table] = pl.concat(
            [
                u.lines
                if index not in losers
                # only a file with a superseded partition is cut to its current ones
                else u.lines.join(
                    keys.filter(pl.col("winner") == index, pl.col("content") == table).select("body", "year", "phase"),
                    on=["body", "year", "phase"],
                    how="semi",
                )
                for index, u in enumerate(uploads_in_order)
                if u.table == table
            ]
        )
    con.register("incoming_keys", keys.to_arrow())
    con.register("incoming_uploads", register_frame.to_arrow())
    for table, lines in incoming.items():
        con.register(f"incoming_{table}", lines.to_arrow())  # zero-copy Arrow, never row by row
    overrides = [
        u.overrides.with_columns(source_sha256=pl.lit(u.sha256), recorded_at=pl.lit(u.received_at))
        for u in uploads_in_order
        if u.overrides is not None and u.overrides.height
    ]
    con.execute("BEGIN TRANSACTION")
    try:
        for table in incoming:
            target = TABLES[table][0]
            replaced = con.execute(
                "SELECT count(*) FROM core.uploads u JOIN incoming_keys k USING (body, year, phase, content) "
                "WHERE u.status = 'current' AND k.content = ?",
                [table],
            ).fetchone()[0]
            if replaced:  # scanning the lines table is only worth it when a partition is really replaced
                con.execute(
                    f"DELETE FROM core.{target} b USING incoming_keys k "
                    "WHERE b.body = k.body AND b.year = k.year AND b.phase = k.phase AND k.content = ?",
                    [table],
                )
            con.execute(f"INSERT INTO core.{target} SELECT * FROM incoming_{table}")
        con.execute(
            "UPDATE core.uploads u SET status = 'superseded', superseded_by = k.sha256 FROM incoming_keys k "
            "WHERE u.body = k.body AND u.year = k.year AND u.phase = k.phase AND u.content = k.content AND u.status = 'current'"
        )
        # a file replaced earlier and sent again: its old register rows give way to the new ones (the receipts keep the history)
        con.execute(
            "DELETE FROM core.uploads u USING incoming_uploads i "
            "WHERE u.sha256 = i.sha256 AND u.body = i.body AND u.year = i.year AND u.phase = i.phase"
        )
        con.execute("INSERT INTO core.uploads BY NAME SELECT * FROM incoming_uploads")
        if overrides:
            con.register("incoming_overrides", pl.concat(overrides).to_arrow())
            con.execute("INSERT INTO core.authority_overrides SELECT * FROM incoming_overrides")
            con.unregister("incoming_overrides")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for name in ["incoming_keys", "incoming_uploads", *(f"incoming_{t}" for t in incoming)]:
            con.unregister(name)


UPLOAD_SCHEMA = {
    "sha256": pl.String,
    "original_name": pl.String,
    "layout": pl.String,
    "body": pl.String,
    "year": pl.Int32,
    "phase": pl.String,
    "received_at": pl.Datetime("us"),
    "received_by": pl.String,
    "n_rows": pl.Int64,
    "archive_path": pl.String,
    "status": pl.String,
    "superseded_by": pl.String,
    "content": pl.String,
    "receipt_seq": pl.Int64,
}


def receipt_states(
    con: duckdb.DuckDBPyConnection, seqs: list[int], shas: list[str]
) -> dict[int, tuple[str, str | None]]:
    """How the warehouse holds the receipts ``seqs`` and those the files ``shas`` superseded: seq -> (``current`` when any
    of its partitions is, else ``superseded``; the file that superseded it). The register (``sources.receipts``) says the same."""
    if not seqs:
        return {}
    rows = con.execute(
        "SELECT receipt_seq, bool_or(status = 'current'), any_value(superseded_by) FILTER (WHERE status = 'superseded') "
        "FROM core.uploads WHERE receipt_seq IS NOT NULL AND (list_contains(?, receipt_seq) OR list_contains(?, superseded_by)) "
        "GROUP BY receipt_seq",
        [seqs, shas],
    ).fetchall()
    names = (
        dict(
            con.execute(
                "SELECT sha256, any_value(original_name) FROM core.uploads WHERE list_contains(?, sha256) GROUP BY sha256",
                [[by for _, _, by in rows if by]],
            ).fetchall()
        )
        if rows
        else {}
    )
    return {seq: ("current", None) if current else ("superseded", names.get(by, by)) for seq, current, by in rows}


def _newer_receipts(con: duckdb.DuckDBPyConnection, uploads: list[Upload]) -> dict[tuple, tuple[str, int]]:
    """Current uploads from a later receipt than some incoming file: (body, year, phase, content) -> (sha256, seq)."""
    seqs = [u.receipt_seq for u in uploads if u.receipt_seq is not None]
    if not seqs:
        return {}
    current = con.execute(
        "SELECT body, year, phase, content, sha256, receipt_seq FROM core.uploads WHERE status = 'current' AND receipt_seq > ?",
        [min(seqs)],
    ).fetchall()
    return {(body, year, phase, content): (sha, seq) for body, year, phase, content, sha, seq in current}


def _older(upload: Upload, current: tuple[str, int] | None) -> bool:
    """Did the warehouse's current upload for a partition arrive after this one? Then this one never becomes current."""
    return current is not None and upload.receipt_seq is not None and upload.receipt_seq < current[1]


def analysed_keys(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every (body, year) with uploaded budget lines or national open-data lines (a body analysed from BDAP alone)."""
    national = _exists(con, "national_lines")
    sql = "SELECT DISTINCT body, year FROM core.budget_lines" + (
        " UNION SELECT DISTINCT body, year FROM core.national_lines" if national else ""
    )
    return con.execute(f"SELECT * FROM ({sql}) ORDER BY ALL").pl().with_columns(pl.col("year").cast(pl.Int32))


def open_data_partitions(con: duckdb.DuckDBPyConnection, keys: pl.DataFrame) -> pl.DataFrame:
    """(body, year, phase, files) of ``keys`` analysed from national open data only: no upload, a BDAP extract."""
    schema = {"body": pl.String, "year": pl.Int32, "phase": pl.String, "files": pl.String}
    if not _exists(con, "national_lines") or keys.is_empty():
        return pl.DataFrame(schema=schema)
    con.register("_wanted", keys.select("body", "year").unique().to_arrow())
    try:
        found = con.execute(
            "SELECT n.body, n.year::INTEGER AS year, n.phase, string_agg(DISTINCT e.file, ', ') AS files FROM core.national_lines n "
            "SEMI JOIN _wanted w ON n.body = w.body AND n.year = w.year LEFT JOIN core.national_extracts e ON e.sha256 = n.extract_sha256 "
            "WHERE NOT EXISTS (SELECT 1 FROM core.budget_lines b WHERE b.body = n.body AND b.year = n.year AND b.phase = n.phase) "
            "GROUP BY ALL"
        ).pl()
    finally:
        con.unregister("_wanted")
    return found.cast(schema) if found.height else pl.DataFrame(schema=schema)


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'core' AND table_name = ?", [table]
        ).fetchone()[0]
    )


def budget_lines(con: duckdb.DuckDBPyConnection, where: str = "", params: list | None = None) -> pl.DataFrame:
    return con.execute(f"SELECT * FROM core.budget_lines {where}", params or []).pl()


def authority_overrides(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every recorded change to the authority catalogue, oldest first (the latest one wins)."""
    return con.execute(
        "SELECT body, programma, attribute, value, reason, author, date FROM core.authority_overrides ORDER BY recorded_at"
    ).pl()


def uploads(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return con.execute("SELECT * FROM core.uploads ORDER BY received_at, sha256").pl()


def replace_partitions(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, keys: pl.DataFrame) -> int:
    """Replace the rows of ``keys`` (columns shared with ``frame``, e.g. body and year) in ``core.<table>``, in one transaction.

    Derived tables only: the table is created from the frame's schema when it is missing; a frame with new columns
    adds them, one without some of the table's columns leaves them empty in its rows. Never a dropped table: the other
    partitions' rows stay.
    """
    replace_together(con, {table: (frame, keys)})
    return frame.height


def replace_together(
    con: duckdb.DuckDBPyConnection, tables: dict[str, tuple[pl.DataFrame, pl.DataFrame]], views: bool = False
) -> None:
    """``replace_partitions`` of several tables (table -> (frame, keys)) in one transaction: all of them or none.

    ``views``: hand DuckDB Arrow string views (no copy; about twice as fast an insert of millions of short codes, the
    national lines). Not the default: frames of long texts (the plans) reach DuckDB's Arrow scan with buffers Arrow's
    engine finds poorly aligned (a warning on stderr for each)."""
    con.execute("BEGIN TRANSACTION")
    try:
        for table, (frame, keys) in tables.items():
            _replace(con, table, frame, keys, views)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _add_new_columns(con: duckdb.DuckDBPyConnection, name: str, existing: list[str], columns: list[str]) -> None:
    """Columns of the registered ``_frame`` that the table lacks, added with the frame's types (rows already there get
    nothing in them until their partition is computed again). A derived table whose columns changed used to be dropped
    and recreated from the new frame, taking every other partition's rows with it (issue 28)."""
    types = {column: kind for column, kind, *_ in con.execute("DESCRIBE SELECT * FROM _frame").fetchall()}
    for column in columns:
        if column not in existing:
            con.execute(f'ALTER TABLE {name} ADD COLUMN "{column}" {types[column]}')


def _replace(
    con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, keys: pl.DataFrame, views: bool = False
) -> None:
    name = f"core.{table}"
    con.register("_frame", frame.to_arrow(compat_level=pl.CompatLevel.newest()) if views else frame.to_arrow())
    con.register("_keys", keys.unique().to_arrow())
    try:
        existing = [
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'core' AND table_name = ? ORDER BY ordinal_position",
                [table],
            ).fetchall()
        ]
        if not existing:
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM _frame LIMIT 0")
        elif set(frame.columns) - set(existing):  # never a dropped table: the other partitions' rows stay
            _add_new_columns(con, name, existing, frame.columns)
        match = " AND ".join(f"t.{c} = k.{c}" for c in keys.columns)
        con.execute(f"DELETE FROM {name} t USING _keys k WHERE {match}")
        con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _frame")  # a column the frame lacks is empty in its rows
    finally:
        con.unregister("_frame")
        con.unregister("_keys")


def read_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    keys: pl.DataFrame | None = None,
    columns: list[str] | None = None,
    where: str = "",
) -> pl.DataFrame:
    """Rows of ``core.<table>`` (only those matching ``keys``, only ``columns``, an extra SQL ``where``);
    an empty frame when the table is missing."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'core' AND table_name = ?", [table]
    ).fetchone()[0]
    if not exists:
        return pl.DataFrame()
    select = ", ".join(f"t.{c}" for c in columns) if columns else "t.*"
    condition = f" WHERE {where}" if where else ""
    if keys is None:
        return con.execute(f"SELECT {select} FROM core.{table} t{condition}").pl()
    con.register("_want", keys.unique().to_arrow())
    try:
        match = " AND ".join(f"t.{c} = w.{c}" for c in keys.columns)
        return con.execute(f"SELECT {select} FROM core.{table} t SEMI JOIN _want w ON {match}{condition}").pl()
    finally:
        con.unregister("_want")
