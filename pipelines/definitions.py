"""Dagster definitions of areavasta.

At this stage one asset: the canonical budget lines, loaded from the demo inbox through the
same intake code path as the command line. The full partitioned graph (metrics, matrix,
priorities, plans, reports) is built on top of it.
"""

import os
from pathlib import Path

import dagster as dg

from areavasta.settings import load_settings
from sources.intake import ingest_files


@dg.asset(kinds={"duckdb", "polars"}, description="Budget lines of every accepted file in the inbox (core.budget_lines).")
def budget_lines(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    inbox = Path(os.environ.get("AREAVASTA_INBOX", "demo/inbox"))
    files = sorted(p for p in inbox.iterdir() if p.suffix.lower() in {".xlsx", ".csv"})
    outcomes = ingest_files(files, load_settings(), user="dagster")
    rejected = [o.validation.file for o in outcomes if o.status == "rejected"]
    for outcome in outcomes:
        context.log.info(f"{outcome.validation.file}: {outcome.status} ({outcome.validation.lines.height} rows)")
    return dg.MaterializeResult(
        metadata={
            "files": len(files),
            "accepted": sum(o.status == "accepted" for o in outcomes),
            "unchanged": sum(o.status == "unchanged" for o in outcomes),
            "rejected": dg.MetadataValue.json(rejected),
        }
    )

defs = dg.Definitions(assets=[budget_lines])
