"""The register of uploads: one receipt per accepted file, who sent it, for which body, in order of receipt, and its
fate.

Whoever receives a file (portal, command line, inbox folder) registers it here through
``sources.intake.receive``, after the dry run and the archive copy. A receipt records body, year,
phase, the uploader and the bodies the uploader may write, the original name and the time; its
sequence number, taken under a file lock, is the order of receipt. It also records the file's summary
and its comparison with the file in use for the same partitions: a replacement that makes the data
worse is ``held`` until the body's officer confirms it (``confirm``) or cancels it (``cancel``).

A receipt's state is the file's fate, in one vocabulary (``data/upload_states.csv``): received, held,
cancelled, current, superseded, unchanged, rejected. Loading (``warehouse.loading.load_receipts``)
takes ``received`` receipts in order and settles them as the warehouse holds them (``settle``) only
after its transaction committed; a crash in between is settled by the next load from the warehouse.
Nothing downstream reads metadata from a file name.

Files, not the warehouse: the portal registers receipts without ever opening DuckDB.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from sources.bilingual import Refused
from sources.reference import DATA_DIR
from sources.replacement import compare
from sources.settings import Settings


@dataclass(frozen=True)
class Uploader:
    """Who sends a file and which bodies they may write (``None``: every body, e.g. an operator)."""

    name: str
    bodies: frozenset[str] | None = None

    def may_write(self, body: str | None) -> bool:
        return self.bodies is None or body in self.bodies

    def to_dict(self) -> dict:
        return {"name": self.name, "bodies": sorted(self.bodies) if self.bodies is not None else None}

    @classmethod
    def from_dict(cls, data: dict) -> Uploader:
        return cls(data["name"], frozenset(data["bodies"]) if data.get("bodies") is not None else None)


# The one vocabulary of a file's fate (words: data/upload_states.csv). Every store says it in these words:
# the receipt (the register), core.uploads (current / superseded) and what the portal and the command line show.
RECEIVED, HELD, CANCELLED, CURRENT, SUPERSEDED = "received", "held", "cancelled", "current", "superseded"
UNCHANGED, REJECTED = "unchanged", "rejected"
EFFECTIVE = (RECEIVED, CURRENT)  # what is, or will be once loaded, in use for its partitions
LOADED = (CURRENT, SUPERSEDED)


@dataclass
class Receipt:
    seq: int
    sha256: str
    archive_path: str
    kind: str
    layout: str
    original_name: str
    body: str | None  # None: a multi-body file, each row's body checked against the uploader's rights
    year: int | None
    phase: str | None
    uploader: Uploader
    received_at: str  # ISO, UTC
    status: str = RECEIVED
    partitions: list = field(default_factory=list)
    detail: str = ""
    loaded_at: str | None = None
    table: str = "budget"  # budget (spending) or revenue: a file replaces only files of the same table
    summary: dict = field(default_factory=dict)  # per "body|year|phase": transforms.replacement.summarise
    comparisons: list = field(default_factory=list)  # against the file it replaces, per partition (compare)
    replaces: dict = field(default_factory=dict)  # "body|year|phase" -> seq of the receipt in use before this one
    confirmed_by: str | None = None  # who confirmed a replacement that makes the data worse
    confirmed_at: str | None = None
    validated: str | None = (
        None  # the lines as validated at intake (a Parquet file), so loading does not read the file again
    )
    rules: str | None = None  # fingerprint of the rules the lines were validated with (sources.rules_version)
    outputs: dict = field(default_factory=dict)  # file name -> what a run wrote with it in use (sources.readiness)
    failure: dict = field(default_factory=dict)  # the last run that failed with it in use, in words (sources.readiness)

    @property
    def worse(self) -> bool:
        return any(c["worse"] for c in self.comparisons)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["uploader"] = self.uploader.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Receipt:
        data = {**data, "uploader": Uploader.from_dict(data["uploader"])}
        if data.get("status") == "loaded":  # a register written before the states had names: the load sets it right
            data["status"] = CURRENT
        return cls(**data)


class RegisterRefusal(Refused):
    """A confirmation or cancellation the register refuses, in Italian and English."""


def folder(settings: Settings) -> Path:
    return settings.home / "receipts"


@contextmanager
def _locked(settings: Settings):
    """One process at a time registers or lists receipts (portal workers, command line, sensor)."""
    path = folder(settings)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield path
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write(path: Path, receipt: Receipt) -> None:
    """Atomically, readable by the owner only (who uploaded what is personal data)."""
    _write_json(path, receipt.to_dict())


def _write_json(path: Path, data) -> None:
    tmp = path.with_suffix(".tmp")
    handle = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(json.dumps(data, ensure_ascii=False, indent=1))
    os.replace(tmp, path)


def _file(base: Path, seq: int) -> Path:
    return base / f"{seq:012d}.json"


def _read(base: Path, seq: int) -> Receipt | None:
    path = _file(base, seq)
    return Receipt.from_dict(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def partition_key(table: str, key: str) -> str:
    """The index key of a partition of a table: ``budget|237|2026|previsione``."""
    return f"{table}|{key}"


# --- the partition index: which receipt is (or will be) in use, and which are held, per partition ---------------------


def _last_seq(base: Path) -> int:
    """The last sequence number given: the counter, but never below a receipt on disk (a damaged counter must not make
    the next file overwrite a receipt)."""
    counter = base / ".sequence"
    try:
        last = int(counter.read_text().strip() or 0) if counter.exists() else 0
    except ValueError:
        last = 0
    newest = max((p for p in base.glob("[0-9]*.json")), default=None)
    return max(last, int(newest.stem) if newest is not None else 0)


def _index(base: Path) -> dict:
    """``{"through": last seq indexed, "partitions": {table|body|year|phase: {"latest": seq, "held": [seq]}}}``; rebuilt
    from the receipts when missing or behind the sequence (a crash between writing a receipt and the index)."""
    path = base / ".partitions.json"
    last = _last_seq(base)
    index = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    if index is None or index.get("through", -1) < last:
        index = {"through": last, "partitions": {}}
        for file in sorted(base.glob("[0-9]*.json")):
            _index_receipt(index, Receipt.from_dict(json.loads(file.read_text(encoding="utf-8"))))
    return index


def _index_receipt(index: dict, receipt: Receipt) -> None:
    """Record what a receipt is for each of its partitions (in order of receipt, the latest effective one wins)."""
    for key in _keys(receipt):
        entry = index["partitions"].setdefault(key, {"latest": None, "held": []})
        if receipt.status in EFFECTIVE and (entry["latest"] is None or receipt.seq > entry["latest"]):
            entry["latest"] = receipt.seq
        if receipt.status == HELD and receipt.seq not in entry["held"]:
            entry["held"].append(receipt.seq)
        elif receipt.status != HELD and receipt.seq in entry["held"]:
            entry["held"].remove(receipt.seq)
    index["through"] = max(index["through"], receipt.seq)


def _keys(receipt: Receipt) -> list[str]:
    return [partition_key(receipt.table, "|".join(str(p) for p in partition)) for partition in receipt.partitions]


def _save_index(base: Path, index: dict) -> None:
    _write_json(base / ".partitions.json", index)


def register(settings: Settings, *, replace: bool = False, summary_of=None, **fields) -> Receipt:
    """Give the file the next sequence number and write its receipt (atomically, under the lock).

    Each partition the file brings is compared with the receipt in use (or about to be) for it, the latest
    effective one: the comparison is kept on the receipt, and a replacement that makes the data worse is
    ``held`` unless ``replace`` (the uploader's explicit confirmation). ``summary_of(receipt)`` gives the
    summary of a receipt registered before receipts carried one. The held receipts it makes obsolete are
    cancelled (``_cancel_obsolete``)."""
    with _locked(settings) as base:
        index = _index(base)
        seq = _last_seq(base) + 1
        receipt = Receipt(seq=seq, received_at=now(), **fields)
        for key, after in receipt.summary.items():
            entry = index["partitions"].get(partition_key(receipt.table, key)) or {}
            previous = _read(base, entry["latest"]) if entry.get("latest") else None
            if previous is None:
                continue
            before = previous.summary.get(key)
            if before is None and summary_of is not None:  # registered before receipts carried a summary
                before = (summary_of(previous) or {}).get(key)
            receipt.replaces[key] = previous.seq
            if before:
                receipt.comparisons.append(
                    {
                        **compare(before, after),
                        "previous_seq": previous.seq,
                        "previous_name": previous.original_name,
                        "previous_received_at": previous.received_at,
                    }
                )
        if receipt.worse:
            if replace:
                receipt.confirmed_by, receipt.confirmed_at = receipt.uploader.name, receipt.received_at
            else:
                receipt.status = HELD
        _write_json(base / ".sequence", seq)  # atomically: a crash never leaves an empty counter
        _write(_file(base, seq), receipt)
        _cancel_obsolete(base, index, receipt)
        _index_receipt(index, receipt)
        _save_index(base, index)
    return receipt


def _cancel_obsolete(base: Path, index: dict, newer: Receipt) -> None:
    """Held receipts made obsolete by ``newer`` are cancelled: the same file sent again, or (when ``newer`` will be
    loaded) every partition of theirs now has a later file: the officer sent the right one instead."""
    candidates = {
        seq for key in _keys(newer) for seq in index["partitions"].get(key, {}).get("held", []) if seq < newer.seq
    }
    for seq in sorted(candidates):
        held = _read(base, seq)
        if held is None or held.status != HELD:
            continue
        covered = all(key in _keys(newer) for key in _keys(held))  # newer's partitions are within its uploader's rights
        if held.sha256 == newer.sha256 and covered:
            held.detail = f"inviato di nuovo (ricevuta {newer.seq})"
        elif newer.status != HELD and all(
            key in _keys(newer) or (index["partitions"].get(key, {}).get("latest") or 0) > seq for key in _keys(held)
        ):
            held.detail = f"superato dal file ricevuto dopo ({newer.original_name}, ricevuta {newer.seq})"
        else:
            continue
        held.status = CANCELLED
        _write(_file(base, seq), held)
        _index_receipt(index, held)


def all_receipts(settings: Settings) -> list[Receipt]:
    if not folder(settings).exists():
        return []
    with _locked(settings) as base:
        return [Receipt.from_dict(json.loads(p.read_text(encoding="utf-8"))) for p in sorted(base.glob("[0-9]*.json"))]


def get(settings: Settings, seq: int) -> Receipt | None:
    return _read(folder(settings), seq)


def pending(settings: Settings) -> list[Receipt]:
    """Receipts to load, in order of receipt: received, never held, cancelled or already settled."""
    return [r for r in all_receipts(settings) if r.status == RECEIVED]


def held(settings: Settings, body: str | None = None) -> list[Receipt]:
    """Replacements waiting for their officer's confirmation (of one body, or all)."""
    return [r for r in all_receipts(settings) if r.status == HELD and (body is None or body in _bodies(r))]


def _bodies(receipt: Receipt) -> set[str]:
    return {str(p[0]) for p in receipt.partitions} or ({receipt.body} if receipt.body else set())


def update(settings: Settings, seq: int, change) -> Receipt | None:
    """Read, change (``change(receipt)``) and write one receipt under the lock: what a run records on it."""
    with _locked(settings) as base:
        receipt = _read(base, seq)
        if receipt is not None:
            change(receipt)
            _write(_file(base, seq), receipt)
        return receipt


def mark(settings: Settings, receipt: Receipt, status: str, detail: str = "") -> None:
    """Set a receipt's state: ``rejected`` or ``unchanged`` at load (``settle`` records what the warehouse holds)."""
    with _locked(settings) as base:
        receipt.status, receipt.detail = status, detail
        receipt.loaded_at = None
        _write(_file(base, receipt.seq), receipt)
        if status not in EFFECTIVE:  # it will never be in use: the index points again at the receipt before it
            path = base / ".partitions.json"
            path.unlink(missing_ok=True)


def settle(settings: Settings, states: dict[int, str], superseded_by: dict[int, str] | None = None) -> list[Receipt]:
    """After the warehouse committed: each receipt as the warehouse holds it (``current`` or ``superseded``)."""
    changed = []
    with _locked(settings) as base:
        for seq, state in sorted(states.items()):
            receipt = _read(base, seq)
            if receipt is None or (receipt.status == state and receipt.loaded_at):
                continue
            receipt.loaded_at = receipt.loaded_at or now()
            receipt.status = state
            receipt.detail = (
                f"sostituito da {superseded_by[seq]}"
                if state == SUPERSEDED and superseded_by and seq in superseded_by
                else ""
            )
            _write(_file(base, seq), receipt)
            changed.append(receipt)
    return changed


def _decide(settings: Settings, seq: int, who: Uploader, state: str) -> Receipt:
    """A held receipt confirmed (``received``: the loader takes it) or cancelled, by someone who may write its
    bodies."""
    with _locked(settings) as base:
        receipt = _read(base, seq)
        if receipt is None:
            raise RegisterRefusal(f"Nessun file ricevuto con il numero {seq}.", f"No received file with number {seq}.")
        if not all(who.may_write(b) for b in _bodies(receipt)) or (who.bodies is not None and not _bodies(receipt)):
            raise RegisterRefusal(
                "Solo l'ufficio dell'ente può confermare o annullare la sostituzione dei suoi dati.",
                "Only the body's own office may confirm or cancel the replacement of its data.",
            )
        if receipt.status != HELD:
            raise RegisterRefusal(
                f"Il file {receipt.original_name} non è in attesa di conferma.",
                f"The file {receipt.original_name} is not waiting for confirmation.",
            )
        receipt.status = state
        if state == RECEIVED:
            receipt.confirmed_by, receipt.confirmed_at = who.name, now()
        else:
            receipt.detail = f"annullato da {who.name}"
        _write(_file(base, seq), receipt)
        index = _index(base)
        _index_receipt(index, receipt)
        if state == RECEIVED:
            _cancel_obsolete(base, index, receipt)
        _save_index(base, index)
        return receipt


def confirm(settings: Settings, seq: int, who: Uploader) -> Receipt:
    """The officer confirms a held replacement: the loader takes it, in its order of receipt."""
    return _decide(settings, seq, who, RECEIVED)


def cancel(settings: Settings, seq: int, who: Uploader) -> Receipt:
    """The officer cancels a held replacement: it stays archived, and is never loaded."""
    return _decide(settings, seq, who, CANCELLED)


@cache
def _state_table() -> dict[str, dict[str, str]]:
    with open(DATA_DIR / "upload_states.csv", encoding="utf-8") as handle:
        return {row["state"]: row for row in csv.DictReader(handle)}


def state_label(state: str, lang: str = "it") -> str:
    """A state in the user's words (``in attesa di conferma``); never the key itself."""
    return _state_table()[state][f"label_{lang}"]


def state_meaning(state: str, lang: str = "it") -> str:
    return _state_table()[state][f"meaning_{lang}"]
