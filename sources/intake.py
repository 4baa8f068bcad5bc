"""One code path for every way a file comes in (command line, inbox sensor, web portal).

``validate_file`` is the dry run: extract, resolve body/year/phase, check, normalise, and say
what is wrong. ``ingest_files`` adds the archive copy and the all-or-nothing warehouse load.
"""

from __future__ import annotations

import datetime as dt
import getpass
from dataclasses import dataclass, field
from pathlib import Path

import pandera.errors
import polars as pl
from pandera.config import ValidationDepth, config_context

from areavasta import warehouse
from areavasta.findings import Finding, has_errors
from areavasta.model import BudgetLines, empty_budget_lines
from areavasta.settings import Settings
from sources import archive
from sources.checks import check_lines
from sources.extract import extract
from sources.metadata import plausible_year, resolve
from transforms.normalise import to_budget_lines


@dataclass
class Validation:
    file: str
    sha256: str
    layout: str | None
    kind: str | None
    lines: pl.DataFrame
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)


@dataclass
class Outcome:
    validation: Validation
    status: str  # accepted | rejected | unchanged
    partitions: list[tuple[str, int, str]] = field(default_factory=list)
    archive_path: Path | None = None


def validate_file(path: Path, settings: Settings, *, body: str | None = None, year: int | None = None,
                  phase: str | None = None, display_name: str | None = None) -> Validation:
    name = display_name or path.name
    sha = archive.sha256_of(path)
    extracted, findings = extract(path, settings, name, year)
    if not extracted:
        return Validation(name, sha, None, None, empty_budget_lines(), findings)
    profile = extracted[0].profile
    per_row = "amount_columns" in profile.spec
    frames = []
    for part in extracted:
        findings += part.findings
        if part.lines.is_empty() and has_errors(part.findings):
            continue  # the structure is broken: what follows would only repeat it
        resolved, meta_findings = resolve(part.meta, body, year, phase, name, settings, per_row=per_row)
        findings += [f for f in meta_findings if f not in findings]
        lines = part.lines
        if per_row:
            lines, row_findings = _per_row_bodies(lines, body, resolved.body, name, settings)
            findings += row_findings
        if not (lines.is_empty() and any(f.code == "BDAP_NO_BODY" for f in findings)):
            findings += check_lines(lines, name, resolved.phase, profile.spec.get("key"), settings.large_amount_eur)
        frames.append(to_budget_lines(lines, body=resolved.body, year=resolved.year, phase=resolved.phase, sha256=sha, file_name=name))
    canonical = pl.concat(frames) if frames else empty_budget_lines()
    if not has_errors(findings):
        try:  # structure and types only here: the domain checks above already judged the values
            with config_context(validation_depth=ValidationDepth.SCHEMA_ONLY):
                BudgetLines.validate(canonical, lazy=True)
        except pandera.errors.SchemaErrors as exc:  # a gap in the domain checks: never load such rows
            raise RuntimeError(f"{name}: canonical table failed its schema after domain checks passed:\n{exc}") from exc
    return Validation(name, sha, profile.name, extracted[0].kind, canonical, findings)


def _per_row_bodies(lines: pl.DataFrame, wanted: str | None, resolved: str | None, name: str, settings: Settings):
    """Files with many bodies (BDAP): keep the one asked for, or all; years checked row by row."""
    findings = []
    if wanted:
        lines = lines.filter(pl.col("body") == resolved)
        if lines.is_empty():
            findings.append(Finding("BDAP_NO_BODY", file=name, params={"detail": f" con codice {wanted}"}))
    for value in lines["year"].drop_nulls().unique().sort().to_list():
        if not plausible_year(value, settings):
            findings.append(Finding("YEAR_IMPLAUSIBLE", file=name, params={"value": value, "min_year": settings.min_year, "max_year": "…"}))
    return lines, findings


def ingest_files(paths: list[Path], settings: Settings, *, body: str | None = None, year: int | None = None,
                 phase: str | None = None, user: str | None = None, display_names: list[str] | None = None,
                 on_done=None) -> list[Outcome]:
    """Validate each file; archive and load the accepted ones. Files are independent: one bad file stops only itself."""
    user = user or getpass.getuser()
    outcomes = []
    with warehouse.connect(settings.warehouse_path) as con:
        for index, path in enumerate(paths):
            name = display_names[index] if display_names else path.name
            outcomes.append(_ingest_one(con, path, name, settings, body, year, phase, user))
            if on_done:
                on_done(outcomes[-1])
    return outcomes


def _ingest_one(con, path, name, settings, body, year, phase, user) -> Outcome:
    sha = archive.sha256_of(path)
    if warehouse.already_loaded(con, sha):
        return Outcome(Validation(name, sha, None, None, empty_budget_lines()), "unchanged")
    validation = validate_file(path, settings, body=body, year=year, phase=phase, display_name=name)
    if not validation.ok:
        return Outcome(validation, "rejected")
    received_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    keys = validation.lines.select("body", "year", "phase").unique().sort("body", "year", "phase").rows()
    metadata = {
        "sha256": sha, "original_name": name, "layout": validation.layout, "received_at": received_at.isoformat() + "Z",
        "received_by": user, "partitions": [list(k) for k in keys], "rows": validation.lines.height,
    }
    stored = archive.store(path, settings.archive_dir, sha, validation.kind or "xlsx", metadata)
    partitions = warehouse.load(
        con, validation.lines, sha256=sha, original_name=name, layout=validation.layout, received_by=user,
        archive_path=stored, received_at=received_at,
    )
    return Outcome(validation, "accepted", partitions, stored)
