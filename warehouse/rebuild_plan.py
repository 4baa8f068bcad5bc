"""What a rebuild loads again from the archive, decided before anything is touched (``areavasta rebuild``).

Budgets and revenue come back through their receipts (``sources.receipts``): every receipt loaded or waiting to be,
in order of receipt; held and cancelled replacements stay out. National extracts and co-assessment questionnaires
have no receipts: every load their sidecar records comes back, in the order the warehouse took them (``order``, the
time taken while the load held the warehouse, the only writer). A file received without a receipt (the reception
died before registering it) was never loaded: it stays out, as before, and is named.

What the rebuild could not give back refuses it, with the file and the reason: an archived file with no record of
what it is, a receipt or a recorded load whose file is gone, something the warehouse holds that the archive does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sources import archive, receipts
from sources.model import TABLES
from sources.receipts import Receipt
from sources.settings import Settings

CONTENTS = ("national", "ratings")  # archived loads without receipts: the sidecar says which they are


@dataclass(frozen=True)
class Load:
    """One recorded load of a file without a receipt: a national extract or a co-assessment questionnaire."""

    content: str  # national | ratings
    stored: Path
    entry: dict  # its sidecar entry: original name, user, times, rows per partition

    @property
    def sha256(self) -> str:
        return self.stored.name.split(".")[0]

    @property
    def name(self) -> str:
        return self.entry.get("original_name") or self.stored.name

    @property
    def order(self) -> str:
        """When the warehouse took it; a load recorded before the order was (seconds only), or never committed: its
        times."""
        return self.entry.get("order") or self.entry.get("loaded_at") or self.entry.get("received_at") or ""

    @property
    def pending(self) -> bool:
        return self.entry.get("status") != "loaded"


@dataclass(frozen=True)
class Refusal:
    file: str
    it: str
    en: str

    def reason(self, lang: str = "it") -> str:
        return self.en if lang == "en" else self.it


@dataclass
class Held:
    """What the warehouse before the rebuild holds, by where it came from (only when it can be read)."""

    uploads: list[tuple[int | None, str]] = field(default_factory=list)  # receipt and name of every file in use
    receipts: set[int] = field(default_factory=set)  # every receipt it loaded (in use or replaced since)
    national: dict[str, tuple[str, str]] = field(default_factory=dict)  # SHA-256 -> (name, when it was last loaded)
    ratings: dict[str, tuple[str, str]] = field(default_factory=dict)

    def has(self, load: Load) -> bool:
        """Did this very load reach the warehouse? Its file is recorded with the time the load took it (``order``; loads
        recorded before 2026-12-03 kept it to the second only)."""
        found = getattr(self, load.content).get(load.sha256)
        return found is not None and (
            not load.pending or found[1] == (load.order[:19] if len(found[1]) == 19 else load.order)
        )


@dataclass
class Plan:
    receipts: list[Receipt]  # loaded again, in order of receipt
    loads: list[Load]  # national extracts and questionnaires, in the order they were loaded
    register: list[Receipt] = field(default_factory=list)
    unregistered: list[str] = field(default_factory=list)  # archived without a receipt: never loaded, left out
    refusals: list[Refusal] = field(default_factory=list)


def plan(settings: Settings, held: Held | None) -> Plan:
    register = receipts.all_receipts(settings)
    replay = [r for r in register if r.status in (*receipts.LOADED, receipts.RECEIVED)]
    with_receipt = {r.sha256 for r in register}
    out = Plan(replay, [], register)
    for receipt in replay:
        if not Path(receipt.archive_path).exists():
            out.refusals.append(
                Refusal(
                    receipt.original_name,
                    f"ricevuta {receipt.seq}: il file archiviato {receipt.archive_path} non c'è più",
                    f"receipt {receipt.seq}: the archived file {receipt.archive_path} is gone",
                )
            )
    for stored in archive.stored_files(settings.archive_dir):
        entries = archive.history(stored)
        loads = [Load(e["content"], stored, e) for e in entries or [] if e.get("content") in CONTENTS]
        out.loads += loads
        if loads or stored.name.split(".")[0] in with_receipt:
            continue
        if entries and any(e.get("table") in TABLES for e in entries):
            out.unregistered.append(entries[-1].get("original_name") or stored.name)
        else:
            out.refusals.append(
                Refusal(
                    stored.name,
                    "nell'archivio senza ricevuta e senza annotazione di che file sia (bilancio, estratto "
                    "nazionale o questionario): non si sa come ricaricarlo",
                    "in the archive with no receipt and no record of what it is (budget, national extract or "
                    "questionnaire): there is no telling how to load it",
                )
            )
    gone = set()
    for sidecar in archive.orphan_sidecars(settings.archive_dir):
        entries = [e for e in archive.history(sidecar.with_suffix("")) or [] if e.get("content") in CONTENTS]
        if entries:
            gone.add(sidecar.name.split(".")[0])
            out.refusals.append(
                Refusal(
                    entries[-1].get("original_name") or sidecar.name,
                    f"caricato, ma il file archiviato {sidecar.with_suffix('')} non c'è più",
                    f"loaded, but the archived file {sidecar.with_suffix('')} is gone",
                )
            )
    out.loads.sort(key=lambda load: load.order)  # stable: one file's loads stay in the order its sidecar lists them
    if held is not None:
        out.refusals += _not_archived(held, out, gone)
    return out


def _not_archived(held: Held, out: Plan, gone: set[str]) -> list[Refusal]:
    """What the warehouse holds that the archive cannot give back (besides the files already named as gone): it would
    be lost."""
    replayed = {r.seq for r in out.receipts}
    refusals = [
        Refusal(
            name,
            "in uso nel magazzino senza ricevuta (caricato prima del registro delle ricevute)"
            if seq is None
            else f"in uso nel magazzino con la ricevuta {seq}, che il registro non ha più tra quelle caricate",
            "in use in the warehouse without a receipt (loaded before the register of receipts)"
            if seq is None
            else f"in use in the warehouse with receipt {seq}, which the register no longer lists as loaded",
        )
        for seq, name in sorted(set(held.uploads), key=lambda u: (u[0] or 0, u[1]))
        if seq not in replayed
    ]
    for content, names in (("national", held.national), ("ratings", held.ratings)):
        archived = {load.sha256 for load in out.loads if load.content == content} | gone
        refusals += [
            Refusal(name, "nel magazzino ma non nell'archivio", "in the warehouse but not in the archive")
            for sha, (name, _) in sorted(names.items())
            if sha not in archived
        ]
    return refusals
