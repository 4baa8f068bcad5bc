"""What a run records on the uploads it worked with (``sources.readiness``): the outputs it wrote, or its failure.

``record_outputs``: after a stage wrote files for a body, year and phase, every upload in use for it in the warehouse
(``core.uploads``, status current, with its receipt) records those files, so that the portal says "ready" only from
this record and links only files that include the upload. ``record_failure``: a stage that raised, or a blocking
check that failed, records the failure on the receipts of its partitions that are waiting for their results.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources import readiness, receipts
from warehouse import store as warehouse

LOADING, OUTPUTS = ("budget_lines",), ("report_workbooks", "dashboard_pages")


def stage_word(stage: str, check: bool = False) -> str:
    """The step of the run in the officer's words (a key of ``sources.readiness.WORDS[lang]["stages"]``)."""
    return "checks" if check else "loading" if stage in LOADING else "outputs" if stage in OUTPUTS else "method"


def record_outputs(con, settings, keys: pl.DataFrame, run_id: str, files) -> int:
    """Record the files of ``files`` (paths) written under the outputs folder on the uploads in use for their body,
    year and phase among ``keys``; returns how many receipts recorded something."""
    root = Path(settings.outputs_dir).resolve()
    by_stem: dict[str, dict[str, Path]] = {}
    for path in map(Path, files):
        resolved = path.resolve()
        if resolved.is_file() and resolved.is_relative_to(root) and path.suffix[1:] in readiness.SUFFIXES:
            by_stem.setdefault(path.stem, {})[path.name] = settings.outputs_dir / resolved.relative_to(root)
    if not by_stem:
        return 0
    in_use = (
        warehouse.uploads(con)
        .filter(pl.col("status") == receipts.CURRENT, pl.col("receipt_seq").is_not_null())
        .join(keys.select("body", "year").unique(), on=["body", "year"], how="semi")
    )
    recorded = 0
    for body, year, phase, seq in in_use.select("body", "year", "phase", "receipt_seq").unique().rows():
        written = by_stem.get(f"{body}_{year}_{phase}")
        if written:
            readiness.record_outputs(settings, int(seq), run_id, written)
            recorded += 1
    return recorded


def record_failure(settings, keys: pl.DataFrame, run_id: str, stage: str, check: bool = False) -> int:
    """Record that ``stage`` failed on the receipts of ``keys``' bodies and years still waiting for results (received,
    or in use): the officer's page says so instead of "in preparazione" for ever."""
    by_body = "body" in keys.columns
    wanted = {
        (str(r[0]), int(r[1])) if by_body else int(r[0]) for r in keys.select(*(["body"] * by_body), "year").rows()
    }
    found = 0
    for receipt in receipts.all_receipts(settings):
        touched = any(((str(b), int(y)) if by_body else int(y)) in wanted for b, y, _ in receipt.partitions)
        if receipt.status not in (receipts.RECEIVED, receipts.CURRENT) or not touched:
            continue
        readiness.record_failure(settings, receipt.seq, run_id, stage_word(stage, check))
        found += 1
    return found
