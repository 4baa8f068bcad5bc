"""Rebuild the warehouse from the archive: every file it holds, loaded again in the order it was loaded.

The archive keeps every accepted file as received. Budgets and revenue come back through their receipts
(``sources.receipts``), in order of receipt, with the latest receipt of a partition current as before; national
extracts and co-assessment questionnaires, which have no receipts, through the loads their sidecars record, in the
order the warehouse took them; the register of runs from the manifest files. Each through the loader that loaded
it (``warehouse.loading``, ``warehouse.national_extracts``, ``warehouse.rating_files``): the same checks, the same
writes. What is planned and refused is in ``warehouse.rebuild_plan``; the proof, table by table, in
``warehouse.rebuild_check``.

The new warehouse is built beside the old one and swapped in only when every file loaded again: a rebuild that is
refused, or killed midway, leaves the old warehouse (and the register) as they were. The old one is set aside,
never deleted. The analyses are recomputed by ``areavasta run``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from sources import archive, receipts
from sources.settings import Settings
from warehouse import manifest, rebuild_check, store, tables
from warehouse.errors import WarehouseBusy, WarehouseError
from warehouse.loading import load_receipts, settle_from_warehouse
from warehouse.national_extracts import replay_national
from warehouse.rating_files import replay_ratings
from warehouse.rebuild_plan import Held, Plan, Refusal, plan

REPLAY = {"national": replay_national, "ratings": replay_ratings}


class RebuildRefused(Exception):
    """Something archived (or held) cannot be rebuilt: nothing was touched."""

    def __init__(self, refusals: list[Refusal]):
        super().__init__("; ".join(f"{r.file}: {r.it}" for r in refusals))
        self.refusals = refusals


@dataclass
class Before:
    """The warehouse before, when it can be read: its figures per rebuilt table, what it holds, its other tables."""

    figures: dict[str, rebuild_check.Figures]
    held: Held
    analyses: int  # tables the analyses wrote: recomputed by areavasta run


@dataclass
class RebuildReport:
    set_aside: Path | None
    receipts: int
    loads: dict[str, int] = field(default_factory=dict)  # national | ratings -> loads replayed
    checks: list[rebuild_check.Check] = field(default_factory=list)
    compared_with: str = "warehouse"  # warehouse: the warehouse before; archive: it could not be read
    expected_current: list[int] = field(
        default_factory=list
    )  # receipts that must be in use: each partition's latest replayed
    current_after: list[int] = field(default_factory=list)  # the receipts in use in the rebuilt warehouse
    waiting: list[str] = field(default_factory=list)  # files that were waiting to be loaded, loaded now
    unregistered: list[str] = field(default_factory=list)  # archived without a receipt: never loaded, left out
    analyses: int | None = None

    @property
    def differing(self) -> list[rebuild_check.Check]:
        return [c for c in self.checks if not c.ok]

    @property
    def ok(self) -> bool:
        return self.expected_current == self.current_after and not self.differing


def rebuild_warehouse(settings: Settings) -> RebuildReport:
    """Plan, refuse before touching anything, build beside, swap, settle, compare. The warehouse before, when it can be
    read, stays open (read only) until the swap: no other process writes into it meanwhile (they wait, the sensor
    skips)."""
    path = settings.warehouse_path
    fresh = path.with_name(path.name + ".ricostruzione")
    for leftover in (fresh, fresh.with_name(fresh.name + ".wal")):  # an earlier rebuild that did not finish
        leftover.unlink(missing_ok=True)
    with ExitStack() as stack:
        before = read_before(_open_before(path, stack))
        planned = plan(settings, before.held if before else None)
        if planned.refusals:
            raise RebuildRefused(planned.refusals)
        replay = [dataclasses.replace(r, status=receipts.RECEIVED, validated=None) for r in planned.receipts]
        try:
            with store.connect(fresh) as con:
                _fill(settings, con, planned, replay)
        except RebuildRefused:
            for leftover in (fresh, fresh.with_name(fresh.name + ".wal")):
                leftover.unlink(missing_ok=True)
            raise
        set_aside = _swap(path, fresh)
    with store.connect(path) as con:
        settle_from_warehouse(
            settings, con, planned.receipts
        )  # the register settled only once the new warehouse is in place
        for load in planned.loads:
            if load.pending and load.entry.get(
                "load"
            ):  # its load died before the archive heard of the commit: loaded now
                archive.settle_entry(
                    load.stored,
                    load.entry["load"],
                    status="loaded",
                    order=load.order,
                    loaded_at=load.entry.get("loaded_at") or load.entry.get("received_at", ""),
                )
        return _report(settings, con, planned, before, set_aside)


def _open_before(path: Path, stack: ExitStack) -> duckdb.DuckDBPyConnection | None:
    """The warehouse before, open read only for the rebuild's duration; None when there is none or it cannot be
    opened."""
    if not path.exists():
        return None
    try:
        return stack.enter_context(store.connect(path, read_only=True))
    except WarehouseBusy:
        raise
    except (WarehouseError, duckdb.Error):
        return None


def read_before(con: duckdb.DuckDBPyConnection | None) -> Before | None:
    """What the warehouse before holds; None when it cannot be read (then the archive's records are the check)."""
    if con is None:
        return None
    try:
        figures = {spec.table: rebuild_check.figures(con, spec) for spec in rebuild_check.REBUILT}
        present = rebuild_check.tables_in(con)
        held = Held()
        if "uploads" in present:
            held.uploads = con.execute(
                "SELECT DISTINCT receipt_seq, original_name FROM core.uploads WHERE status = 'current'"
            ).fetchall()
            held.receipts = {
                seq
                for (seq,) in con.execute(
                    "SELECT DISTINCT receipt_seq FROM core.uploads WHERE receipt_seq IS NOT NULL"
                ).fetchall()
            }
        for content, table in (("national", "national_extracts"), ("ratings", "rating_files")):
            if table in present:
                setattr(
                    held,
                    content,
                    {
                        sha: (name, at)
                        for sha, name, at in con.execute(f"SELECT sha256, file, loaded_at FROM core.{table}").fetchall()
                    },
                )
        return Before(figures, held, rebuild_check.analyses(con))
    except duckdb.Error:
        return None


def _fill(settings: Settings, con, planned: Plan, replay: list) -> None:
    """Every planned file loaded into the new warehouse by its own loader; one that no longer loads refuses the
    rebuild."""
    refused = [
        Refusal(o.receipt.original_name, _why(o.validation.findings, "it"), _why(o.validation.findings, "en"))
        for o in load_receipts(settings, replay, con=con, settle=False)
        if o.status == "rejected"
    ]
    for load in planned.loads:
        outcome = REPLAY[load.content](load.stored, load.entry, settings, con)
        if not outcome.ok:
            refused.append(Refusal(load.name, _why(outcome.findings, "it"), _why(outcome.findings, "en")))
    runs = manifest.recorded_runs(settings)
    if runs.height:
        store.replace_partitions(con, tables.RUN_MANIFESTS, runs, runs.select("run_id", "asset"))
    if refused:
        raise RebuildRefused(refused)


def _why(findings, lang: str) -> str:
    errors = "; ".join(f.message(lang) for f in findings if f.is_error)[:500]
    return (
        f"does not load again under today's rules: {errors}"
        if lang == "en"
        else f"non si carica più con le regole di oggi: {errors}"
    )


def _swap(path: Path, fresh: Path) -> Path | None:
    set_aside = None
    if path.exists():
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        set_aside = path.with_name(f"{path.name}.danneggiato-{stamp}")
        path.rename(set_aside)
        for extra in path.parent.glob(path.name + ".wal"):
            extra.rename(set_aside.with_name(set_aside.name + ".wal"))
    fresh.rename(path)
    return set_aside


def _report(settings: Settings, con, planned: Plan, before: Before | None, set_aside: Path | None) -> RebuildReport:
    latest: dict[
        tuple, int
    ] = {}  # the files in use afterwards: per partition, the latest receipt replayed (order of receipt)
    for receipt in planned.receipts:
        for partition in receipt.partitions:
            latest[(receipt.table, *partition)] = receipt.seq
    after = sorted(
        {
            seq
            for (seq,) in con.execute(
                "SELECT DISTINCT receipt_seq FROM core.uploads WHERE status = 'current'"
            ).fetchall()
        }
    )
    held = before.held if before else None
    # waiting to be loaded and not in the warehouse before (a receipt loaded, then replaced and its file sent again,
    # has no row of its own there any more: not new)
    new_receipts = {r.seq for r in planned.receipts if r.status == receipts.RECEIVED} - held.receipts if held else set()
    waiting = [r for r in planned.receipts if r.seq in new_receipts]
    new_loads = [load for load in planned.loads if held and not held.has(load)]
    new_shas = {r.sha256 for r in waiting} | {load.sha256 for load in new_loads}
    checks = []
    for spec in rebuild_check.REBUILT:
        now = rebuild_check.figures(con, spec)
        new = rebuild_check.touched(con, spec, new_receipts, new_shas)
        checks.append(
            rebuild_check.compare(
                spec,
                before.figures.get(spec.table) if before else None,
                now,
                new,
                rebuild_check.recorded(con, spec, settings.archive_dir),
            )
        )
    loads = {content: sum(load.content == content for load in planned.loads) for content in REPLAY}
    return RebuildReport(
        set_aside,
        len(planned.receipts),
        loads,
        [c for c in checks if c.rows_after or c.rows_before],
        "warehouse" if before else "archive",
        sorted(set(latest.values())),
        after,
        [r.original_name for r in waiting] + sorted({load.name for load in new_loads}),
        planned.unregistered,
        before.analyses if before else None,
    )
