"""Receipts into the warehouse, in order of receipt (the inbox sensor, the command line, the demo).

``load_receipts`` takes pending receipts (``sources.receipts``) in order, reads each archived file again with the body,
year, phase and rights its receipt records, and loads batches of whole files in one transaction each
(``warehouse.uploads``); only after the commit are the receipts settled as the warehouse holds them (current or
superseded). ``warehouse.ingest.ingest_files`` receives files and loads them at once, for the command line.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from sources import archive, receipts
from sources import validated as sources_validated
from sources.findings import Finding
from sources.intake import (
    Validation,
    check_schema,
    validate_files,
)
from sources.model import empty_budget_lines
from sources.receipts import Receipt
from sources.settings import Settings
from warehouse import store, uploads

CHUNK_FILES = 16  # files validated as one batch, then received and loaded, while the next ones are read
BATCH_ROWS = 250_000  # accepted rows per warehouse transaction: about two DuckDB row groups (122,880 rows), written
# straight to the file; smaller transactions go through the write-ahead log and cost 1.8x as much (docs/BENCHMARKS.md)
LOAD_MEMORY = (
    "256MB"  # DuckDB's buffer pool while loading: written blocks need not stay cached (peak RSS -350 MB at 3.5M rows)
)

# what is in use, file by partition: the same bytes for the same body, year and phase change nothing; the same bytes for
# another body (a BDAP summary two officers each send for their own body) load; a file replaced since may come back
CURRENT_FILES = "SELECT sha256, body, year, phase, content FROM core.uploads WHERE status = 'current'"


def in_use(con: duckdb.DuckDBPyConnection) -> dict[str, set[tuple]]:
    """SHA-256 -> the (body, year, phase, table) it is in use for."""
    found: dict[str, set[tuple]] = {}
    for sha, body, year, phase, content in con.execute(CURRENT_FILES).fetchall():
        found.setdefault(sha, set()).add((body, year, phase, content))
    return found


def already_loaded(in_use: dict[str, set[tuple]], sha: str, partitions, table: str) -> bool:
    """Is this file already in use for every one of these partitions? (never judged by the bytes alone)"""
    wanted = {(str(b), int(y), str(p), table) for b, y, p in partitions}
    return bool(wanted) and wanted <= in_use.get(sha, set())


@dataclass
class Outcome:
    validation: Validation
    status: str  # accepted | rejected | unchanged | held
    partitions: list[tuple[str, int, str]] = field(default_factory=list)
    archive_path: Path | None = None
    upload: uploads.Upload | None = field(default=None, repr=False)
    receipt: Receipt | None = None


OUTCOME_WORDS = {
    "accepted": ("[green]caricato[/]", "[green]loaded[/]"),
    "rejected": ("[red]respinto[/]", "[red]rejected[/]"),
    "unchanged": ("[blue]già presente[/]", "[blue]already loaded[/]"),
    "held": ("[yellow]in attesa di conferma[/]", "[yellow]waiting for confirmation[/]"),
}  # rich markup, Italian and English


def load_receipts(
    settings: Settings,
    pending: list[Receipt] | None = None,
    *,
    validated: dict[int, Validation] | None = None,
    on_done=None,
    workers: int = 1,
    con: duckdb.DuckDBPyConnection | None = None,
    settle: bool = True,
) -> list[Outcome]:
    """Load receipts into the warehouse in order of receipt (the latest receipt of a partition ends current).

    Each archived file is read again with the body, year, phase and rights its receipt records, unless the
    intake kept its validated lines under the same rules (``sources.validated``) or ``validated`` hands over the
    dry runs of files received by this same process; a chunk of receipts is validated as one batch, their files
    read in ``workers`` threads. Batches of whole files go in one transaction each; only after the commit are
    their receipts settled as the warehouse holds them (current or superseded). A receipt the warehouse already
    holds (the previous load died after its commit) is settled from the warehouse and reported as loaded, so its
    runs are requested. Held receipts are never loaded: they are not pending.
    ``con``: a warehouse connection the caller keeps open across calls. ``settle=False`` leaves the register alone
    (a rebuild into a new warehouse settles it once that warehouse is in place).
    """
    pending = sorted(receipts.pending(settings) if pending is None else pending, key=lambda r: r.seq)
    validated = validated or {}
    outcomes: list[Outcome] = []
    batch: list[Outcome] = []
    with _connection(settings, con) as con:
        loaded = in_use(con)
        committed = {
            seq
            for (seq,) in con.execute(
                "SELECT DISTINCT receipt_seq FROM core.uploads WHERE receipt_seq IS NOT NULL"
            ).fetchall()
        }

        def check(chunk: list[Receipt]) -> list[Validation]:
            """The chunk's receipts validated as one batch, each within its receipt's rights; a file already loaded, or
            validated at intake under the same rules, is not read."""
            same = {r.seq for r in chunk if already_loaded(loaded, r.sha256, r.partitions, r.table)}
            kept = {r.seq: _kept(settings, r) for r in chunk if r.seq not in validated and r.seq not in same}
            checked = validate_batch(
                settings,
                workers,
                [
                    (
                        Path(r.archive_path),
                        r.original_name,
                        r.sha256,
                        None
                        if r.seq in same or r.seq in validated or kept.get(r.seq)
                        else dict(body=r.body, year=r.year, phase=r.phase, uploader=r.uploader),
                    )
                    for r in chunk
                ],
            )
            return [validated.get(r.seq) or kept.get(r.seq) or v for r, v in zip(chunk, checked)]

        def flush() -> None:
            for table in {o.upload.table for o in batch}:
                check_schema(
                    pl.concat([o.upload.lines for o in batch if o.upload.table == table]), f"{len(batch)} file", table
                )
            uploads.load(con, [o.upload for o in batch])
            if settle:
                settle_from_warehouse(
                    settings, con, [o.receipt for o in batch]
                )  # committed: now, and only now, the receipts say so
            for outcome in batch:
                if on_done:
                    on_done(outcome)
                outcome.validation.release()
                outcome.upload.lines = outcome.validation.lines
            batch.clear()

        for start in range(
            0, len(pending), CHUNK_FILES
        ):  # a chunk at a time: memory stays flat however long the backlog
            chunk = pending[start : start + CHUNK_FILES]
            recovered = [r for r in chunk if r.seq in committed]
            if recovered:  # loaded by a load that died before it could say so: the warehouse is the truth
                if settle:
                    settle_from_warehouse(settings, con, recovered)
                for receipt in recovered:
                    outcomes.append(
                        Outcome(
                            Validation(
                                receipt.original_name,
                                receipt.sha256,
                                receipt.layout,
                                receipt.kind,
                                empty_budget_lines(),
                                table=receipt.table,
                            ),
                            "accepted",
                            [tuple(p) for p in receipt.partitions],
                            Path(receipt.archive_path),
                            receipt=receipt,
                        )
                    )
                    if on_done:
                        on_done(outcomes[-1])
                chunk = [r for r in chunk if r.seq not in committed]
            for receipt, validation in zip(chunk, check(chunk)):
                outcome = _outcome(receipt, validation, loaded)
                outcomes.append(outcome)
                if outcome.status == "accepted":
                    batch.append(outcome)
                    if sum(o.upload.lines.height for o in batch) >= BATCH_ROWS:
                        flush()
                elif settle:
                    receipts.mark(
                        settings,
                        receipt,
                        outcome.status,
                        "; ".join(f.message() for f in validation.findings if f.is_error)[:2000],
                    )
                    sources_validated.discard(settings, receipt)
                    if on_done:
                        on_done(outcome)
        flush()
    return outcomes


def _kept(settings: Settings, receipt: Receipt) -> Validation | None:
    """The lines the intake validated for this receipt, while the rules are the same (``sources.validated``)."""
    found = sources_validated.load(settings, receipt)
    if found is None:
        return None
    lines, overrides = found
    partitions = {tuple(p) for p in lines.select("body", "year", "phase").unique().rows()}
    if (
        partitions != {tuple(p) for p in receipt.partitions}
        or set(lines["source_sha256"].unique()) != {receipt.sha256}
        or not all(receipt.uploader.may_write(body) for body, _, _ in partitions)
    ):
        return None  # not this receipt's lines (altered on disk): the archived file is read again, within its rights
    return Validation(
        receipt.original_name,
        receipt.sha256,
        receipt.layout,
        receipt.kind,
        lines,
        overrides=overrides,
        table=receipt.table,
        body=receipt.body,
    )


def settle_from_warehouse(settings: Settings, con: duckdb.DuckDBPyConnection, loaded: list[Receipt]) -> None:
    """The receipts just loaded, and those they replaced, as the warehouse now holds them; kept lines let go."""
    states = uploads.receipt_states(con, [r.seq for r in loaded], [r.sha256 for r in loaded])
    receipts.settle(
        settings, {seq: state for seq, (state, _) in states.items()}, {seq: by for seq, (_, by) in states.items() if by}
    )
    for receipt in loaded:
        sources_validated.discard(settings, receipt)


def validate_batch(
    settings: Settings, workers: int, files: list[tuple[Path, str, str, dict | None]]
) -> list[Validation]:
    """Files (path, name, SHA-256, keyword arguments of ``validate_file`` or None when already loaded) validated as one
    batch (``sources.steps``): a file already loaded gets an empty validation, a failed one a rejection of its own."""
    todo = [i for i, (_, _, _, job) in enumerate(files) if job is not None]
    results = (
        {}
        if not todo
        else dict(
            zip(
                todo,
                validate_files(
                    [
                        dict(
                            path=files[i][0],
                            display_name=files[i][1],
                            sha256=files[i][2],
                            schema_check=False,
                            **files[i][3],
                        )
                        for i in todo
                    ],
                    settings,
                    workers,
                ),
            )
        )
    )
    checked = []
    for i, (path, name, sha, _) in enumerate(files):
        result = results.get(i)
        if result is None:  # already in the warehouse: not read again
            result = Validation(name, sha, None, None, empty_budget_lines())
        elif isinstance(result, Exception):  # one file's failure rejects that file only
            result = failed_validation(path, result, name, sha)
        checked.append(result)
    return checked


@contextmanager
def _connection(settings: Settings, con: duckdb.DuckDBPyConnection | None):
    """The caller's warehouse connection, or one of our own for the duration."""
    if con is not None:
        yield con
        return
    with store.connect(settings.warehouse_path, memory_limit=LOAD_MEMORY) as own:
        yield own


def _outcome(receipt: Receipt, validation: Validation, loaded: dict[str, set[tuple]]) -> Outcome:
    """What becomes of one receipt; an accepted one is queued for the warehouse with its uploader and time of
    receipt."""
    if already_loaded(
        loaded, receipt.sha256, receipt.partitions, receipt.table
    ):  # already in use, or twice in this call
        return Outcome(
            Validation(receipt.original_name, receipt.sha256, None, None, empty_budget_lines()),
            "unchanged",
            receipt=receipt,
        )
    if not validation.ok:
        return Outcome(validation, "rejected", receipt=receipt)
    received_at = dt.datetime.fromisoformat(receipt.received_at)
    upload = uploads.Upload(
        validation.lines,
        receipt.sha256,
        receipt.original_name,
        validation.layout,
        receipt.uploader.name,
        Path(receipt.archive_path),
        received_at=received_at,
        table=validation.table,
        receipt_seq=receipt.seq,
    )
    if validation.overrides is not None:  # who and when default to the uploader and the upload
        upload.overrides = validation.overrides.with_columns(
            author=pl.when(pl.col("author") == "").then(pl.lit(receipt.uploader.name)).otherwise(pl.col("author")),
            date=pl.when(pl.col("date") == "").then(pl.lit(received_at.date().isoformat())).otherwise(pl.col("date")),
        )
    taken = {(b, y, p, upload.table) for b, y, p in upload.partitions()}
    for (
        partitions
    ) in loaded.values():  # one file in use per partition: the file it replaces is no longer in use there, and
        partitions -= taken  # may come back later in the same call (a file replaced by mistake, sent again)
    loaded.setdefault(receipt.sha256, set()).update(taken)
    return Outcome(validation, "accepted", upload.partitions(), upload.archive_path, upload, receipt)


def failed_validation(path: Path, exc: Exception, name: str | None = None, sha256: str | None = None) -> Validation:
    """What an unexpected failure on one file becomes: a rejection with a finding, so the other files go on."""
    detail = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}"
    try:
        sha = sha256 or archive.sha256_of(path)
    except OSError:
        sha = "0" * 64
    return Validation(
        name or path.name,
        sha,
        None,
        None,
        empty_budget_lines(),
        [Finding("INTAKE_FAILED", file=name or path.name, params={"detail": detail})],
    )
