"""Rebuild the warehouse from the archive: every received file, replayed in order of receipt.

The archive keeps every accepted file as received and the register (``sources.receipts``) says, in
order, what became of each: loaded (in use or replaced since), waiting to be loaded, held, cancelled.
A damaged warehouse is set aside (never deleted); a fresh one is filled by loading again, in order of
receipt, every receipt that was loaded or waits to be (the latest receipt of a partition ends current,
exactly as before); held and cancelled replacements stay out, as they were. The proof: the files in use
are the same as before, and rows per table against the rows the archive recorded for them at receipt.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import warehouse
from pipelines.loading import load_receipts, settle_from_warehouse
from sources import receipts
from sources.model import TABLES
from sources.settings import Settings


@dataclass
class RebuildReport:
    set_aside: Path | None
    receipts: int
    tables: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # table -> (rows, expected rows, cents)
    expected_current: list[int] = field(default_factory=list)  # receipts that must be in use: each partition's latest replayed
    current_after: list[int] = field(default_factory=list)  # the receipts in use in the rebuilt warehouse

    @property
    def ok(self) -> bool:
        return self.expected_current == self.current_after and all(rows == expected for rows, expected, _ in self.tables.values())


def rebuild_warehouse(settings: Settings) -> RebuildReport:
    """Replay the register into a fresh warehouse built beside the old one, then swap them: a rebuild killed midway
    leaves the old warehouse (and the register) as they were, and can simply be run again."""
    path = settings.warehouse_path
    fresh = path.with_name(path.name + ".ricostruzione")
    for leftover in (fresh, fresh.with_name(fresh.name + ".wal")):  # an earlier rebuild that did not finish
        leftover.unlink(missing_ok=True)
    register = receipts.all_receipts(settings)
    replay = [dataclasses.replace(r, status=receipts.RECEIVED, validated=None) for r in register
              if r.status in (*receipts.LOADED, receipts.RECEIVED)]
    latest: dict[tuple, int] = {}  # the files in use afterwards: per partition, the latest receipt replayed (order of receipt)
    for receipt in replay:
        for partition in receipt.partitions:
            latest[(receipt.table, *partition)] = receipt.seq
    with warehouse.connect(fresh) as con:
        load_receipts(settings, replay, con=con, settle=False)  # the register is settled only once the new warehouse is in place
    set_aside = None
    if path.exists():
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        set_aside = path.with_name(f"{path.name}.danneggiato-{stamp}")
        path.rename(set_aside)
        for extra in path.parent.glob(path.name + ".wal"):
            extra.rename(set_aside.with_name(set_aside.name + ".wal"))
    fresh.rename(path)
    with warehouse.connect(path) as con:
        settle_from_warehouse(settings, con, [r for r in register if r.status in (*receipts.LOADED, receipts.RECEIVED)])
        current = con.execute("SELECT content, sha256, body, year, phase, n_rows FROM core.uploads WHERE status = 'current'").fetchall()
        after = sorted({seq for (seq,) in con.execute("SELECT DISTINCT receipt_seq FROM core.uploads WHERE status = 'current'").fetchall()})
        tables = {}
        for content, (table, _, _) in TABLES.items():
            rows, cents = con.execute(f"SELECT count(*), coalesce(sum(amount_cents), 0) FROM core.{table}").fetchone()
            expected = sum(_recorded_rows(settings, sha, (body, year, phase)) for c, sha, body, year, phase, _ in current if c == content)
            tables[table] = (rows, expected, int(cents))
    return RebuildReport(set_aside, len(replay), tables, sorted(set(latest.values())), after)


def _recorded_rows(settings: Settings, sha: str, partition: tuple) -> int:
    """Rows the archive sidecar recorded for this file and partition when it was received (independent of the warehouse)."""
    for sidecar in (settings.archive_dir / sha[:2]).glob(f"{sha}.*.json"):
        for entry in json.loads(sidecar.read_text(encoding="utf-8")):
            counts = entry.get("partition_rows") or {}
            key = "|".join(str(p) for p in partition)
            if key in counts:
                return counts[key]
    return 0
