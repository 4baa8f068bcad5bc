"""The DuckDB warehouse (one embedded file): opening it, and the typed reads and writes of its declared tables.

Every table is declared once in ``warehouse.tables``; opening the warehouse to write creates the tables it lacks and
adds the columns a declaration gained since (rows already there get nothing in them, or the column's default). Reads
give the declared columns and types; writes replace partitions, in one transaction, with frames that fit their table
(``Table.conform``: anything else is refused naming the columns, never a dropped table).
"""

from __future__ import annotations

import os
import re
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from warehouse import tables
from warehouse.errors import TableMismatch, WarehouseBusy, WarehouseDamaged
from warehouse.table import Table

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
    """Open the warehouse (``memory_limit``: DuckDB's buffer pool, by default 80 % of the machine's memory); to write,
    with every declared table and column (``ensure``). Another process writing: wait (bounded,
    ``AREAVASTA_WAREHOUSE_WAIT`` seconds) and say so once; past the limit, or when the file is damaged, raise a
    ``WarehouseError`` that says what to do."""
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
    _KNOWN[id(con)] = _read_columns(con)  # the schema, read once: nothing else changes it while this is open
    try:
        if not read_only:
            ensure(con)
            if path.exists() and path.stat().st_mode & 0o077:
                path.chmod(0o600)  # budgets and who uploaded them: the owner only
        yield con
    except duckdb.Error as exc:
        if any(word in str(exc).lower() for word in _DAMAGE):
            raise WarehouseDamaged(path, str(exc)) from None
        raise
    finally:
        _KNOWN.pop(id(con), None)
        con.close()


def _tell(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


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
            "SELECT n.body, n.year::INTEGER AS year, n.phase, string_agg(DISTINCT e.file, ', ') AS files "
            "FROM core.national_lines n SEMI JOIN _wanted w ON n.body = w.body AND n.year = w.year "
            "LEFT JOIN core.national_extracts e ON e.sha256 = n.extract_sha256 WHERE NOT EXISTS "
            "(SELECT 1 FROM core.budget_lines b WHERE b.body = n.body AND b.year = n.year AND b.phase = n.phase) "
            "GROUP BY ALL"
        ).pl()
    finally:
        con.unregister("_wanted")
    return found.cast(schema) if found.height else pl.DataFrame(schema=schema)


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(_columns(con, [table]))


def budget_lines(con: duckdb.DuckDBPyConnection, where: str = "", params: list | None = None) -> pl.DataFrame:
    return con.execute(f"SELECT * FROM core.budget_lines {where}", params or []).pl()


def authority_overrides(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every recorded change to the authority catalogue, oldest first (the latest one wins)."""
    return con.execute(
        "SELECT body, programma, attribute, value, reason, author, date FROM core.authority_overrides ORDER BY "
        "recorded_at"
    ).pl()


def uploads(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return con.execute("SELECT * FROM core.uploads ORDER BY received_at, sha256").pl()


def replace_partitions(
    con: duckdb.DuckDBPyConnection, table: Table | str, frame: pl.DataFrame, keys: pl.DataFrame
) -> pl.DataFrame:
    """Replace the rows of ``keys`` (columns of the table, e.g. body and year) in the table with ``frame``, in one
    transaction; the other partitions' rows stay. ``frame`` must fit the table's declaration. Returns the rows as
    written (``frame`` fitted to the table)."""
    return next(iter(replace_together(con, {table: (frame, keys)}).values()))


def replace_together(
    con: duckdb.DuckDBPyConnection, writes: dict[Table | str, tuple[pl.DataFrame, pl.DataFrame]], views: bool = False
) -> dict[str, pl.DataFrame]:
    """``replace_partitions`` of several tables (table -> (frame, keys)) in one transaction: all of them or none.

    Every frame is checked against its table before anything is written. ``views``: hand DuckDB Arrow string views (no
    copy; about twice as fast an insert of millions of short codes, the national lines). Not the default: frames of long
    texts (the plans) reach DuckDB's Arrow scan with buffers Arrow's engine finds poorly aligned (a warning on stderr
    for each). Returns each table's rows as written (the frames fitted to their tables: what a check validates)."""
    fitted = [(tables.get(table), *_fitted(tables.get(table), frame, keys)) for table, (frame, keys) in writes.items()]
    con.execute("BEGIN TRANSACTION")
    try:
        for table, frame, keys in fitted:
            _replace(con, table, frame, keys, views)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        _forget(con)  # a table created inside the transaction is gone again
        raise
    return {table.name: frame for table, frame, _ in fitted}


def _fitted(table: Table, frame: pl.DataFrame, keys: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The frame as its table declares it, and the keys (only columns of the table); anything else refused."""
    if not keys.columns:
        raise ValueError(f"{table.qualified}: keys without columns would replace nothing, or everything")
    strangers = [c for c in keys.columns if c not in table.dtypes]
    if strangers:
        raise TableMismatch(table.name, [], strangers, [])
    return table.conform(frame), keys.unique()


def _replace(
    con: duckdb.DuckDBPyConnection, table: Table, frame: pl.DataFrame, keys: pl.DataFrame, views: bool
) -> None:
    ensure(con, [table])
    con.register("_frame", frame.to_arrow(compat_level=pl.CompatLevel.newest()) if views else frame.to_arrow())
    con.register("_keys", keys.to_arrow())
    try:
        match = " AND ".join(f"t.{c} = k.{c}" for c in keys.columns)
        con.execute(f"DELETE FROM {table.qualified} t USING _keys k WHERE {match}")
        con.execute(f"INSERT INTO {table.qualified} BY NAME SELECT * FROM _frame")
    finally:
        con.unregister("_frame")
        con.unregister("_keys")


def ensure(con: duckdb.DuckDBPyConnection, which: list[Table] | None = None) -> None:
    """Create the declared tables the warehouse lacks, and add the columns their declarations gained since.

    A table whose columns changed used to be dropped and recreated from the new frame, taking every other partition's
    rows with it (issue 28); now a new column is added, and the rows already there get nothing in it (or its default)
    until their partition is computed again."""
    which = list(tables.TABLES.values()) if which is None else which
    present = _columns(con, [t.name for t in which])
    missing = [t for t in which if t.name not in present]
    if missing:
        con.execute("\n".join(["CREATE SCHEMA IF NOT EXISTS core;", *(t.ddl() for t in missing)]))
    added = [(t, c) for t in which if t.name in present for c in t.columns if c.name not in present[t.name]]
    for table, column in added:
        default = f" DEFAULT {column.default}" if column.default is not None else ""
        con.execute(f'ALTER TABLE {table.qualified} ADD COLUMN "{column.name}" {column.sql_type}{default}')
    if missing or added:
        _forget(con)


# connection (opened by ``connect``) -> its core tables' columns; DDL goes through ``ensure``, which refreshes it. Read
# on every table read and write, the catalogue costs 2-10 ms a query: a second of each upload's run (issue 30).
_KNOWN: dict[int, dict[str, dict[str, str]]] = {}


def _columns(con: duckdb.DuckDBPyConnection, names: list[str]) -> dict[str, dict[str, str]]:
    """table -> column -> DuckDB type, for the tables of ``names`` the warehouse has."""
    known = _KNOWN.get(getattr(con, "catalogue_id", id(con)))  # a stage's reader: the connection underneath
    if known is None:
        known = _read_columns(con, names)
    return {name: known[name] for name in names if name in known}


def _read_columns(con: duckdb.DuckDBPyConnection, names: list[str] | None = None) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE schema_name = 'core' AND "
        "database_name = current_database() AND (? IS NULL OR list_contains(?, table_name)) ORDER BY column_index",
        [names, names],
    ).fetchall()
    for table, column, kind in rows:
        found.setdefault(table, {})[column] = kind
    return found


def _forget(con: duckdb.DuckDBPyConnection) -> None:
    if id(con) in _KNOWN:
        _KNOWN[id(con)] = _read_columns(con)


def read_table(
    con: duckdb.DuckDBPyConnection,
    table: Table | str,
    keys: pl.DataFrame | None = None,
    columns: list[str] | None = None,
    where: str = "",
) -> pl.DataFrame:
    """Rows of a declared table (only those matching ``keys``, only ``columns``, an extra SQL ``where`` on ``t``), with
    the declared types; no rows when the warehouse does not have the table yet. An undeclared table is refused."""
    table = tables.get(table)
    wanted = columns or table.column_names
    strangers = [c for c in [*wanted, *(keys.columns if keys is not None else [])] if c not in table.dtypes]
    if strangers:
        raise TableMismatch(table.name, [], strangers, [], reading=True)
    present = _columns(con, [table.name]).get(table.name)
    if not present:
        return table.empty(wanted)
    select = ", ".join(_select(table, c, present.get(c)) for c in wanted)
    condition = f" WHERE {where}" if where else ""
    if keys is None:
        return con.execute(f"SELECT {select} FROM {table.qualified} t{condition}").pl()
    con.register("_want", keys.unique().to_arrow())
    try:
        match = " AND ".join(f"t.{c} = w.{c}" for c in keys.columns)
        return con.execute(f"SELECT {select} FROM {table.qualified} t SEMI JOIN _want w ON {match}{condition}").pl()
    finally:
        con.unregister("_want")


def _select(table: Table, column: str, stored: str | None) -> str:
    """A column as declared: a warehouse opened read only before the column was declared has none (empty), an older
    one may hold it as another type (cast)."""
    declared = table.columns[table.column_names.index(column)].sql_type
    if stored is None:
        return f'NULL::{declared} AS "{column}"'
    return f't."{column}"' if stored == declared else f'CAST(t."{column}" AS {declared}) AS "{column}"'
