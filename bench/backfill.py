"""Benchmark: national backfill through Dagster — 107 bodies × 10 years of generated data.

    .venv/bin/python bench/backfill.py [--years 2016-2025] [--bodies all] [--subset 5]

Generated canonical lines are loaded straight into a fresh warehouse (the ingest has its own
benchmark, bench/ingest.py). Then, timed: every analytic table for every body and year in one
single-run backfill over the years (every asset is partitioned by year, the bodies are data), then
the workbooks and pages of the latest year; the events Dagster recorded, the peak memory of the
process; and, for a subset of bodies, the body stages with one run per body (as uploads) and one run
for all.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.assets import ALL_ASSETS, LAYERS, STAGE_ASSETS
from pipelines.graph import STAGES
from pipelines.partitions import body_tags, year_range_tags
from pipelines.resources import Warehouse
from pipelines.runner import register
from sources.model import conform
from sources.reference import bodies as body_table
from sources.samples.budget import generate_budget
from sources.samples.writer import parse_years
from sources.settings import load_settings
from warehouse import store as warehouse

CORPUS = Path(__file__).parent / ".corpus"


def national_lines(codes: list[str], years: list[int]) -> pl.DataFrame:
    path = CORPUS / f"national_{len(codes)}_{years[0]}_{years[-1]}.parquet"
    if not path.exists():
        CORPUS.mkdir(exist_ok=True)
        frames = [
            conform(
                generate_budget(c, y, "rendiconto").with_columns(
                    source_sha256=pl.lit("0" * 64), source_file=pl.lit("generated")
                )
            )
            for c in codes
            for y in years
        ]
        pl.concat(frames).write_parquet(path)
    return pl.read_parquet(path)


def cpu() -> float:
    """CPU seconds of this process so far (user and system): what the work costs, whatever else the machine runs."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(label: str, fn) -> float:
    start, busy = time.perf_counter(), cpu()
    fn()
    seconds = time.perf_counter() - start
    print(
        f"{label:58s} {seconds:7.1f} s, CPU {cpu() - busy:6.1f} s  "
        f"(peak so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB)"
    )
    return seconds


def count_events(instance: dg.DagsterInstance) -> int:
    """Events the runs recorded (materialisations, checks, steps...): what the instance's storage pays for."""
    return sum(len(instance.all_logs(r.dagster_run.run_id)) for r in instance.get_run_records())


def fresh_database(name: str) -> None:
    """Drop and create the PostgreSQL database ``name`` (the server of ``DAGSTER_PG_*``) and point ``DAGSTER_PG_DB``
    at it."""
    import os

    import psycopg2

    admin = psycopg2.connect(
        host=os.environ["DAGSTER_PG_HOST"],
        user=os.environ["DAGSTER_PG_USER"],
        password=os.environ["DAGSTER_PG_PASSWORD"],
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        cursor.execute(f"CREATE DATABASE {name}")
    admin.close()
    os.environ["DAGSTER_PG_DB"] = name


def make_instance(kind: str) -> dg.DagsterInstance:
    """The Dagster instance the runs record their events in (one event per partition and asset: its cost depends on
    it)."""
    if kind == "memory":
        return dg.DagsterInstance.ephemeral()
    if kind == "sqlite":
        return dg.DagsterInstance.local_temp(tempfile.mkdtemp(prefix="areavasta-dagster-"))
    import os
    import shutil

    fresh_database("areavasta_bench")
    home = Path(tempfile.mkdtemp(prefix="areavasta-dagster-"))
    shutil.copyfile(Path(__file__).resolve().parents[1] / "deploy" / "dagster.yaml", home / "dagster.yaml")
    os.environ.update(DAGSTER_HOME=str(home))
    return dg.DagsterInstance.get()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", default="2016-2025")
    parser.add_argument("--bodies", default="all")
    parser.add_argument("--subset", type=int, default=4, help="partitions run one by one for the ratio")
    parser.add_argument(
        "--instance",
        choices=["memory", "sqlite", "postgres"],
        default="sqlite",
        help="where Dagster records the runs: in memory, SQLite as `make run` (default), or PostgreSQL as "
        "deploy/dagster.yaml (DAGSTER_PG_* set; a fresh database areavasta_bench)",
    )
    parser.add_argument("--load-into", help=argparse.SUPPRESS)  # internal: fill a warehouse in a child process
    args = parser.parse_args()
    years = parse_years(args.years)
    codes = body_table()["istat_code"].sort().to_list() if args.bodies == "all" else args.bodies.split(",")
    if args.load_into:
        lines = national_lines(codes, years)
        with warehouse.connect(load_settings().with_(home=Path(args.load_into)).warehouse_path) as con:
            con.register("generated", lines.to_arrow())
            con.execute("INSERT INTO core.budget_lines SELECT * FROM generated")
        print(f"data: {len(codes)} bodies x {len(years)} years, {lines.height:,} budget lines")
        return
    home = Path(tempfile.mkdtemp(prefix="areavasta-backfill-"))
    # the data is generated and loaded by a child process, so the peak memory below is the pipeline's own
    subprocess.run(
        [sys.executable, __file__, "--years", args.years, "--bodies", args.bodies, "--load-into", str(home)], check=True
    )
    loader_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    instance = make_instance(args.instance)
    print(f"Dagster instance: {args.instance} ({type(instance.event_log_storage).__name__})")
    register(instance, years)
    resources = {"warehouse_db": Warehouse(home=str(home))}
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    every_year = year_range_tags(years[0], years[-1])

    def stage(selection, tags, steps=False):
        result = dg.materialize(
            ALL_ASSETS, selection=selection, instance=instance, resources=resources, tags=tags, run_config=quiet
        )
        assert result.success
        if steps:  # where the run's time goes, step by step (Dagster's own timing of each asset)
            for event in result.all_events:
                if event.event_type_value == "STEP_SUCCESS":
                    print(f"    {event.step_key:40s} {event.event_specific_data.duration_ms / 1000:6.1f} s")

    outputs = ("report_workbooks", "dashboard_pages")
    analytic_names = [n for _, names in LAYERS for n in names if n not in outputs]
    analytic = timed(
        f"every analytic table, {len(years)} years (1 run, {len(analytic_names)} assets)",
        lambda: stage([STAGE_ASSETS[n] for n in analytic_names], every_year, steps=True),
    )
    written = [STAGE_ASSETS[n] for n in outputs]
    latest = year_range_tags(years[-1], years[-1])
    reports = timed(
        f"workbooks and pages of {years[-1]} for every body (1 run)", lambda: stage(written, latest, steps=True)
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the plans' and outputs' workers
    said = f"{workers:,.0f} MB" if workers > loader_peak else f"at most {loader_peak:,.0f} MB (the loader's)"
    print(f"Dagster events recorded: {count_events(instance):,}; CPU of this process: {cpu():.1f} s")
    print(f"peak memory of a worker process (plans, outputs): {said}")
    print(
        f"all analytic tables: {analytic:.1f} s (target <= 60) | with workbooks and pages: {analytic + reports:.1f} s"
        f" (target <= 90) | peak memory {peak:,.0f} MB (target <= 1024)"
    )

    subset = codes[: args.subset]
    body_stages = [STAGE_ASSETS[s.name] for s in STAGES if s.partitions == "body" and s.name not in outputs]
    one_by_one = time.perf_counter()
    for code in subset:  # an upload's run: one body, its stages (the year's own stages aside)
        stage(body_stages, {**latest, **body_tags([code])})
    one_by_one = time.perf_counter() - one_by_one
    batch = time.perf_counter()
    stage(body_stages, {**latest, **body_tags(subset)})
    batch = time.perf_counter() - batch
    print(
        f"{len(subset)} bodies of {years[-1]}, body stages: one run per body {one_by_one:.1f} s, one run for all"
        f" {batch:.1f} s -> {one_by_one / batch:.1f}x; per body {one_by_one / len(subset):.2f} s vs"
        f" {batch / len(subset):.2f} s"
    )


if __name__ == "__main__":
    main()
