"""Body, year and phase: from the file when it says them, otherwise from the user; a contradiction is an error."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from sources.findings import Finding
from sources.model import PHASES
from sources.readers.base import FileMeta
from sources.reference import resolve_body
from sources.settings import Settings

_PHASE_WORDS = {
    "previsione": "previsione",
    "bilancio di previsione": "previsione",
    "rendiconto": "rendiconto",
    "consuntivo": "rendiconto",
}


@dataclass
class Resolved:
    body: str | None
    year: int | None
    phase: str | None


def normalise_phase(value: str | None) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).lower().split())
    return _PHASE_WORDS.get(text, text if text in PHASES else None)


def from_file_name(name: str) -> FileMeta:
    """Weakest source: ``237_2025_rendiconto_….csv`` names body, year and phase (exports often do only this)."""
    tokens = re.split(r"[^0-9a-zA-Z]+", Path(name).stem.lower())
    meta = FileMeta()
    for token in tokens:
        if meta.year is None and re.fullmatch(r"20\d{2}", token):
            meta.year = token
        elif meta.phase is None and normalise_phase(token):
            meta.phase = normalise_phase(token)
        elif meta.body is None and re.fullmatch(r"\d{3}", token) and resolve_body(token):
            meta.body = resolve_body(token)
    return meta


def resolve(
    meta: FileMeta,
    body: str | None,
    year: int | None,
    phase: str | None,
    file_name: str,
    settings: Settings,
    per_row: bool = False,
) -> tuple[Resolved, list[Finding]]:
    """Merge what the file says with what the user gave. ``per_row``: the file carries them on each row (BDAP)."""
    findings: list[Finding] = []
    named = from_file_name(file_name)  # fills only what neither the file nor the user says

    def where(field: str) -> dict:
        sheet, cell = meta.where.get(field, (None, None))
        return {"sheet": sheet, "cell": cell}

    given_body = resolve_body(body) if body else None
    if body and given_body is None:
        findings.append(Finding("BODY_UNKNOWN", file=file_name, params={"value": body}))
    file_body = None
    if meta.body:
        file_body = (
            resolve_body(re.match(r"\s*(\d{3})\b", meta.body).group(1))
            if re.match(r"\s*\d{3}\b", meta.body)
            else resolve_body(meta.body)
        )
        if file_body is None:
            file_body = resolve_body(re.sub(r"^\s*\d+\s*-\s*", "", meta.body))
        if file_body is None:
            findings.append(Finding("BODY_UNKNOWN", file=file_name, **where("body"), params={"value": meta.body}))
    if file_body and given_body and file_body != given_body and not per_row:
        findings.append(
            Finding(
                "BODY_CONFLICT", file=file_name, **where("body"), params={"in_file": file_body, "given": given_body}
            )
        )
    final_body = file_body or given_body or named.body
    if final_body is None and not per_row and not findings:
        findings.append(Finding("BODY_MISSING", file=file_name))

    file_year = _int(meta.year)
    if meta.year and file_year is None:
        findings.append(
            Finding("YEAR_IMPLAUSIBLE", file=file_name, **where("year"), params=_year_params(meta.year, settings))
        )
    if file_year and year and file_year != year and not per_row:
        findings.append(
            Finding("YEAR_CONFLICT", file=file_name, **where("year"), params={"in_file": file_year, "given": year})
        )
    final_year = file_year or year or _int(named.year)
    if final_year is None and not per_row:
        findings.append(Finding("YEAR_MISSING", file=file_name))
    elif final_year is not None and not plausible_year(final_year, settings):
        findings.append(
            Finding("YEAR_IMPLAUSIBLE", file=file_name, **where("year"), params=_year_params(final_year, settings))
        )

    given_phase = normalise_phase(phase) if phase else None
    if phase and given_phase is None:
        findings.append(Finding("PHASE_UNKNOWN", file=file_name, params={"value": phase}))
    file_phase = normalise_phase(meta.phase)
    if meta.phase and file_phase is None:
        findings.append(Finding("PHASE_UNKNOWN", file=file_name, **where("phase"), params={"value": meta.phase}))
    if file_phase and given_phase and file_phase != given_phase:
        findings.append(
            Finding(
                "PHASE_CONFLICT", file=file_name, **where("phase"), params={"in_file": file_phase, "given": given_phase}
            )
        )
    final_phase = file_phase or given_phase or named.phase
    if final_phase is None and not findings:
        findings.append(Finding("PHASE_MISSING", file=file_name))
    return Resolved(final_body, final_year, final_phase), findings


def plausible_year(year: int, settings: Settings) -> bool:
    return settings.min_year <= year <= dt.date.today().year + settings.max_year_ahead


def _year_params(value, settings: Settings) -> dict:
    return {"value": value, "min_year": settings.min_year, "max_year": dt.date.today().year + settings.max_year_ahead}


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d{4})(?:\.0)?\s*", str(value))
    return int(match.group(1)) if match else None
