"""Who answers for each programme in the DUP: a file the body keeps, ``<home>/dup/<body>.csv``.

Columns ``function, responsible_unit, source``: the programme (``10.05``) or, for a body whose file gives only mission
totals, the mission (``10``); the unit as the body names it ("Settore Viabilità"); where the name comes from (the
organisation chart, who set it and when). Read when present, like the strategy catalogue's ``strategy/<body>.csv``;
the DUP document writes "da indicare" for every programme the file does not name. ``areavasta dup responsabile``
writes it; a planner may also edit it (a ``;``-separated file saved by an Italian Excel is read too). A file that
cannot be used is refused whole, with a message naming the row and the column.
"""

from __future__ import annotations

from pathlib import Path

from sources.kept_files import FileRefused, csv_rows, write_rows
from sources.reference import missions, programmes

COLUMNS = ("function", "responsible_unit", "source")


UnitsError = FileRefused  # a body's file of responsible units that cannot be used


def units_file(home: Path, body: str) -> Path:
    return Path(home) / "dup" / f"{body}.csv"


def known_function(code: str) -> bool:
    """A programme (``10.05``) or a mission (``10``) of the harmonised scheme."""
    return code in set(programmes()["code"]) or code in set(missions()["code"])


def _rows(path: Path) -> list[dict]:
    return csv_rows(path, COLUMNS[:2])


def read_units(home: Path | None, body: str) -> dict[str, str]:
    """``function → responsible unit`` from the body's file; empty without a file. Raises ``UnitsError`` for a bad
    file."""
    path = units_file(home, body) if home else None
    if path is None or not path.exists():
        return {}
    units: dict[str, str] = {}
    for i, row in enumerate(_rows(path), start=2):
        code, unit = (row.get("function") or "").strip(), (row.get("responsible_unit") or "").strip()
        if not known_function(code):
            raise UnitsError(
                f"{path.name}, riga {i}, colonna function: '{code}' non è un programma né una missione del bilancio",
                f"{path.name}, row {i}, column function: '{code}' is neither a programme nor a mission of the budget",
            )
        if unit:  # an empty unit leaves the programme "da indicare"
            units[code] = unit
    return units


def set_unit(home: Path, body: str, function: str, unit: str, source: str) -> Path:
    """Write (or replace) one programme's unit in the body's file, keeping the other rows; rows sorted by code."""
    path = units_file(home, body)
    rows = {r["function"].strip(): r for r in _rows(path)} if path.exists() else {}
    rows[function] = {"function": function, "responsible_unit": unit.strip(), "source": source}
    return write_rows(path, COLUMNS, [rows[code] for code in sorted(rows)])
