"""Benchmark: full ingest against the bare calamine read and against openpyxl, on generated workbooks.

    .venv/bin/python bench/ingest.py [--bodies all] [--workers 1 2] [--openpyxl-files 25] [--repeat 3]

The corpus (one template workbook per body, ~1k-18k chapter lines each; 107 bodies by default)
is generated once into bench/.corpus/ and reused. Reported per mode (sequential, 2 threads):

* bare read: ``fastexcel.read_excel(f).load_sheet("Dati").to_polars()`` of every file;
* full ingest: container checks + read + validate + normalise + archive + DuckDB load,
  into a fresh warehouse each repeat;
* openpyxl: the same sheet read with ``openpyxl.load_workbook(read_only=True)`` (a subset of files,
  rows/s extrapolated).

Targets (issue 2): full ingest >= 0.75 x the bare read's rows/s; >= 10 x openpyxl's rows/s.

``--shapes`` also measures whether throughput holds with file size (issue 15): 10 workbooks of
200,000 rows and 1,000 workbooks of 300 rows (built from generated budgets: chapters repeated with
their amounts divided, or cut to their first rows), each against its own bare read.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import fastexcel
import openpyxl
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sources.reference import bodies as body_table
from sources.samples.budget import generate_budget
from sources.settings import load_settings
from sources.template import write_template
from warehouse.ingest import ingest_files

CORPUS = Path(__file__).parent / ".corpus"


def build_corpus(codes: list[str], year: int = 2025, phase: str = "rendiconto") -> list[Path]:
    CORPUS.mkdir(exist_ok=True)
    paths = []
    for code in codes:
        path = CORPUS / f"{code}_{year}_{phase}_template.xlsx"
        if not path.exists():
            write_template(path, code, year, phase, generate_budget(code, year, phase))
        paths.append(path)
    return paths


def shape_corpus(files: int, rows: int) -> list[Path]:
    """``files`` workbooks of exactly ``rows`` lines each, from generated budgets of different bodies."""
    folder = CORPUS / f"shape_{files}x{rows}"
    folder.mkdir(parents=True, exist_ok=True)
    codes = body_table()["istat_code"].to_list()
    paths = []
    for number in range(files):
        code = codes[number % len(codes)]
        year = 2025 - number // len(codes)
        path = folder / f"{code}_{year}_rendiconto_{number}.xlsx"
        if not path.exists():
            lines = generate_budget(code, year, "rendiconto")
            copies = -(-rows // lines.height)
            if copies > 1:  # the same chapters again under new numbers, the body's total unchanged
                lines = pl.concat(
                    [
                        lines.with_columns(
                            capitolo=pl.col("capitolo") + f"-{copy}", amount_cents=pl.col("amount_cents") // copies
                        )
                        for copy in range(copies)
                    ]
                )
            write_template(path, code, year, "rendiconto", lines.head(rows))
        paths.append(path)
    return paths


def measure_shapes(workers: int, repeat: int) -> None:
    for files, rows in [(10, 200_000), (1_000, 300)]:
        start = time.perf_counter()
        paths = shape_corpus(files, rows)
        print(f"shape {files} x {rows:,} rows: corpus ready in {time.perf_counter() - start:.0f} s")
        total = sum(bare_read(p) for p in paths)
        with ThreadPoolExecutor(workers) as pool:
            bare = timed(lambda: list(pool.map(bare_read, paths)), repeat)
        full = timed(lambda: full_ingest(paths, workers), repeat)
        print(
            f"  workers={workers}: bare read {total / bare:,.0f} rows/s | full ingest {total / full:,.0f} rows/s "
            f"({full:.2f} s for {total:,} rows) | ingest/bare = {bare / full:.2f}"
        )


def full_ingest(paths: list[Path], workers: int) -> None:
    """One full ingest into a fresh warehouse; every file must be accepted."""
    home = Path(tempfile.mkdtemp(prefix="areavasta-bench-"))
    try:
        outcomes = ingest_files(paths, load_settings().with_(home=home), user="bench", workers=workers)
        assert all(o.status == "accepted" for o in outcomes), [
            o.validation.findings[:3] for o in outcomes if o.status != "accepted"
        ]
    finally:
        shutil.rmtree(home)


def bare_read(path: Path) -> int:
    return fastexcel.read_excel(str(path)).load_sheet("Dati", header_row=4).to_polars().height


def openpyxl_read(path: Path) -> int:
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = sum(1 for _ in workbook["Dati"].iter_rows(min_row=6, values_only=True))
    workbook.close()
    return rows


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def stage_breakdown(paths: list[Path]) -> None:
    """Seconds spent in each stage of one sequential ingest (where the time goes)."""
    from collections import defaultdict

    import sources.extract as extract_module
    from sources import archive, intake
    from warehouse import loading
    from warehouse import store as warehouse

    spent: dict[str, float] = defaultdict(float)

    def wrap(module, name: str, label: str) -> None:
        original = getattr(module, name)

        def timed_call(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - start

        setattr(module, name, timed_call)

    for module, name, label in [
        (extract_module, "inspect_file", "container checks"),
        (extract_module, "read_sheet", "calamine read (strings)"),
        (extract_module, "read_table", "reader engine"),
        (intake, "check_lines", "domain checks"),
        (intake, "to_canonical", "normalise"),
        (loading, "check_schema", "pandera (per batch)"),
        (archive, "store", "archive copy"),
        (warehouse, "load", "DuckDB load"),
    ]:
        wrap(module, name, label)
    home = Path(tempfile.mkdtemp(prefix="areavasta-bench-"))
    start = time.perf_counter()
    ingest_files(paths, load_settings().with_(home=home), user="bench", workers=1)
    wall = time.perf_counter() - start
    shutil.rmtree(home)
    print(f"stages of one sequential ingest ({wall:.2f} s wall; stages overlap with the formula scan thread):")
    for label, seconds in spent.items():
        print(f"  {label:28s} {seconds:6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bodies", default="all")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--openpyxl-files", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stages", action="store_true", help="also print where the ingest time goes")
    parser.add_argument(
        "--shapes", action="store_true", help="also 10 files of 200,000 rows and 1,000 files of 300 rows"
    )
    args = parser.parse_args()
    codes = body_table()["istat_code"].to_list() if args.bodies == "all" else args.bodies.split(",")
    start = time.perf_counter()
    paths = build_corpus(codes)
    print(f"corpus: {len(paths)} workbooks in {CORPUS} ({time.perf_counter() - start:.1f} s to build or find)")
    rows = sum(bare_read(p) for p in paths)  # also warms the page cache
    print(f"rows: {rows:,} ({min(bare_read(p) for p in paths):,}-{max(bare_read(p) for p in paths):,} per file)")

    subset = paths[:: max(1, len(paths) // args.openpyxl_files)][: args.openpyxl_files]
    subset_rows = sum(bare_read(p) for p in subset)
    openpyxl_seconds = timed(lambda: [openpyxl_read(p) for p in subset], 1)
    openpyxl_rate = subset_rows / openpyxl_seconds
    print(f"openpyxl read-only, {len(subset)} files: {openpyxl_rate:,.0f} rows/s")

    for workers in args.workers:
        with ThreadPoolExecutor(workers) as pool:
            bare = timed(lambda: list(pool.map(bare_read, paths)), args.repeat)

        full = timed(lambda: full_ingest(paths, workers), args.repeat)
        bare_rate, full_rate = rows / bare, rows / full
        print(
            f"workers={workers}: bare read {bare:.2f} s ({bare_rate:,.0f} rows/s) | full ingest {full:.2f} s "
            f"({full_rate:,.0f} rows/s) | ingest/bare = {full_rate / bare_rate:.2f} (target >= 0.75) | "
            f"ingest/openpyxl = {full_rate / openpyxl_rate:.1f}x (target >= 10)"
        )
    if args.stages:
        stage_breakdown(paths)
    if args.shapes:
        for workers in args.workers:
            measure_shapes(workers, args.repeat)


if __name__ == "__main__":
    main()
