"""Benchmark: one new upload, from the file in the inbox to the refreshed workbook of that body.

    .venv/bin/python bench/upload.py [--years 2024-2025]

A warehouse holding every body (generated, two years by default) and an instance that has run the
whole pipeline; then a new template file for Bologna lands in the inbox. Timed, excluding the
sensor's polling interval: the sensor's ticks (a folder listing and the register), the intake run (validate,
archive, receipt), the body stage for the new partition (the receipt loaded first), the year stages it
invalidates (peers, national overview, scenarios), priorities and
plans for that body, and its workbook.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.definitions import defs
from pipelines.resources import Warehouse
from pipelines.runner import run_pipeline
from pipelines.sensors import inbox_sensor
from sources.samples.budget import generate_budget
from sources.samples.layouts import write_layout
from sources.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", default="2024-2025")
    args = parser.parse_args()
    first, last = (int(y) for y in args.years.split("-"))
    home = Path(tempfile.mkdtemp(prefix="areavasta-upload-"))
    subprocess.run(
        [sys.executable, str(Path(__file__).parent / "backfill.py"), "--years", args.years, "--load-into", str(home)],
        check=True,
    )
    instance = dg.DagsterInstance.ephemeral()
    start = time.perf_counter()
    run_pipeline(instance, list(range(first, last + 1)), home=str(home))
    print(f"initial pipeline over every body: {time.perf_counter() - start:.1f} s")
    inbox = home / "inbox"
    inbox.mkdir()
    import os

    os.environ["AREAVASTA_INBOX"] = str(inbox)
    write_layout("template", generate_budget("237", last, "previsione", seed=9), inbox / f"237_{last}_previsione.xlsx")
    start = time.perf_counter()
    context = {"instance": instance, "resources": {"warehouse_db": Warehouse(home=str(home))}}
    noticed = inbox_sensor(dg.build_sensor_context(**context))
    sensed = time.perf_counter() - start
    [intake] = noticed.run_requests
    received = defs.resolve_job_def("inbox_job").execute_in_process(run_config=intake.run_config, **context)
    assert received.success
    requested = inbox_sensor(dg.build_sensor_context(cursor=noticed.cursor, **context))
    assert [r.partition_key for r in requested.run_requests] == [f"{last}|237"]
    run_pipeline(instance, [last], ["237"], home=str(home))
    total = time.perf_counter() - start
    workbook = home / "outputs" / "reports" / f"237_{last}_previsione.xlsx"
    assert workbook.exists()
    print(f"new upload -> refreshed workbook: {total:.1f} s (a sensor tick {sensed:.2f} s; target <= 15 s)")
    print(load_settings().with_(home=home).warehouse_path)


if __name__ == "__main__":
    main()
