"""The portal's mapping form: one drop-down per unplaced column or row of a rejected file.

Pure helpers (no HTTP): the choices each field offers, and the form's answers turned into the
structure ``sources.mappings.parse_data`` validates - the same path as the YAML of the command line.
"""

from __future__ import annotations

from sources.mappings import IGNORE
from sources.reference import macroaggregates, missions, programmes, tipologie

_TABLES = {"missione": missions, "macroaggregato": macroaggregates, "programma": programmes, "tipologia": tipologie}


def fields(unplaced: list[dict]) -> list[dict]:
    """Form fields: name, what the file says, where, and the (code, label) choices (candidates first)."""
    out, seen = [], set()
    for item in unplaced:
        key = item.get("key") or item["label"]
        if (item["kind"], key) in seen:
            continue
        seen.add((item["kind"], key))
        dimension = item.get("dimension") or "missione"
        table = _TABLES.get(dimension, missions)()
        options = [(code, f"{code} {name}") for code, name in zip(table["code"], table["name"])]
        first = [o for o in options if o[0] in item.get("candidates", [])]
        out.append(
            {
                "name": f"{'col' if item['kind'] == 'column' else 'row'}_{len(out)}",
                "kind": item["kind"],
                "key": key,
                "cell": item.get("cell", ""),
                "dimension": dimension,
                "options": first
                + [o for o in options if o not in first]
                + [(IGNORE, "ignora (non contiene dati da caricare)")],
            }
        )
    return out


def answers(form, unplaced: list[dict]) -> dict:
    """The form's choices as ``{"colonne": {...}, "righe": {...}}`` (empty choices are left for the validation to
    name)."""
    data: dict = {"colonne": {}, "righe": {}}
    for field in fields(unplaced):
        value = str(form.get(field["name"], "")).strip()
        section = "colonne" if field["kind"] == "column" else "righe"
        data[section][field["key"]] = IGNORE if value == IGNORE else ({field["dimension"]: value} if value else {})
    return data
