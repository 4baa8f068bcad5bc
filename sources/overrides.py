"""A body's changes to the authority catalogue: from the template's "Override autorità" sheet or a YAML file.

Every change needs a reason; who and when are kept (from the row, else the uploader and the
upload time) and shown next to every result they affect. Italian and English names are both
accepted for attributes (``controlli_sanzioni`` / ``controls``) and statuses (``trasferita`` /
``transferred``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import yaml

from sources.findings import Finding
from sources.reference import code_sets, resolve_body
from transforms.authority import OVERRIDE_COLUMNS
from transforms.codes import fold_text

ATTRIBUTE_NAMES = {
    "autorizzazioni": "permits",
    "permits": "permits",
    "controlli_sanzioni": "controls",
    "controlli_e_sanzioni": "controls",
    "controlli": "controls",
    "controls": "controls",
    "piani_vincolanti": "binding_plans",
    "binding_plans": "binding_plans",
    "allocazione_risorse": "allocation",
    "allocazione_di_risorse": "allocation",
    "allocation": "allocation",
    "mandato_legale": "legal_mandate",
    "mandato_di_legge": "legal_mandate",
    "legal_mandate": "legal_mandate",
    "erogazione_diretta": "direct_delivery",
    "direct_delivery": "direct_delivery",
    "risorse_proprie": "own_funding",
    "own_funding": "own_funding",
}
STATUS_NAMES = {
    "mantenuta": "retained",
    "retained": "retained",
    "trasferita": "transferred",
    "transferred": "transferred",
    "delegata": "delegated",
    "delegated": "delegated",
    "non_fondamentale": "non_fundamental",
    "non_fundamental": "non_fundamental",
}
SHEET = "Override autorità"
HEADER_ROW = 2  # 0-based: row 3 in Excel


def parse_rows(
    rows: list[dict], body: str, file_name: str, sheet: str | None, default_author: str, default_date: str
) -> tuple[pl.DataFrame, list[Finding]]:
    """Rows with keys programma, attribute, value, status, reason, author, date, _cell → overrides + findings."""
    findings: list[Finding] = []
    out: list[dict] = []
    for row in rows:
        cell = row.get("_cell")
        where = {"file": file_name, "sheet": sheet, "cell": cell}
        programme = str(row.get("programma") or "").strip()[:5].replace(" ", "")
        if len(programme) == 4 and programme.isdigit():
            programme = f"{programme[:2]}.{programme[2:]}"
        if programme not in code_sets()["programma"]:
            findings.append(Finding("PROGRAMME_UNKNOWN", **where, params={"value": row.get("programma") or ""}))
            continue
        reason = str(row.get("reason") or "").strip()
        if not reason:
            findings.append(Finding("OVERRIDE_REASON_MISSING", **where))
            continue
        changes = []
        attribute, value, status = row.get("attribute"), row.get("value"), row.get("status")
        if attribute not in (None, ""):
            name = ATTRIBUTE_NAMES.get(fold_text(attribute).replace(" ", "_"))
            if name is None:
                findings.append(Finding("OVERRIDE_ATTRIBUTE_UNKNOWN", **where, params={"value": attribute}))
                continue
            score = _score(value)
            if score is None:
                findings.append(Finding("OVERRIDE_VALUE_INVALID", **where, params={"value": value}))
                continue
            changes.append((name, str(score)))
        if status not in (None, ""):
            name = STATUS_NAMES.get(fold_text(status).replace(" ", "_"))
            if name is None:
                findings.append(Finding("OVERRIDE_STATUS_UNKNOWN", **where, params={"value": status}))
                continue
            changes.append(("status", name))
        if not changes:
            findings.append(Finding("OVERRIDE_EMPTY", **where))
        for name, new in changes:
            out.append(
                {
                    "body": body,
                    "programma": programme,
                    "attribute": name,
                    "value": new,
                    "reason": reason,
                    "author": str(row.get("author") or default_author),
                    "date": _date(row.get("date")) or default_date,
                }
            )
    return pl.DataFrame(out, schema=OVERRIDE_COLUMNS), findings


def _score(value) -> int | None:
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        return None
    return int(number) if number.is_integer() and 0 <= number <= 3 else None


def _date(value) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    text = str(value).strip()
    try:  # a date cell read as an Excel serial number
        return (dt.date(1899, 12, 30) + dt.timedelta(days=float(text))).isoformat()
    except ValueError:
        return text[:10]


def read_yaml(path: Path, user: str) -> tuple[pl.DataFrame, list[Finding]]:
    """``body: 237`` and ``overrides: [{programma, attribute, value | status, reason, author, date}]``."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        body = resolve_body(str(data["body"]))
        rows = list(data.get("overrides") or [])
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        return pl.DataFrame(schema=OVERRIDE_COLUMNS), [
            Finding("OVERRIDE_FILE_INVALID", file=path.name, params={"detail": str(exc)[:160]})
        ]
    if body is None:
        return pl.DataFrame(schema=OVERRIDE_COLUMNS), [
            Finding("BODY_UNKNOWN", file=path.name, params={"value": data.get("body")})
        ]
    for index, row in enumerate(rows, start=1):
        row["_cell"] = f"#{index}"
    return parse_rows(rows, body, path.name, None, user, dt.date.today().isoformat())


def read_sheet_rows(frame: pl.DataFrame, first_row: int) -> list[dict]:
    """The template sheet's rows below the header (columns A-G) as dicts, with the cell of column A."""
    keys = ["programma", "attribute", "value", "status", "reason", "author", "date"]
    rows = []
    for index, values in enumerate(frame.iter_rows()):
        if index <= HEADER_ROW - first_row or not any(v not in (None, "") for v in values[:7]):
            continue
        row = dict(zip(keys, list(values[:7]) + [None] * (7 - len(values[:7]))))
        row["_cell"] = f"A{first_row + index + 1}"
        rows.append(row)
    return rows
