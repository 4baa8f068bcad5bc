"""Every accepted upload kept exactly as received, named by its SHA-256, with a metadata sidecar."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path


def sha256_of(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def archived_path(archive_dir: Path, sha256: str, kind: str) -> Path:
    """Stored names never come from user input: ``ab/abcdef….xlsx`` by content hash and detected kind."""
    suffix = ".csv" if kind == "csv" else ".xlsx"
    return archive_dir / sha256[:2] / f"{sha256}{suffix}"


def store(source: Path, archive_dir: Path, sha256: str, kind: str, metadata: dict) -> Path:
    """Copy the file into the archive atomically (temp file + rename) and write its metadata sidecar."""
    target = archived_path(archive_dir, sha256, kind)
    if target.exists():  # content-addressed: the same bytes are stored once
        _append_sidecar(target, metadata)
        return target
    return file_spooled(spool(source, archive_dir), archive_dir, sha256, kind, metadata)


def spool(source: Path, archive_dir: Path) -> Path:
    """Copy ``source`` into the archive folder under a temporary name (in the kernel: no Python loop over 5 GB)."""
    archive_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, name = tempfile.mkstemp(dir=archive_dir, suffix=".spool")
    os.close(handle)
    shutil.copyfile(source, name)
    return Path(name)


def file_spooled(spooled: Path, archive_dir: Path, sha256: str, kind: str, metadata: dict) -> Path:
    """File a spooled copy under its hash (the same bytes are stored once) with its metadata sidecar."""
    target = archived_path(archive_dir, sha256, kind)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if target.exists():
        spooled.unlink()
    else:
        os.chmod(spooled, 0o600)  # personal data: the owner only
        os.replace(spooled, target)
    _append_sidecar(target, metadata)
    return target


def _append_sidecar(target: Path, metadata: dict) -> None:
    sidecar = target.with_suffix(target.suffix + ".json")
    history = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else []
    _write_private(sidecar, json.dumps([*history, metadata], ensure_ascii=False, indent=2, default=str))


def _write_private(path: Path, text: str) -> None:
    """Atomic write of a file readable by the owner only."""
    tmp = path.with_suffix(".tmp")
    handle = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


def mark(stored: Path, seq: int, status: str) -> None:
    """Record on the sidecar what became of a receipt (``loaded`` only after the warehouse committed)."""
    sidecar = stored.with_suffix(stored.suffix + ".json")
    history = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else []
    for entry in history:
        if entry.get("receipt") == seq or (entry.get("receipt") is None and entry.get("status") == "received"):
            entry["receipt"], entry["status"] = seq, status
            break
    _write_private(sidecar, json.dumps(history, ensure_ascii=False, indent=2, default=str))
