"""Accepted files into the warehouse, a batch in one transaction, and the register of uploads (``core.uploads``).

Loading is all or nothing: one transaction replaces every (body, year, phase) the files bring and records each upload;
a rejected file never reaches this module, and a crash mid-load rolls back to the warehouse as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from sources.model import TABLES as LINE_TABLES
from warehouse import tables


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
    table: str = "budget"  # the canonical table the lines go to (``sources.model.TABLES``: budget or revenue)
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
    # the same file twice for a partition in one batch (replaced, then sent again): its later register row, as if
    # loaded one by one
    register_frame = pl.DataFrame(rows, schema=tables.UPLOADS.dtypes, orient="row").unique(
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
    for table, lines in incoming.items():  # zero-copy Arrow, never row by row
        con.register(f"incoming_{table}", tables.get(LINE_TABLES[table][0]).conform(lines).to_arrow())
    overrides = [
        u.overrides.with_columns(source_sha256=pl.lit(u.sha256), recorded_at=pl.lit(u.received_at))
        for u in uploads_in_order
        if u.overrides is not None and u.overrides.height
    ]
    con.execute("BEGIN TRANSACTION")
    try:
        for table in incoming:
            target = LINE_TABLES[table][0]
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
            con.execute(f"INSERT INTO core.{target} BY NAME SELECT * FROM incoming_{table}")
        con.execute(
            "UPDATE core.uploads u SET status = 'superseded', superseded_by = k.sha256 FROM incoming_keys k "
            "WHERE u.body = k.body AND u.year = k.year AND u.phase = k.phase AND u.content = k.content AND u.status = "
            "'current'"
        )
        # a file replaced earlier and sent again: its old register rows give way to the new ones (the receipts keep
        # the history)
        con.execute(
            "DELETE FROM core.uploads u USING incoming_uploads i "
            "WHERE u.sha256 = i.sha256 AND u.body = i.body AND u.year = i.year AND u.phase = i.phase"
        )
        con.execute("INSERT INTO core.uploads BY NAME SELECT * FROM incoming_uploads")
        if overrides:
            con.register("incoming_overrides", tables.AUTHORITY_OVERRIDES.conform(pl.concat(overrides)).to_arrow())
            con.execute("INSERT INTO core.authority_overrides BY NAME SELECT * FROM incoming_overrides")
            con.unregister("incoming_overrides")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for name in ["incoming_keys", "incoming_uploads", *(f"incoming_{t}" for t in incoming)]:
            con.unregister(name)


def receipt_states(
    con: duckdb.DuckDBPyConnection, seqs: list[int], shas: list[str]
) -> dict[int, tuple[str, str | None]]:
    """How the warehouse holds the receipts ``seqs`` and those the files ``shas`` superseded: seq -> (``current`` when
    any of its partitions is, else ``superseded``; the file that superseded it). The register (``sources.receipts``)
    says the same."""
    if not seqs:
        return {}
    rows = con.execute(
        "SELECT receipt_seq, bool_or(status = 'current'), any_value(superseded_by) FILTER (WHERE status = "
        "'superseded') "
        "FROM core.uploads WHERE receipt_seq IS NOT NULL AND (list_contains(?, receipt_seq) OR list_contains(?, "
        "superseded_by)) "
        "GROUP BY receipt_seq",
        [seqs, shas],
    ).fetchall()
    names = (
        dict(
            con.execute(
                "SELECT sha256, any_value(original_name) FROM core.uploads WHERE list_contains(?, sha256) GROUP BY "
                "sha256",
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
        "SELECT body, year, phase, content, sha256, receipt_seq FROM core.uploads WHERE status = 'current' AND "
        "receipt_seq > ?",
        [min(seqs)],
    ).fetchall()
    return {(body, year, phase, content): (sha, seq) for body, year, phase, content, sha, seq in current}


def _older(upload: Upload, current: tuple[str, int] | None) -> bool:
    """Did the warehouse's current upload for a partition arrive after this one? Then this one never becomes current."""
    return current is not None and upload.receipt_seq is not None and upload.receipt_seq < current[1]
