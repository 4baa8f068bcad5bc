"""Small CSV files a body or a planner keeps beside the warehouse (``<home>/…``), written by a command and editable by
hand: the DUP's responsible units, the confirmed outliers. Read whole or refused whole, with a message naming the row
and the column; a ``;``-separated file saved by an Italian Excel is read too."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sources.bilingual import Refused


class FileRefused(Refused, ValueError):
    """A kept file that cannot be used, naming the row and the column."""


def csv_rows(path: Path, required: tuple[str, ...]) -> list[dict]:
    """The file's rows as dicts (``,`` or ``;``), refused when a ``required`` column is missing."""
    text = path.read_text(encoding="utf-8-sig")
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise FileRefused(
            f"{path.name}: mancano le colonne {', '.join(missing)}",
            f"{path.name}: columns missing: {', '.join(missing)}",
        )
    return list(reader)


def write_rows(path: Path, columns: tuple[str, ...], rows: list[dict]) -> Path:
    """Write ``rows`` (in their order) with ``columns``, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c) or "" for c in columns})
    path.write_text(out.getvalue(), encoding="utf-8")
    return path
