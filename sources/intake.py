"""One code path for every way a file comes in (command line, inbox folder, web portal).

``validate_file`` is the dry run: extract, resolve body/year/phase, check, normalise, and say
what is wrong, within the rights of the uploader. ``receive`` is what every entry point calls: the
dry run, then the archive copy and a receipt (``sources.receipts``: body, year, phase, uploader,
original name, order of receipt). Loading receipts into the warehouse is ``warehouse.loading``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandera.errors
import polars as pl

from sources import archive, mappings, plausibility, receipts, replacement, steps, validated
from sources.checks import REVENUE_KEY, CheckLines
from sources.extract import extract
from sources.findings import Finding, capped, has_errors
from sources.metadata import from_file_name, plausible_year, resolve
from sources.model import TABLES, empty_budget_lines
from sources.overrides import parse_rows, read_sheet_rows
from sources.receipts import Receipt, Uploader
from sources.reference import body_name, resolve_body
from sources.settings import Settings
from transforms.normalise import to_canonical


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
    loaded_lines: int | None = (
        None  # once loaded, the lines are let go (a long ingest holds no file's lines): their count
    )

    def __post_init__(self) -> None:
        self.findings = capped(self.findings)  # what is kept, shown and stored per file is bounded

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)

    @property
    def line_count(self) -> int:
        return self.lines.height if self.loaded_lines is None else self.loaded_lines

    def release(self) -> None:
        """Keep the count, let the lines go (after the warehouse committed them)."""
        self.loaded_lines, self.lines = self.line_count, self.lines.clear()


def validate_file(
    path: Path,
    settings: Settings,
    *,
    body: str | None = None,
    year: int | None = None,
    phase: str | None = None,
    display_name: str | None = None,
    sha256: str | None = None,
    schema_check: bool = True,
    mapping: dict | None = None,
    uploader: Uploader | None = None,
) -> Validation:
    """Dry run: everything wrong with the file, and its canonical lines if nothing is.

    ``uploader`` limits the bodies the file may write (an officer: their own body only); rows of
    other bodies in a multi-body file are left out with a finding. ``schema_check=False`` leaves the
    pandera check to the caller (ingest checks a whole batch at once, just before loading it).
    """
    return steps.run_one(
        validate_steps(
            path,
            settings,
            body=body,
            year=year,
            phase=phase,
            display_name=display_name,
            sha256=sha256,
            schema_check=schema_check,
            mapping=mapping,
            uploader=uploader,
        )
    )


def validate_files(jobs: list[dict], settings: Settings, workers: int = 1) -> list[Validation | Exception]:
    """``validate_file`` of many files at once (each job: ``path`` and its keyword arguments), the same findings as one
    by one; the files are read in ``workers`` threads and their polars work is batched (``sources.steps``).
    A file whose validation failed unexpectedly gets its exception in its place."""
    return steps.drive([validate_steps(settings=settings, **job) for job in jobs], first=steps.threaded_first(workers))


def validate_steps(
    path: Path,
    settings: Settings,
    *,
    body: str | None = None,
    year: int | None = None,
    phase: str | None = None,
    display_name: str | None = None,
    sha256: str | None = None,
    schema_check: bool = True,
    mapping: dict | None = None,
    uploader: Uploader | None = None,
) -> steps.Steps:
    """The steps of ``validate_file`` (``sources.steps``): what is asked of the batch is yielded."""
    name = display_name or path.name
    sha = sha256 or archive.sha256_of(path)
    extracted, findings = yield from extract(path, settings, name, year, mapping)
    if not extracted:
        return Validation(name, sha, None, None, empty_budget_lines(), findings)
    profile = extracted[0].profile
    unplaced = [item for part in extracted for item in part.unplaced]
    fingerprint = mappings.fingerprint(profile.name, unplaced) if unplaced else None
    if unplaced and mapping is None:  # the officer may have told us last time (or last year) what these are
        known_body = (
            resolve_body(body)
            or next((p.meta.body for p in extracted if p.meta.body), None)
            or resolve_body(from_file_name(name).body)
        )
        saved = mappings.load(settings, known_body, fingerprint) if known_body else None
        if saved is not None:
            again = yield from validate_steps(
                path,
                settings,
                body=body,
                year=year,
                phase=phase,
                display_name=display_name,
                sha256=sha,
                schema_check=schema_check,
                mapping=saved,
                uploader=uploader,
            )
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
            lines, row_findings = _per_row_bodies(lines, body, resolved.body, name, settings, uploader)
            findings += row_findings
        elif uploader is not None and resolved.body and not uploader.may_write(resolved.body):
            findings.append(
                Finding(
                    "BODY_NOT_ALLOWED",
                    file=name,
                    params={"body": f"{resolved.body} {body_name(resolved.body)}", "user": uploader.name},
                )
            )
        if not (lines.is_empty() and any(f.code == "BDAP_NO_BODY" for f in findings)):
            findings += yield CheckLines(
                lines,
                name,
                resolved.phase,
                profile.spec.get("key") or (REVENUE_KEY if side == "entrate" else None),
                settings.large_amount_eur,
                part.letters,
                side,
            )
        frames.append(
            to_canonical(
                lines, columns, body=resolved.body, year=resolved.year, phase=resolved.phase, sha256=sha, file_name=name
            )
        )
    canonical = pl.concat(frames) if frames else pl.DataFrame(schema=columns)
    if not has_errors(findings) and table == "budget":
        findings += yield plausibility.BodyAmounts(canonical, name)
    if not has_errors(findings) and not canonical.is_empty():
        findings += yield plausibility.KindRelations(canonical, name, table)
    overrides = None
    if "overrides" in extracted[0].extras and resolved and resolved.body:
        grid = extracted[0].extras["overrides"]
        overrides, override_findings = parse_rows(
            read_sheet_rows(grid.frame, grid.first_row), resolved.body, name, grid.sheet, "", ""
        )
        findings += override_findings
    if schema_check and not has_errors(findings):
        check_schema(canonical, name, table)
    return Validation(
        name,
        sha,
        profile.name,
        extracted[0].kind,
        canonical,
        findings,
        overrides,
        table,
        unplaced,
        fingerprint,
        resolved.body if resolved else resolve_body(body),
    )


def check_schema(lines: pl.DataFrame, what: str, table: str = "budget") -> None:
    """The canonical pandera schema, in full. Domain checks have already produced the officer's
    findings; a failure here is a gap in them, so nothing is loaded and the error is raised."""
    try:
        TABLES[table][2].validate(lines, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        raise RuntimeError(f"{what}: canonical table failed its schema after the domain checks passed:\n{exc}") from exc


def _per_row_bodies(
    lines: pl.DataFrame,
    wanted: str | None,
    resolved: str | None,
    name: str,
    settings: Settings,
    uploader: Uploader | None = None,
):
    """Files with many bodies (BDAP): keep the one asked for, or all those the uploader may write; years checked row by
    row."""
    findings = []
    held = (
        ", ".join(f"{b} {body_name(b)}" for b in sorted(lines["body"].drop_nulls().unique())) or "—"
    )  # what the file does hold
    if wanted:
        lines = lines.filter(pl.col("body") == resolved)
        if lines.is_empty():
            findings.append(
                Finding("BDAP_NO_BODY", file=name, params={"detail": f" con codice {wanted}", "found": held})
            )
    if uploader is not None and uploader.bodies is not None:
        others = sorted(set(lines["body"].drop_nulls().unique()) - uploader.bodies)
        if others:  # never written: the uploader may write only their own bodies
            findings.append(
                Finding(
                    "BODY_ROWS_REFUSED",
                    file=name,
                    params={
                        "bodies": ", ".join(f"{b} {body_name(b)}" for b in others),
                        "user": uploader.name,
                        "allowed": ", ".join(sorted(uploader.bodies)),
                    },
                )
            )
            lines = lines.filter(pl.col("body").is_in(sorted(uploader.bodies)))
            if lines.is_empty():
                findings.append(
                    Finding(
                        "BDAP_NO_BODY", file=name, params={"detail": f" tra quelli di {uploader.name}", "found": held}
                    )
                )
    for value in lines["year"].drop_nulls().unique().sort().to_list():
        if not plausible_year(value, settings):
            findings.append(
                Finding(
                    "YEAR_IMPLAUSIBLE",
                    file=name,
                    params={"value": value, "min_year": settings.min_year, "max_year": "…"},
                )
            )
    return lines, findings


def receive(
    path: Path,
    settings: Settings,
    uploader: Uploader,
    *,
    body: str | None = None,
    year: int | None = None,
    phase: str | None = None,
    display_name: str | None = None,
    validation: Validation | None = None,
    replace: bool = False,
    keep: bool = False,
) -> tuple[Validation, Receipt | None]:
    """The one way in: dry run within the uploader's rights; if accepted, archive the file as received and register a
    receipt.

    The receipt carries the file's summary and its comparison with the file in use for the same partitions: a
    replacement that would make the data worse is registered ``held`` (never loaded) unless ``replace``, the
    uploader's explicit confirmation. ``keep``: keep the validated lines beside the receipt, so that the loader
    (another process: the sensor) does not read the file again while the rules are the same."""
    validation = validation or validate_file(
        path,
        settings,
        body=body,
        year=year,
        phase=phase,
        display_name=display_name,
        uploader=uploader,
        schema_check=False,
    )
    if not validation.ok:
        return validation, None
    partitions = validation.lines.select("body", "year", "phase").unique().sort("body", "year", "phase").rows()
    counts = validation.lines.group_by("body", "year", "phase").len()
    metadata = {
        "sha256": validation.sha256,
        "original_name": validation.file,
        "layout": validation.layout,
        "table": validation.table,
        "received_at": receipts.now() + "Z",
        "received_by": uploader.name,
        "partitions": [list(k) for k in partitions],
        "rows": validation.lines.height,
        "warnings": [f.to_dict() for f in validation.findings],
        "partition_rows": {f"{b}|{y}|{p}": n for b, y, p, n in counts.iter_rows()},
    }
    stored = archive.store(path, settings.archive_dir, validation.sha256, validation.kind or "xlsx", metadata)
    single = {b for b, _, _ in partitions}
    receipt = receipts.register(
        settings,
        sha256=validation.sha256,
        archive_path=str(stored),
        kind=validation.kind or "xlsx",
        layout=validation.layout or "",
        original_name=validation.file,
        body=single.pop() if len(single) == 1 else resolve_body(body),
        year=partitions[0][1] if len({y for _, y, _ in partitions}) == 1 else year,
        phase=partitions[0][2] if len({p for _, _, p in partitions}) == 1 else phase,
        uploader=uploader,
        partitions=[list(k) for k in partitions],
        table=validation.table,
        summary=replacement.summarise(validation.lines, validation.table),
        replace=replace,
        summary_of=lambda earlier: _summary_of(earlier, settings),
        **(validated.keep(settings, validation) if keep else {}),
    )
    return validation, receipt


def _summary_of(receipt: Receipt, settings: Settings) -> dict:
    """The summary of a receipt registered before receipts carried one: its archived file read again, within its
    rights."""
    again = validate_file(
        Path(receipt.archive_path),
        settings,
        body=receipt.body,
        year=receipt.year,
        phase=receipt.phase,
        display_name=receipt.original_name,
        sha256=receipt.sha256,
        uploader=receipt.uploader,
        schema_check=False,
    )
    return replacement.summarise(again.lines, again.table) if again.ok else {}
