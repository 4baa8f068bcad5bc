"""How cost grows: ingest time and peak memory against rows, national-extract load against rows scanned,
backfill time against bodies × years. Writes the figures (CSV) and the plots (PNG) shown in docs/BENCHMARKS.md.

    .venv/bin/python bench/growth.py [--skip-ingest] [--skip-national] [--skip-backfill]

Every point runs in a fresh child process (its own peak RSS), on generated data:

* ingest: template workbooks of generated budgets (bench/.corpus, one per body and year; built when
  missing), 10^4 … 3.5·10^6 rows, `ingest_files(..., workers=2)` into a fresh warehouse;
* national extract: generated BDAP programme-level extracts of 0.05 … 5 GB (10^5 … 1.5·10^7 rows
  scanned), `load_national`;
* backfill: bench/backfill.py's loading and every analytic stage for 10 … 1,070 body-years.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import altair as alt
import polars as pl
import vl_convert as vlc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CORPUS = ROOT / "bench" / ".corpus"
OUT = ROOT / "docs" / "img"
INGEST_SIZES = [10_000, 100_000, 1_000_000, 3_500_000]
NATIONAL_GB = [0.05, 0.5, 2.0, 5.2]
BACKFILL = [(10, 1), (10, 5), (50, 5), (107, 5), (107, 10)]

CHILD_INGEST = """
import json, os, resource, sys, time; from pathlib import Path
sys.path.insert(0, {root!r}); os.environ["AREAVASTA_HOME"] = {home!r}
from warehouse.ingest import ingest_files; from sources.settings import load_settings
paths = [Path(p) for p in json.loads({paths!r})]
t = time.perf_counter(); outcomes = ingest_files(paths, load_settings(), user="bench", workers=2)
seconds = time.perf_counter() - t
assert all(o.status == "accepted" for o in outcomes), [o.status for o in outcomes][:5]
print(json.dumps({{"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

CHILD_NATIONAL = """
import json, os, resource, sys, time; from pathlib import Path
sys.path.insert(0, {root!r}); os.environ["AREAVASTA_HOME"] = {home!r}
from warehouse.national_extracts import load_national; from sources.settings import load_settings
t = time.perf_counter(); o = load_national(Path({path!r}), load_settings()); seconds = time.perf_counter() - t
assert o.ok
print(json.dumps({{"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

CHILD_BACKFILL = """
import json, resource, subprocess, sys, time; from pathlib import Path
sys.path.insert(0, {root!r})
import dagster as dg
from pipelines.assets import ALL_ASSETS, LAYERS, STAGE_ASSETS
from pipelines.partitions import year_range_tags
from pipelines.resources import Warehouse
from pipelines.runner import register
codes, years, home = {codes!r}, {years!r}, {home!r}
subprocess.run([sys.executable, {backfill!r}, "--years", f"{{years[0]}}-{{years[-1]}}", "--bodies", ",".join(codes),
                "--load-into", home], check=True, capture_output=True)
instance = dg.DagsterInstance.ephemeral(); register(instance, years)
resources = {{"warehouse_db": Warehouse(home=home)}}
quiet = {{"loggers": {{"console": {{"config": {{"log_level": "WARNING"}}}}}}}}
t = time.perf_counter()
outputs = ("report_workbooks", "dashboard_pages")
selection = [STAGE_ASSETS[n] for _, names in LAYERS for n in names if n not in outputs]
assert dg.materialize(
    ALL_ASSETS, selection=selection, instance=instance, resources=resources,
    tags=year_range_tags(years[0], years[-1]), run_config=quiet
).success
print(json.dumps({{"seconds": time.perf_counter() - t,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def child(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def ingest_points() -> list[dict]:
    from bench.ingest import bare_read, build_corpus
    from sources.reference import bodies

    codes = bodies()["istat_code"].sort().to_list()
    files = [p for year in range(2025, 2015, -1) for p in build_corpus(codes, year)]
    rows = {p: bare_read(p) for p in files}
    points = []
    for size in INGEST_SIZES:
        chosen, total = [], 0
        for path in files:
            if total >= size:
                break
            chosen.append(path)
            total += rows[path]
        if total < size * 0.9:
            break
        with tempfile.TemporaryDirectory() as home:
            result = child(CHILD_INGEST.format(root=str(ROOT), home=home, paths=json.dumps([str(p) for p in chosen])))
        points.append({"measure": "ingest (workbooks)", "rows": total, "files": len(chosen), **result})
        print(points[-1], flush=True)
    return points


def national_points() -> list[dict]:
    from bench.national_extract import write_extract

    points = []
    for gigabytes in NATIONAL_GB:
        path = CORPUS / f"bdap_growth_{gigabytes}.csv"
        stats = write_extract(path, gigabytes)
        with tempfile.TemporaryDirectory(dir=CORPUS) as home:
            result = child(CHILD_NATIONAL.format(root=str(ROOT), home=home, path=str(path)))
        path.unlink()
        points.append({"measure": "national extract (rows scanned)", "rows": stats["rows"], "files": 1, **result})
        print(points[-1], flush=True)
    return points


def backfill_points() -> list[dict]:
    from sources.reference import bodies

    every = bodies()["istat_code"].sort().to_list()
    points = []
    for n_bodies, n_years in BACKFILL:
        codes, years = every[:n_bodies], list(range(2026 - n_years, 2026))
        with tempfile.TemporaryDirectory() as home:
            result = child(
                CHILD_BACKFILL.format(
                    root=str(ROOT), codes=codes, years=years, home=home, backfill=str(ROOT / "bench" / "backfill.py")
                )
            )
        points.append({"measure": "backfill (analytic tables)", "body_years": n_bodies * n_years, **result})
        print(points[-1], flush=True)
    return points


def plot(frame: pl.DataFrame, x: str, x_title: str, name: str) -> Path:
    base = alt.Chart(frame).encode(
        x=alt.X(f"{x}:Q", scale=alt.Scale(type="log"), title=x_title), color=alt.Color("measure:N", title=None)
    )
    seconds = base.mark_line(point=True).encode(y=alt.Y("seconds:Q", scale=alt.Scale(type="log"), title="seconds"))
    memory = base.mark_line(point=True).encode(y=alt.Y("rss_mb:Q", title="peak RSS (MB)"))
    chart = alt.hconcat(
        seconds.properties(width=320, height=220), memory.properties(width=320, height=220)
    ).configure_legend(orient="bottom")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    path.write_bytes(vlc.vegalite_to_png(chart.to_json(), scale=1.5))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-national", action="store_true")
    parser.add_argument("--skip-backfill", action="store_true")
    args = parser.parse_args()
    rows = ([] if args.skip_ingest else ingest_points()) + ([] if args.skip_national else national_points())
    if rows:
        frame = pl.DataFrame(rows)
        print(plot(frame, "rows", "rows", "growth_rows"))
        frame.write_csv(OUT / "growth_rows.csv")
    if not args.skip_backfill:
        frame = pl.DataFrame(backfill_points())
        print(plot(frame, "body_years", "body-years (bodies × years)", "growth_backfill"))
        frame.write_csv(OUT / "growth_backfill.csv")


if __name__ == "__main__":
    main()
