"""Which rules a file was validated with: a fingerprint of the code and data that read and check files.

The intake validates a file once and keeps its lines beside the receipt; the loader uses them as they are
only when the fingerprint is still the same (nothing in the readers, checks, layouts, code lists or limits
changed since), and reads the archived file again otherwise.
"""

from __future__ import annotations

import hashlib
from dataclasses import astuple
from functools import cache
from pathlib import Path

from sources.reference import DATA_DIR
from sources.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RULE_FOLDERS = (ROOT / "sources", ROOT / "transforms", DATA_DIR)


@cache
def _files_digest() -> str:
    digest = hashlib.sha256()
    for folder in RULE_FOLDERS:
        for path in sorted(
            p for p in folder.rglob("*") if p.is_file() and p.suffix in {".py", ".csv", ".yaml", ".txt"}
        ):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(settings: Settings) -> str:
    """The code and data of validation, and the limits in force (``AREAVASTA_MAX_ROWS`` changes what is accepted)."""
    limits = repr(astuple(settings.with_(home=Path("."))))
    return hashlib.sha256((_files_digest() + limits).encode()).hexdigest()[:16]
