"""One code path for every way a file comes in (command line, inbox sensor, web portal).

``validate_file`` is the dry run: extract, resolve body/year/phase, check, normalise, and say
what is wrong. ``ingest_files`` adds the archive copy and the all-or-nothing warehouse load.
"""

from __future__ import annotations

import getpass
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandera.errors
import polars as pl

from areavasta import warehouse
from areavasta.findings import Finding, has_errors
from areavasta.model import TABLES, empty_budget_lines
from areavasta.settings import Settings
from sources import archive
from areavasta.reference import resolve_body
from sources import mappings, plausibility
from sources.checks import REVENUE_KEY, check_lines
from sources.extract import extract
from sources.metadata import from_file_name, plausible_year, resolve
from sources.overrides import parse_rows, read_sheet_rows
from transforms.normalise import to_budget_lines


@dataclass
class Validation:
    file: str
    sha256: str
    layout: str | None
    kind: str | None
    lines: pl.DataFrame
    findings: list[Finding] = field(default_factory=list)
    overrides: pl.DataFrame | None = None  # authority-catalogue changes (template sheet), author still to fill
    table: str = "budget"  # which canonical table the lines belong to (model.TABLES): budget or revenue
    unplaced: list[dict] = field(default_factory=list)  # columns and rows the officer can place with a mapping
    fingerprint: str | None = None  # of the layout as this file shows it (sources.mappings)
    body: str | None = None  # resolved body, when known

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)


@dataclass
class Outcome:
    validation: Validation
    status: str  # accepted | rejected | unchanged
    partitions: list[tuple[str, int, str]] = field(default_factory=list)
    archive_path: Path | None = None
    upload: warehouse.Upload | None = field(default=None, repr=False)


def validate_file(path: Path, settings: Settings, *, body: str | None = None, year: int | None = None,
                  phase: str | None = None, display_name: str | None = None, sha256: str | None = None,
                  schema_check: bool = True, mapping: dict | None = None) -> Validation:
    """Dry run: everything wrong with the file, and its canonical lines if nothing is.

    ``schema_check=False`` leaves the pandera check to the caller (ingest checks a whole
    batch at once, just before loading it).
    """
    name = display_name or path.name
    sha = sha256 or archive.sha256_of(path)
    extracted, findings = extract(path, settings, name, year, mapping)
    if not extracted:
        return Validation(name, sha, None, None, empty_budget_lines(), findings)
    profile = extracted[0].profile
    unplaced = [item for part in extracted for item in part.unplaced]
    fingerprint = mappings.fingerprint(profile.name, unplaced) if unplaced else None
    if unplaced and mapping is None:  # the officer may have told us last time (or last year) what these are
        known_body = resolve_body(body) or next((p.meta.body for p in extracted if p.meta.body), None) \
            or resolve_body(from_file_name(name).body)
        saved = mappings.load(settings, known_body, fingerprint) if known_body else None
        if saved is not None:
            again = validate_file(path, settings, body=body, year=year, phase=phase, display_name=display_name, sha256=sha,
                                  schema_check=schema_check, mapping=saved)
            again.findings.insert(0, mappings.applied_finding(saved, name))
            return again
    table = profile.spec.get("table", "budget")
    side = "entrate" if table == "revenue" else "spese"
    columns = TABLES[table][1]
    per_row = "amount_columns" in profile.spec
    frames, resolved = [], None
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
            findings += check_lines(lines, name, resolved.phase, profile.spec.get("key") or (REVENUE_KEY if side == "entrate" else None),
                                    settings.large_amount_eur, part.letters, side)
        frames.append(to_budget_lines(lines, body=resolved.body, year=resolved.year, phase=resolved.phase, sha256=sha, file_name=name,
                                      columns=columns))
    canonical = pl.concat(frames) if frames else pl.DataFrame(schema=columns)
    if not has_errors(findings) and table == "budget":
        findings += plausibility.check_body_amounts(canonical, name)
    overrides = None
    if "overrides" in extracted[0].extras and resolved and resolved.body:
        grid = extracted[0].extras["overrides"]
        overrides, override_findings = parse_rows(
            read_sheet_rows(grid.frame, grid.first_row), resolved.body, name, grid.sheet, "", ""
        )
        findings += override_findings
    if schema_check and not has_errors(findings):
        check_schema(canonical, name, table)
    return Validation(name, sha, profile.name, extracted[0].kind, canonical, findings, overrides, table, unplaced, fingerprint,
                      resolved.body if resolved else resolve_body(body))


def check_schema(lines: pl.DataFrame, what: str, table: str = "budget") -> None:
    """The canonical pandera schema, in full. Domain checks have already produced the officer's
    findings; a failure here is a gap in them, so nothing is loaded and the error is raised."""
    try:
        TABLES[table][2].validate(lines, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        raise RuntimeError(f"{what}: canonical table failed its schema after the domain checks passed:\n{exc}") from exc


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


BATCH_ROWS = 60_000  # accepted rows per warehouse transaction: small enough to overlap loading with reading


def ingest_files(paths: list[Path], settings: Settings, *, body: str | None = None, year: int | None = None,
                 phase: str | None = None, user: str | None = None, display_names: list[str] | None = None,
                 on_done=None, workers: int = 1) -> list[Outcome]:
    """Validate each file; archive and load the accepted ones. Files are independent: one bad file stops only itself.

    With ``workers`` > 1 files are read and validated in threads (calamine and polars release
    the GIL). Archiving and loading stay in this thread, in the order given, so the single
    DuckDB writer is never shared; accepted files are loaded in batches of whole files
    (:func:`areavasta.warehouse.load`), each batch one transaction.
    """
    user = user or getpass.getuser()
    names = display_names or [p.name for p in paths]
    outcomes: list[Outcome] = []
    batch: list[tuple[Outcome, warehouse.Upload]] = []
    with warehouse.connect(settings.warehouse_path) as con:
        loaded = {sha for (sha,) in con.execute("SELECT DISTINCT sha256 FROM core.uploads").fetchall()}

        def check(index: int) -> Validation:
            sha = archive.sha256_of(paths[index])
            if sha in loaded:
                return Validation(names[index], sha, None, None, empty_budget_lines())
            return validate_file(paths[index], settings, body=body, year=year, phase=phase, display_name=names[index], sha256=sha,
                                 schema_check=False)

        def flush() -> None:
            for table in {upload.table for _, upload in batch}:
                check_schema(pl.concat([u.lines for _, u in batch if u.table == table]), f"{len(batch)} file", table)
            warehouse.load(con, [upload for _, upload in batch])
            for outcome, _ in batch:
                if on_done:
                    on_done(outcome)
            batch.clear()

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for index, validation in enumerate(pool.map(check, range(len(paths)))):
                outcome = _accept(paths[index], validation, user, settings, loaded)
                outcomes.append(outcome)
                if outcome.status == "accepted":
                    batch.append((outcome, outcome.upload))
                    if sum(u.lines.height for _, u in batch) >= BATCH_ROWS:
                        flush()
                elif on_done:
                    on_done(outcome)
        flush()
    return outcomes


def _accept(path: Path, validation: Validation, user: str, settings: Settings, loaded: set[str]) -> Outcome:
    """Decide a file's fate; an accepted file is archived now and queued for the warehouse."""
    sha, name = validation.sha256, validation.file
    if sha in loaded:  # already in the warehouse, or given twice in this call
        return Outcome(Validation(name, sha, None, None, empty_budget_lines()), "unchanged")
    if not validation.ok:
        return Outcome(validation, "rejected")
    upload = warehouse.Upload(validation.lines, sha, name, validation.layout, user, Path(), table=validation.table)
    if validation.overrides is not None:  # who and when default to the uploader and the upload
        upload.overrides = validation.overrides.with_columns(
            author=pl.when(pl.col("author") == "").then(pl.lit(user)).otherwise(pl.col("author")),
            date=pl.when(pl.col("date") == "").then(pl.lit(upload.received_at.date().isoformat())).otherwise(pl.col("date")),
        )
    partitions = upload.partitions()
    metadata = {
        "sha256": sha, "original_name": name, "layout": validation.layout, "received_at": upload.received_at.isoformat() + "Z",
        "received_by": user, "partitions": [list(k) for k in partitions], "rows": validation.lines.height, "table": validation.table,
        "warnings": [f.to_dict() for f in validation.findings],
    }
    upload.archive_path = archive.store(path, settings.archive_dir, sha, validation.kind or "xlsx", metadata)
    loaded.add(sha)
    return Outcome(validation, "accepted", partitions, upload.archive_path, upload)
