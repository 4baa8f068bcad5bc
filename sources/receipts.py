"""The register of receipts: every accepted file, who sent it, for which body, in order of receipt.

Whoever receives a file (portal, command line, inbox folder) registers it here through
``sources.intake.receive``, after the dry run and the archive copy. A receipt records body, year,
phase, the uploader and the bodies the uploader may write, the original name and the time; its
sequence number, taken under a file lock, is the order of receipt. Loading (``intake.load_receipts``)
takes pending receipts in that order and marks each ``loaded`` only after the warehouse
transaction committed. Nothing downstream reads metadata from a file name.

Files, not the warehouse: the portal registers receipts without ever opening DuckDB.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

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
    status: str = "received"  # received | loaded | unchanged | rejected
    partitions: list = field(default_factory=list)
    detail: str = ""
    loaded_at: str | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["uploader"] = self.uploader.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Receipt:
        return cls(**{**data, "uploader": Uploader.from_dict(data["uploader"])})


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
    tmp = path.with_suffix(".tmp")
    handle = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(json.dumps(receipt.to_dict(), ensure_ascii=False, indent=1))
    os.replace(tmp, path)


def _file(base: Path, seq: int) -> Path:
    return base / f"{seq:012d}.json"


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def register(settings: Settings, **fields) -> Receipt:
    """Give the file the next sequence number and write its receipt (atomically, under the lock)."""
    with _locked(settings) as base:
        counter = base / ".sequence"
        seq = int(counter.read_text() or 0) + 1 if counter.exists() else 1
        counter.write_text(str(seq))
        receipt = Receipt(seq=seq, received_at=now(), **fields)
        _write(_file(base, seq), receipt)
    return receipt


def all_receipts(settings: Settings) -> list[Receipt]:
    if not folder(settings).exists():
        return []
    with _locked(settings) as base:
        return [Receipt.from_dict(json.loads(p.read_text(encoding="utf-8"))) for p in sorted(base.glob("*.json"))]


def get(settings: Settings, seq: int) -> Receipt | None:
    path = _file(folder(settings), seq)
    return Receipt.from_dict(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None


def pending(settings: Settings) -> list[Receipt]:
    """Receipts not yet loaded, in order of receipt."""
    return [r for r in all_receipts(settings) if r.status == "received"]


def mark(settings: Settings, receipt: Receipt, status: str, detail: str = "") -> None:
    with _locked(settings) as base:
        receipt.status, receipt.detail = status, detail
        receipt.loaded_at = now() if status == "loaded" else None
        _write(_file(base, receipt.seq), receipt)
