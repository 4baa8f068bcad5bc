"""The tables a rebuild fills again from the archive, and the proof that it gave them back (``areavasta rebuild``).

Each table is compared group by group (a body, year and phase; a file): rows, the sum shown (cents, rating points)
and a hash of the content (load times and archive paths aside). Against the warehouse before, when it can be read;
where files that were waiting to be loaded are now loaded, and when the warehouse before cannot be read, against the
rows the archive recorded for each file at receipt. The analyses (every other table) are recomputed by
``areavasta run``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from sources import archive
from warehouse import tables
from warehouse.table import Table

Figures = dict[tuple, tuple[int, int, int]]  # group -> (rows, sum, content hash)
# bookkeeping, not content: a load's time (a rebuild keeps the one recorded, but a load recorded before it was
# kept cannot)
# and where the archive lies (the same file under another spelling of AREAVASTA_HOME)
BOOKKEEPING = ("loaded_at", "stored_as")


@dataclass(frozen=True)
class Rebuilt:
    """A table the rebuild fills again: what its figures are compared by, and its name in words."""

    declared: Table
    group: tuple[str, ...]
    origin: str  # the column naming the file (SHA-256) or receipt (number) each row came from
    total: str | None  # SQL summed per group and shown (cents, points); None: rows only
    it: str
    en: str
    recorded: bool = (
        False  # the archive records its rows per file and partition (a check when the warehouse cannot tell)
    )
    money: bool = False

    @property
    def table(self) -> str:
        return self.declared.name

    def words(self, lang: str = "it") -> str:
        return self.en if lang == "en" else self.it


REBUILT = (
    Rebuilt(
        tables.BUDGET_LINES,
        ("body", "year", "phase"),
        "source_sha256",
        "amount_cents",
        "righe di spesa",
        "spending lines",
        True,
        True,
    ),
    Rebuilt(
        tables.REVENUE_LINES,
        ("body", "year", "phase"),
        "source_sha256",
        "amount_cents",
        "righe di entrata",
        "revenue lines",
        True,
        True,
    ),
    Rebuilt(
        tables.UPLOADS,
        ("body", "year", "phase", "content"),
        "receipt_seq",
        None,
        "file caricati (in uso e sostituiti)",
        "files loaded (in use and replaced)",
    ),
    Rebuilt(
        tables.AUTHORITY_OVERRIDES,
        ("source_sha256",),
        "source_sha256",
        None,
        "modifiche al catalogo delle competenze",
        "authority catalogue changes",
    ),
    Rebuilt(
        tables.NATIONAL_LINES,
        ("body", "year", "phase"),
        "extract_sha256",
        "amount_cents",
        "righe nazionali (BDAP)",
        "national lines (BDAP)",
        True,
        True,
    ),
    Rebuilt(tables.NATIONAL_EXTRACTS, ("sha256",), "sha256", None, "estratti nazionali", "national extracts"),
    Rebuilt(
        tables.RATINGS,
        ("body", "year"),
        "source_sha256",
        "coalesce(quality, 0) + coalesce(accessibility, 0) + coalesce(willingness, 0)",
        "valutazioni (co-valutazione)",
        "ratings (co-assessment)",
        True,
    ),
    Rebuilt(
        tables.RATING_FILES,
        ("sha256",),
        "sha256",
        None,
        "questionari di co-valutazione",
        "co-assessment questionnaires",
    ),
    Rebuilt(tables.RUN_MANIFESTS, ("run_id", "asset"), "run_id", None, "registro delle esecuzioni", "register of runs"),
)


@dataclass
class Check:
    """One table: before (the warehouse before, or the archive's records), after, and where they differ."""

    spec: Rebuilt
    rows_before: int | None
    rows_after: int
    sum_before: int | None
    sum_after: int | None
    differing: list[tuple] = field(default_factory=list)
    unverified: int = 0  # groups nothing records (the warehouse before could not be read, the archive keeps no count)
    new: int = 0  # groups with files that were waiting to be loaded (compared with the archive's records)

    @property
    def ok(self) -> bool:
        return not self.differing


def tables_in(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        t
        for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'core'"
        ).fetchall()
    }


def analyses(con: duckdb.DuckDBPyConnection) -> int:
    """How many tables the analyses wrote (holding rows; every other table is one a rebuild fills again)."""
    rebuilt = {spec.table for spec in REBUILT}
    present = tables_in(con) - rebuilt
    return sum(bool(con.execute(f"SELECT count(*) FROM core.{t}").fetchone()[0]) for t in sorted(present))


def figures(con: duckdb.DuckDBPyConnection, spec: Rebuilt) -> Figures:
    """Per group: rows, the sum shown, and an order-free hash of every declared column but the bookkeeping (in the order
    declared; one a warehouse does not have yet counts as empty)."""
    present = {
        c
        for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'core' AND table_name = ?",
            [spec.table],
        ).fetchall()
    }
    if not present:
        return {}
    columns = [
        c if c in present else f"NULL::{column.sql_type}"
        for column in spec.declared.columns
        if (c := column.name) not in BOOKKEEPING
    ]
    group = ", ".join(spec.group)
    total = f"coalesce(sum({spec.total}), 0)" if spec.total else "0"
    rows = con.execute(
        f"SELECT {group}, count(*), {total}, sum(hash(row({', '.join(columns)}))::HUGEINT) "
        f"FROM core.{spec.table} GROUP BY ALL"
    ).fetchall()
    width = len(spec.group)
    return {tuple(r[:width]): (r[width], int(r[width + 1]), int(r[width + 2])) for r in rows}


def touched(con: duckdb.DuckDBPyConnection, spec: Rebuilt, receipts: set[int], shas: set[str]) -> set[tuple]:
    """Groups holding rows of files the warehouse before did not hold (they were waiting to be loaded)."""
    ids = sorted(receipts) if spec.origin == "receipt_seq" else sorted(shas)
    if not ids or spec.table not in tables_in(con):
        return set()
    found = con.execute(
        f"SELECT DISTINCT {', '.join(spec.group)} FROM core.{spec.table} WHERE list_contains(?, {spec.origin})", [ids]
    )
    return {tuple(r) for r in found.fetchall()}


def recorded(con: duckdb.DuckDBPyConnection, spec: Rebuilt, archive_dir) -> dict[tuple, int | None]:
    """Per group: the rows the archive recorded, at receipt, for the file each group now comes from (None: not
    recorded)."""
    if not spec.recorded or spec.table not in tables_in(con):
        return {}
    group = ", ".join(spec.group)
    origins = con.execute(f"SELECT DISTINCT {group}, {spec.origin} FROM core.{spec.table}").fetchall()
    out: dict[tuple, int | None] = {}
    histories: dict[str, list[dict]] = {}  # one sidecar read per file, however many partitions it holds
    for row in origins:
        key, sha = tuple(row[:-1]), row[-1]
        if sha not in histories:
            stored = archive.find_archived(archive_dir, sha)
            histories[sha] = (archive.history(stored) or []) if stored else []
        wanted = "|".join(str(v) for v in key)  # as the sidecar writes it: 237|2025|rendiconto
        rows = next(
            (
                e["partition_rows"][wanted]
                for e in reversed(histories[sha])
                if wanted in (e.get("partition_rows") or {})
            ),
            None,
        )
        out[key] = None if rows is None or key in out else rows  # two files in one group: nothing to check by
    return out


def compare(
    spec: Rebuilt, before: Figures | None, after: Figures, new: set[tuple], records: dict[tuple, int | None]
) -> Check:
    """``before``: the warehouse before (None: unreadable, every group checked against the archive's records); ``new``:
    groups with files that were waiting to be loaded, checked against the archive's records too."""
    check = Check(
        spec, None, sum(f[0] for f in after.values()), None, sum(f[1] for f in after.values()) if spec.total else None
    )
    by_archive = set(after) | set(records) if before is None else new
    expected: dict[tuple, tuple | None] = {g: f for g, f in (before or {}).items() if g not in by_archive}
    for group in by_archive:
        rows = records.get(group)
        expected[group] = None if rows is None else (rows,)  # the archive records rows only
    check.unverified = sum(f is None for f in expected.values())
    check.new = len(new) if before is not None else 0
    for group in sorted(set(expected) | set(after), key=lambda g: tuple(str(x) for x in g)):
        wanted, got = expected.get(group, ()), after.get(group)
        if wanted is None:  # nothing recorded: nothing to check by
            continue
        if not wanted:  # not expected at all
            same = got is None
        else:
            same = got is not None and tuple(got[: len(wanted)]) == wanted
        if not same:
            check.differing.append(group)
    if before is not None:
        check.rows_before, check.sum_before = (
            sum(f[0] for f in before.values()),
            sum(f[1] for f in before.values()) if spec.total else None,
        )
    elif any(f is not None for f in expected.values()):
        check.rows_before = sum(f[0] for f in expected.values() if f is not None)
    return check
