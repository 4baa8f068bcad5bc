"""Outliers a person has checked and confirmed: ``<home>/confirmed_outliers.csv``.

A function whose spending is far from its peers' or jumps from one year to the next is flagged and left out of the peer
medians and of its own peer-gap and trend components (``transforms.portfolio.outliers``), because the value may be a
booking error. When the officer has checked it and the value is real, ``areavasta outliers confirm`` writes it here
(``body, function, reason, confirmed_by, confirmed_at``), and the next run of the peer comparison counts it again. The
file may be edited by hand; a row that cannot be used refuses the file whole, naming the row and the column.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from sources.dup_units import known_function
from sources.kept_files import FileRefused, csv_rows, write_rows
from sources.reference import resolve_body

COLUMNS = ("body", "function", "reason", "confirmed_by", "confirmed_at")
SCHEMA = dict.fromkeys(COLUMNS, pl.String)


def confirmations_file(home: Path) -> Path:
    return Path(home) / "confirmed_outliers.csv"


def read_confirmations(home: Path | None) -> pl.DataFrame:
    """Every confirmation (the body as its ISTAT code); empty without a file. Raises ``FileRefused`` for a bad row."""
    path = confirmations_file(home) if home else None
    if path is None or not path.exists():
        return pl.DataFrame(schema=SCHEMA)
    rows = []
    for i, row in enumerate(csv_rows(path, COLUMNS[:3]), start=2):
        body, function, reason = (row.get(c) or "" for c in COLUMNS[:3])
        code = resolve_body(body.strip())
        if code is None:
            raise FileRefused(
                f"{path.name}, riga {i}, colonna body: ente '{body}' sconosciuto",
                f"{path.name}, row {i}, column body: unknown body '{body}'",
            )
        if not known_function(function.strip()):
            raise FileRefused(
                f"{path.name}, riga {i}, colonna function: '{function}' non è un programma né una missione del"
                " bilancio",
                f"{path.name}, row {i}, column function: '{function}' is neither a programme nor a mission of the"
                " budget",
            )
        if not reason.strip():
            raise FileRefused(
                f"{path.name}, riga {i}, colonna reason: manca il motivo della conferma (chi ha verificato il dato e"
                " come)",
                f"{path.name}, row {i}, column reason: the reason is missing (who checked the value, and how)",
            )
        rows.append({**row, "body": code, "function": function.strip(), "reason": reason.strip()})
    return pl.DataFrame([{c: r.get(c) for c in COLUMNS} for r in rows], schema=SCHEMA)


def confirm(home: Path, body: str, function: str, reason: str, who: str, when: dt.datetime | None = None) -> Path:
    """Add (or replace) the confirmation of one body's function, keeping the others; rows sorted by body and
    function."""
    existing = read_confirmations(home)
    kept = existing.filter((pl.col("body") != body) | (pl.col("function") != function)).to_dicts()
    moment = (when or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    kept.append(
        {"body": body, "function": function, "reason": reason.strip(), "confirmed_by": who, "confirmed_at": moment}
    )
    return write_rows(confirmations_file(home), COLUMNS, sorted(kept, key=lambda r: (r["body"], r["function"])))
