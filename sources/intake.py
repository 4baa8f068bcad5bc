"""One code path for every way a file comes in (command line, inbox folder, web portal).

``validate_file`` is the dry run: extract, resolve body/year/phase, check, normalise, and say
what is wrong, within the rights of the uploader. ``receive`` is what every entry point calls: the
dry run, then the archive copy and a receipt (``sources.receipts``: body, year, phase, uploader,
original name, order of receipt). ``load_receipts`` loads pending receipts into the warehouse in
order of receipt and marks each loaded only after the transaction committed. ``ingest_files`` is
both at once, for the command line.
"""

from __future__ import annotations

import datetime as dt
import getpass
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandera.errors
import polars as pl

from areavasta import warehouse
from areavasta.findings import Finding, has_errors
from areavasta.model import TABLES, empty_budget_lines
from areavasta.reference import body_name, resolve_body
from areavasta.settings import Settings
from sources import archive, mappings, plausibility, receipts
from sources.checks import REVENUE_KEY, check_lines
from sources.extract import extract
from sources.metadata import from_file_name, plausible_year, resolve
from sources.overrides import parse_rows, read_sheet_rows
from sources.receipts import Receipt, Uploader
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
    receipt: Receipt | None = None


def validate_file(path: Path, settings: Settings, *, body: str | None = None, year: int | None = None,
                  phase: str | None = None, display_name: str | None = None, sha256: str | None = None,
                  schema_check: bool = True, mapping: dict | None = None, uploader: Uploader | None = None) -> Validation:
    """Dry run: everything wrong with the file, and its canonical lines if nothing is.

    ``uploader`` limits the bodies the file may write (an officer: their own body only); rows of
    other bodies in a multi-body file are left out with a finding. ``schema_check=False`` leaves the
    pandera check to the caller (ingest checks a whole batch at once, just before loading it).
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
                                  schema_check=schema_check, mapping=saved, uploader=uploader)
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
            findings.append(Finding("BODY_NOT_ALLOWED", file=name, params={"body": f"{resolved.body} {body_name(resolved.body)}",
                                                                          "user": uploader.name}))
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


def _per_row_bodies(lines: pl.DataFrame, wanted: str | None, resolved: str | None, name: str, settings: Settings,
                    uploader: Uploader | None = None):
    """Files with many bodies (BDAP): keep the one asked for, or all those the uploader may write; years checked row by row."""
    findings = []
    if wanted:
        lines = lines.filter(pl.col("body") == resolved)
        if lines.is_empty():
            findings.append(Finding("BDAP_NO_BODY", file=name, params={"detail": f" con codice {wanted}"}))
    if uploader is not None and uploader.bodies is not None:
        others = sorted(set(lines["body"].drop_nulls().unique()) - uploader.bodies)
        if others:  # never written: the uploader may write only their own bodies
            findings.append(Finding("BODY_ROWS_REFUSED", file=name, params={
                "bodies": ", ".join(f"{b} {body_name(b)}" for b in others), "user": uploader.name,
                "allowed": ", ".join(sorted(uploader.bodies))}))
            lines = lines.filter(pl.col("body").is_in(sorted(uploader.bodies)))
            if lines.is_empty():
                findings.append(Finding("BDAP_NO_BODY", file=name, params={"detail": f" tra quelli di {uploader.name}"}))
    for value in lines["year"].drop_nulls().unique().sort().to_list():
        if not plausible_year(value, settings):
            findings.append(Finding("YEAR_IMPLAUSIBLE", file=name, params={"value": value, "min_year": settings.min_year, "max_year": "…"}))
    return lines, findings


BATCH_ROWS = 60_000  # accepted rows per warehouse transaction: small enough to overlap loading with reading


def receive(path: Path, settings: Settings, uploader: Uploader, *, body: str | None = None, year: int | None = None,
            phase: str | None = None, display_name: str | None = None, validation: Validation | None = None
            ) -> tuple[Validation, Receipt | None]:
    """The one way in: dry run within the uploader's rights; if accepted, archive the file as received and register a receipt."""
    validation = validation or validate_file(path, settings, body=body, year=year, phase=phase, display_name=display_name,
                                             uploader=uploader, schema_check=False)
    if not validation.ok:
        return validation, None
    partitions = validation.lines.select("body", "year", "phase").unique().sort("body", "year", "phase").rows()
    metadata = {
        "sha256": validation.sha256, "original_name": validation.file, "layout": validation.layout, "table": validation.table,
        "received_at": receipts.now() + "Z", "received_by": uploader.name, "partitions": [list(k) for k in partitions],
        "rows": validation.lines.height, "status": "received", "warnings": [f.to_dict() for f in validation.findings],
    }
    stored = archive.store(path, settings.archive_dir, validation.sha256, validation.kind or "xlsx", metadata)
    single = {b for b, _, _ in partitions}
    receipt = receipts.register(
        settings, sha256=validation.sha256, archive_path=str(stored), kind=validation.kind or "xlsx", layout=validation.layout or "",
        original_name=validation.file, body=single.pop() if len(single) == 1 else resolve_body(body),
        year=partitions[0][1] if len({y for _, y, _ in partitions}) == 1 else year,
        phase=partitions[0][2] if len({p for _, _, p in partitions}) == 1 else phase,
        uploader=uploader, partitions=[list(k) for k in partitions],
    )
    return validation, receipt


def load_receipts(settings: Settings, pending: list[Receipt] | None = None, *, validated: dict[int, Validation] | None = None,
                  on_done=None, workers: int = 1) -> list[Outcome]:
    """Load receipts into the warehouse in order of receipt (the latest receipt of a partition ends current).

    Each archived file is read again with the body, year, phase and rights its receipt records
    (``validated`` may hand over the dry runs of files received by this same process). Batches of
    whole files go in one transaction each; only after the commit are their receipts and archive
    entries marked ``loaded``.
    """
    pending = sorted(receipts.pending(settings) if pending is None else pending, key=lambda r: r.seq)
    validated = validated or {}
    outcomes: list[Outcome] = []
    batch: list[Outcome] = []
    with warehouse.connect(settings.warehouse_path) as con:
        loaded = {sha for (sha,) in con.execute("SELECT DISTINCT sha256 FROM core.uploads").fetchall()}

        def check(receipt: Receipt) -> Validation:
            if receipt.sha256 in loaded:
                return Validation(receipt.original_name, receipt.sha256, None, None, empty_budget_lines())
            return validated.get(receipt.seq) or validate_file(
                Path(receipt.archive_path), settings, body=receipt.body, year=receipt.year, phase=receipt.phase,
                display_name=receipt.original_name, sha256=receipt.sha256, schema_check=False, uploader=receipt.uploader)

        def flush() -> None:
            for table in {o.upload.table for o in batch}:
                check_schema(pl.concat([o.upload.lines for o in batch if o.upload.table == table]), f"{len(batch)} file", table)
            warehouse.load(con, [o.upload for o in batch])
            for outcome in batch:  # committed: now, and only now, the receipt is loaded
                receipts.mark(settings, outcome.receipt, "loaded")
                archive.mark(outcome.archive_path, outcome.receipt.seq, "loaded")
                if on_done:
                    on_done(outcome)
            batch.clear()

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for receipt, validation in zip(pending, pool.map(check, pending)):
                outcome = _outcome(receipt, validation, loaded)
                outcomes.append(outcome)
                if outcome.status == "accepted":
                    batch.append(outcome)
                    if sum(o.upload.lines.height for o in batch) >= BATCH_ROWS:
                        flush()
                else:
                    receipts.mark(settings, receipt, outcome.status, "; ".join(f.message() for f in validation.findings if f.is_error)[:2000])
                    if on_done:
                        on_done(outcome)
        flush()
    return outcomes


def _outcome(receipt: Receipt, validation: Validation, loaded: set[str]) -> Outcome:
    """What becomes of one receipt; an accepted one is queued for the warehouse with its uploader and time of receipt."""
    if receipt.sha256 in loaded:  # already in the warehouse, or twice in this call
        return Outcome(Validation(receipt.original_name, receipt.sha256, None, None, empty_budget_lines()), "unchanged", receipt=receipt)
    if not validation.ok:
        return Outcome(validation, "rejected", receipt=receipt)
    received_at = dt.datetime.fromisoformat(receipt.received_at)
    upload = warehouse.Upload(validation.lines, receipt.sha256, receipt.original_name, validation.layout, receipt.uploader.name,
                              Path(receipt.archive_path), received_at=received_at, table=validation.table, receipt_seq=receipt.seq)
    if validation.overrides is not None:  # who and when default to the uploader and the upload
        upload.overrides = validation.overrides.with_columns(
            author=pl.when(pl.col("author") == "").then(pl.lit(receipt.uploader.name)).otherwise(pl.col("author")),
            date=pl.when(pl.col("date") == "").then(pl.lit(received_at.date().isoformat())).otherwise(pl.col("date")),
        )
    loaded.add(receipt.sha256)
    return Outcome(validation, "accepted", upload.partitions(), upload.archive_path, upload, receipt)


def ingest_files(paths: list[Path], settings: Settings, *, body: str | None = None, year: int | None = None,
                 phase: str | None = None, user: str | None = None, display_names: list[str] | None = None,
                 on_done=None, workers: int = 1, uploader: Uploader | None = None) -> list[Outcome]:
    """Receive each file and load it at once (command line, demo). Files are independent: one bad file stops only itself.

    The uploader defaults to the operator running the command, who may write every body. With
    ``workers`` > 1 files are read and validated in threads (calamine and polars release the GIL);
    receipts are registered and loaded in the order given, so the order of receipt is the order of the
    arguments and the single DuckDB writer is never shared.
    """
    uploader = uploader or Uploader(user or getpass.getuser())
    names = display_names or [p.name for p in paths]
    with warehouse.connect(settings.warehouse_path) as con:
        loaded = {sha for (sha,) in con.execute("SELECT DISTINCT sha256 FROM core.uploads").fetchall()}

    def check(index: int) -> Validation:
        sha = archive.sha256_of(paths[index])
        if sha in loaded:
            return Validation(names[index], sha, None, None, empty_budget_lines())
        return validate_file(paths[index], settings, body=body, year=year, phase=phase, display_name=names[index], sha256=sha,
                             schema_check=False, uploader=uploader)

    outcomes: dict[int, Outcome] = {}
    taken: list[tuple[int, Receipt]] = []
    validated: dict[int, Validation] = {}
    seen: set[str] = set()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for index, validation in enumerate(pool.map(check, range(len(paths)))):
            if validation.sha256 in loaded or validation.sha256 in seen:
                outcomes[index] = Outcome(Validation(names[index], validation.sha256, None, None, empty_budget_lines()), "unchanged")
            elif not validation.ok:
                outcomes[index] = Outcome(validation, "rejected")
            else:
                _, receipt = receive(paths[index], settings, uploader, validation=validation)
                seen.add(validation.sha256)
                taken.append((index, receipt))
                validated[receipt.seq] = validation
                continue
            if on_done:
                on_done(outcomes[index])
    results = load_receipts(settings, [r for _, r in taken], validated=validated, on_done=on_done, workers=1)
    for (index, _), outcome in zip(taken, results):
        outcomes[index] = outcome
    return [outcomes[i] for i in range(len(paths))]
