"""``make run`` at this stage: ingest the bundled sample files and say where everything is."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from areavasta import warehouse
from areavasta.classification import classify_warehouse, write_outputs
from areavasta.report import write_reports
from areavasta.settings import load_settings
from sources.intake import ingest_files


def run_demo(inbox: Path, console: Console) -> int:
    settings = load_settings()
    files = sorted(p for p in inbox.iterdir() if p.suffix.lower() in {".xlsx", ".csv"})
    outcomes = ingest_files(files, settings, user="demo")
    table = Table("file", "esito", "formato", "righe", title="Bilanci di esempio")
    for outcome in outcomes:
        v = outcome.validation
        table.add_row(v.file, outcome.status, v.layout or "", str(v.lines.height))
    console.print(table)
    with warehouse.connect(settings.warehouse_path) as con:
        summary = con.execute(
            "SELECT body, year, phase, count(*) AS righe, round(sum(amount_cents) / 100e6, 1) AS milioni_euro "
            "FROM core.budget_lines GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    totals = Table("ente", "anno", "fase", "righe", "milioni di euro", title="Magazzino")
    for row in summary:
        totals.add_row(*[str(v) for v in row])
    console.print(totals)
    with warehouse.connect(settings.warehouse_path) as con:
        result = classify_warehouse(con)
    paths = write_outputs(result, settings.outputs_dir / "classification")
    counts = result.functions.group_by("quadrant").len().sort("quadrant", nulls_last=True)
    quadrant_table = Table("quadrante", "funzioni", title="Matrice di Ruffini (tutti gli enti e anni)")
    for quadrant, n in counts.iter_rows():
        quadrant_table.add_row(quadrant or "non classificate", str(n))
    console.print(quadrant_table)
    console.print(f"Classificazione: {Path(paths['functions']).resolve()}", soft_wrap=True)
    reports = write_reports(settings)
    console.print(f"Rapporti Excel ({len(reports)}): {(settings.outputs_dir / 'reports').resolve()}", soft_wrap=True)
    console.print(f"Scenari: {(settings.outputs_dir / 'scenarios').resolve()}", soft_wrap=True)
    console.print(f"Magazzino DuckDB: {settings.warehouse_path.resolve()}", soft_wrap=True)
    console.print(f"Archivio dei file ricevuti: {settings.archive_dir.resolve()}", soft_wrap=True)
    return 1 if any(o.status == "rejected" for o in outcomes) else 0
