"""Load a national open-data extract (BDAP, programme level) into ``core.national_lines``, all or nothing.

The file is copied into the archive and hashed in one pass, in a thread beside the streaming scan
(``sources.national``); the selected rows become budget lines (``transforms.national``). A file with
an error writes nothing and leaves no copy; an accepted one replaces the rows of the bodies, years
and phase it holds, and is recorded in ``core.national_extracts`` (one transaction). The archive's sidecar
records each load (rows per body, year and phase; once committed, when), so that ``areavasta rebuild``
loads every extract again, in the same order, through the same checks and writes (``replay_national``).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from sources import archive
from sources.findings import Finding, has_errors
from sources.national import scan, stream_profile
from sources.reference import bodies, macroaggregates, programmes, titles
from sources.settings import Settings
from transforms.national import national_lines
from warehouse import store, tables

MAX_FINDINGS_PER_CODE = 50  # a broken national file can have millions of bad rows: the first ones say enough


@dataclass
class NationalOutcome:
    file: str
    status: str  # loaded | rejected
    findings: list[Finding] = field(default_factory=list)
    sha256: str | None = None
    lines: int = 0
    bodies: int = 0
    years: list[int] = field(default_factory=list)
    phase: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    frame: pl.DataFrame | None = None  # the checked lines, until they are loaded

    @property
    def ok(self) -> bool:
        return self.status in ("checked", "loaded")


def load_national(path: Path, settings: Settings, user: str = "") -> NationalOutcome:
    name = path.name
    started, received_at = time.perf_counter(), time.strftime("%Y-%m-%dT%H:%M:%S")
    profile = stream_profile(path)
    if profile is None:
        return NationalOutcome(
            name,
            "rejected",
            [
                Finding(
                    "HEADER_NOT_FOUND", file=name, row=1, params={"expected": "Esercizio Finanziario, Codice Programma"}
                )
            ],
        )
    with ThreadPoolExecutor(max_workers=2) as pool:  # hash and compressed archive copy beside the scan
        hashed = pool.submit(archive.sha256_of, path)
        copied = pool.submit(archive.spool, path, settings.archive_dir, compress=True)
        outcome = _checked(path, profile, name)
        mark = time.perf_counter()
        sha, spooled = hashed.result(), copied.result()
    outcome.sha256 = sha
    outcome.seconds["archive_wait"] = time.perf_counter() - mark
    if not outcome.ok:
        spooled.unlink(missing_ok=True)
        return outcome
    load = uuid.uuid4().hex  # this load's entry on the sidecar, settled once the warehouse committed
    metadata = {
        "original_name": name,
        "user": user,
        "received_at": received_at,
        "layout": profile.name,
        "status": "received",
        "content": "national",
        "load": load,
        "partition_rows": partition_rows(outcome.frame),
        "order": dt.datetime.now().isoformat(),  # until the load holds the warehouse
        "stored": "zstd",
    }  # decompressed, the archived file is the received one (areavasta restore)
    target = archive.file_spooled(spooled, settings.archive_dir, sha, "csv", metadata, compressed=True)
    mark = time.perf_counter()
    with store.connect(settings.warehouse_path) as con:
        at = (
            dt.datetime.now()
        )  # while holding the warehouse (one writer): the order of the loads, recorded before the commit
        archive.settle_entry(target, load, order=at.isoformat())
        write(
            con, outcome, target, profile.name, user, at.isoformat()
        )  # the order, exactly: two loads in one second differ
    outcome.seconds["load"] = time.perf_counter() - mark
    outcome.seconds["total"] = time.perf_counter() - started
    archive.settle_entry(target, load, status="loaded", loaded_at=at.isoformat())
    return outcome


def replay_national(stored: Path, entry: dict, settings: Settings, con) -> NationalOutcome:
    """An archived extract loaded again into ``con`` as its sidecar entry records it (``areavasta rebuild``): the same
    checks and the same writes as ``load_national``, with the name, user and time of the original load."""
    name = entry.get("original_name") or stored.name
    sha = stored.name.split(".")[0]
    with tempfile.TemporaryDirectory(dir=settings.home, prefix=".ricostruzione-") as folder:
        copy = Path(folder) / "estratto.csv"
        if archive.restore(stored, copy) != sha:
            return NationalOutcome(
                name, "rejected", [Finding("INTAKE_FAILED", file=name, params={"detail": "SHA-256"})], sha256=sha
            )
        profile = stream_profile(copy)
        if profile is None:
            return NationalOutcome(
                name,
                "rejected",
                [
                    Finding(
                        "HEADER_NOT_FOUND",
                        file=name,
                        row=1,
                        params={"expected": "Esercizio Finanziario, Codice Programma"},
                    )
                ],
                sha256=sha,
            )
        outcome = _checked(copy, profile, name)
    outcome.sha256 = sha
    if outcome.ok:
        write(
            con,
            outcome,
            stored,
            profile.name,
            entry.get("user", ""),
            entry.get("loaded_at") or entry.get("received_at", ""),
        )
    return outcome


def write(con, outcome: NationalOutcome, stored: Path, layout: str, user: str, loaded_at: str) -> None:
    """The checked lines in ``core.national_lines`` (replacing the bodies, years and phase they hold) and the extract in
    ``core.national_extracts``, in one transaction."""
    lines = outcome.frame.with_columns(extract_sha256=pl.lit(outcome.sha256))
    keys = lines.select("body", "year", "phase").unique()
    record = pl.DataFrame(
        {
            "sha256": [outcome.sha256],
            "file": [outcome.file],
            "stored_as": [str(stored)],
            "layout": [layout],
            "phase": [outcome.phase],
            "lines": [lines.height],
            "bodies": [keys["body"].n_unique()],
            "years": [",".join(str(y) for y in sorted(keys["year"].unique()))],
            "user": [user],
            "loaded_at": [loaded_at],
        }
    )
    store.replace_together(
        con,
        {tables.NATIONAL_LINES: (lines, keys), tables.NATIONAL_EXTRACTS: (record, record.select("sha256"))},
        views=True,
    )
    outcome.status, outcome.lines, outcome.bodies, outcome.frame = "loaded", lines.height, keys["body"].n_unique(), None
    outcome.years = sorted(keys["year"].unique().to_list())


def partition_rows(lines: pl.DataFrame) -> dict[str, int]:
    """Rows per body, year and phase (``237|2025|rendiconto``): what the archive records of a load, to check a rebuild
    by."""
    counts = lines.group_by("body", "year", "phase").len().sort("body", "year", "phase")
    return {f"{b}|{y}|{p}": n for b, y, p, n in counts.iter_rows()}


def _checked(path: Path, profile, name: str) -> NationalOutcome:
    """Scan and validate: ``status`` is ``checked`` with the lines in ``frame``, or ``rejected`` with the findings."""
    mark = time.perf_counter()
    scanned = scan(path, profile, name)
    outcome = NationalOutcome(
        name, "rejected", list(scanned.findings), phase=scanned.phase, seconds={"scan": time.perf_counter() - mark}
    )
    if not has_errors(outcome.findings) and scanned.rows.is_empty():
        outcome.findings.append(
            Finding("NATIONAL_NO_ROWS", file=name, params={"column": profile.spec["columns"]["body_type"][0]})
        )
    if not has_errors(outcome.findings) and scanned.phase is None:
        outcome.findings.append(Finding("PHASE_MISSING", file=name))
    if has_errors(outcome.findings):
        return outcome
    mark = time.perf_counter()
    known = bodies().select(
        pl.col("istat_code").alias("body"), pl.col("historical_province_code").alias("province_code")
    )
    lines, problems = national_lines(
        scanned.rows,
        known,
        scanned.phase,
        {
            "programma": programmes()["code"].to_list(),
            "macroaggregato": macroaggregates()["code"].to_list(),
            "titolo": titles()["code"].to_list(),
        },
    )
    outcome.findings += _findings(problems, scanned.letters, name)
    outcome.seconds["validate"] = time.perf_counter() - mark
    if not any(f.is_error for f in outcome.findings):
        outcome.status, outcome.frame = "checked", lines
    return outcome


def _findings(problems: pl.DataFrame, letters: dict[str, str], name: str) -> list[Finding]:
    """Problems (line, field, code, value, related) as located findings, at most ``MAX_FINDINGS_PER_CODE`` of each
    code."""
    out = []
    for _, group in problems.group_by("code", maintain_order=True):
        for p in group.head(MAX_FINDINGS_PER_CODE).iter_rows(named=True):
            letter = letters.get(p["field"])
            value, related = p["value"] or "", p["related"] or ""
            params = {
                "value": value,
                "key": value,
                "other_row": p["other_line"] or "",
                "programma": value,
                "missione": related,
                "macroaggregato": value,
                "titolo": related,
            }
            out.append(
                Finding(
                    p["code"],
                    file=name,
                    row=p["_line"],
                    cell=f"{letter}{p['_line']}" if letter else None,
                    params=params,
                )
            )
    return out
