"""An officer's mapping: what an unplaced column or row of a file really is, kept for next year.

When neither name, order nor totals can place a column (or a row label is unknown), the file
is refused with ``COLUMN_UNMATCHED`` / ``ROW_UNRECOGNISED``. The officer then says what each one
is, in a small YAML file (``areavasta mapping FILE`` writes the skeleton) or in the portal's form:

    colonne:
      "Missione ### (descrizione non disponibile)": {missione: "10"}
      "uso interno": ignora
    righe:
      "Spese varie": {titolo: "1", macroaggregato: "1.10"}

A validated mapping is stored per body and *layout fingerprint* (the layout plus the texts it
could not place, with years blanked) under ``<home>/mappings/<body>/<fingerprint>.yaml``; the
next upload of that body showing the same unplaced texts - typically next year's export of the
same accounting software - gets it applied automatically (finding ``MAPPING_APPLIED``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import yaml

from sources.findings import Finding
from sources.reference import code_sets
from sources.settings import Settings
from sources.vocab import amount_kind_of, mission_name
from transforms.codes import fold_text

IGNORE = "ignora"
# what an officer writes -> internal dimension; and how each code is written canonically
KEYS = {
    "missione": "missione",
    "programma": "programma",
    "titolo": "titolo",
    "macroaggregato": "macroaggregato",
    "tipologia": "tipologia",
    "tipo_importo": "amount_kind",
}
_YEAR = re.compile(r"\b(19|20)\d{2}\b")


def fingerprint(layout: str, unplaced: list[dict]) -> str:
    keys = sorted({_YEAR.sub("yyyy", fold_text(item.get("key") or item["label"])) for item in unplaced})
    return hashlib.sha256("\n".join([layout, *keys]).encode("utf-8")).hexdigest()[:16]


def skeleton(file_name: str, layout: str, body: str | None, unplaced: list[dict]) -> str:
    """The YAML an officer fills in: every unplaced column and row, with what it could be."""
    lines = [
        f"# Mappa per il file {file_name} (formato {layout}).",
        "# Per ogni colonna o riga indicare cosa contiene, oppure 'ignora'. Codici dello schema D.Lgs. 118/2011:",
        '# missione "10", programma "10.05", titolo "1", macroaggregato "1.03", tipologia "10101",',
        "# tipo_importo impegni / pagamenti / fpv / stanziamento / stanziamento_cassa / accertamenti / riscossioni.",
        "# Poi: areavasta mapping FILE --apply QUESTO_FILE.yaml" + (f" --body {body}" if body else ""),
        "colonne:",
    ]
    columns = {}
    for item in unplaced:
        if item["kind"] == "column":
            columns.setdefault(item.get("key") or item["label"], item)
    for key, item in columns.items():
        hint = " oppure ".join(f'{{missione: "{m}"}} ({mission_name(m)})' for m in item.get("candidates", []))
        lines.append(f"  # cella {item['cell']}" + (f"; può essere: {hint}" if hint else ""))
        lines.append(f"  {_quote(key)}: {{}}")
    if not columns:
        lines[-1] = "colonne: {}"
    rows = [item for item in unplaced if item["kind"] == "row"]
    lines.append("righe:" if rows else "righe: {}")
    for item in rows:
        lines.append(f"  # cella {item['cell']}")
        lines.append(f"  {_quote(item['label'])}: {{}}")
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse(text: str, file_name: str = "") -> tuple[dict | None, list[Finding]]:
    """The officer's YAML → the reader's mapping (internal keys, canonical codes), or findings."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        return None, [_invalid(file_name, f"YAML non leggibile ({str(exc).splitlines()[0]})")]
    return parse_data(data, file_name)


def parse_data(data, file_name: str = "") -> tuple[dict | None, list[Finding]]:
    """Same as :func:`parse`, from the parsed structure (the portal's form builds it directly)."""
    if not isinstance(data, dict):
        return None, [_invalid(file_name, "attese le sezioni 'colonne' e 'righe'")]
    mapping: dict = {"columns": {}, "rows": {}}
    problems = []
    for section, target in (("colonne", "columns"), ("righe", "rows")):
        entries = data.get(section) or data.get(target) or {}
        if not isinstance(entries, dict):
            problems.append(f"la sezione '{section}' deve elencare testo: valore")
            continue
        for label, value in entries.items():
            parsed, problem = _entry(value)
            if problem:
                problems.append(f"'{label}': {problem}")
            elif parsed is not None:
                mapping[target][str(label)] = parsed
    if problems:
        return None, [_invalid(file_name, "; ".join(problems))]
    if not mapping["columns"] and not mapping["rows"]:
        return None, [_invalid(file_name, "nessuna voce compilata")]
    return mapping, []


def _entry(value) -> tuple[dict | str | None, str | None]:
    if value in ({}, None, ""):
        return None, "voce da compilare (indicare i codici o 'ignora')"
    if isinstance(value, str):
        return (IGNORE, None) if fold_text(value) in (IGNORE, "ignore") else (None, f"valore '{value}' non valido")
    if not isinstance(value, dict):
        return None, 'atteso un elenco di codici, es. {missione: "10"}'
    codes, sets = {}, code_sets()
    for key, raw in value.items():
        dim = KEYS.get(fold_text(key).replace(" ", "_"))
        if dim is None:
            return None, f"chiave '{key}' sconosciuta (usare {', '.join(KEYS)})"
        code = _canonical(dim, str(raw).strip())
        valid = sets["titolo"] | sets["titolo_entrata"] if dim == "titolo" else sets.get(dim, frozenset())
        if code not in valid:
            return None, f"{key} '{raw}' inesistente nello schema"
        codes[dim] = code
    if "programma" in codes and codes.setdefault("missione", codes["programma"][:2]) != codes["programma"][:2]:
        return None, f"il programma {codes['programma']} non appartiene alla missione {codes['missione']}"
    if (
        "macroaggregato" in codes
        and codes.setdefault("titolo", codes["macroaggregato"][0]) != codes["macroaggregato"][0]
    ):
        return None, f"il macroaggregato {codes['macroaggregato']} non appartiene al titolo {codes['titolo']}"
    if "tipologia" in codes and codes.setdefault("titolo", codes["tipologia"][0]) != codes["tipologia"][0]:
        return None, f"la tipologia {codes['tipologia']} non appartiene al titolo {codes['titolo']}"
    return codes, None


def _canonical(dim: str, text: str) -> str:
    digits = re.sub(r"\D", "", text)
    if dim == "missione":
        return digits.zfill(2)
    if dim == "programma":
        parts = re.split(r"\D+", text)
        return f"{parts[0].zfill(2)}.{parts[1].zfill(2)}" if len(parts) == 2 else f"{digits[:2]}.{digits[2:]}"
    if dim == "macroaggregato":
        return f"{digits[0]}.{digits[1:].zfill(2)}" if digits else text
    if dim == "amount_kind":
        return amount_kind_of(text) or text
    return digits or text


def _invalid(file_name: str, detail: str) -> Finding:
    return Finding("MAPPING_INVALID", file=file_name, params={"detail": detail})


def _path(settings: Settings, body: str, key: str) -> Path:
    return settings.home / "mappings" / re.sub(r"\W", "", body) / f"{re.sub(r'[^0-9a-f]', '', key)}.yaml"


def store(settings: Settings, body: str, key: str, mapping: dict, *, layout: str, file_name: str, user: str) -> Path:
    """Keep a validated mapping for this body and fingerprint (atomic write)."""
    path = _path(settings, body, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "body": body,
        "layout": layout,
        "fingerprint": key,
        "file": file_name,
        "saved_by": user,
        "saved_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        **mapping,
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(record, allow_unicode=True, sort_keys=False), encoding="utf-8")
    tmp.replace(path)
    return path


def load(settings: Settings, body: str, key: str) -> dict | None:
    path = _path(settings, body, key)
    if not path.exists():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def applied_finding(mapping: dict, file_name: str) -> Finding:
    entries = len(mapping.get("columns", {})) + len(mapping.get("rows", {}))
    return Finding(
        "MAPPING_APPLIED",
        file=file_name,
        params={"entries": entries, "saved_at": mapping.get("saved_at", "?"), "saved_by": mapping.get("saved_by", "?")},
    )
