"""Benchmark: uploads through the portal to their refreshed workbook and page, with the daemon as deployed.

    .venv/bin/python bench/upload.py [--uploads 10] [--years 2024-2025] [--instance postgres|sqlite]

A warehouse holding every body (107 × the years, generated) on which the whole pipeline has run; then, as a
deployment runs: ``dagster-daemon`` (the inbox sensor, the run queue, the run launcher of the instance's
``dagster.yaml``) and ``areavasta serve`` as separate processes. ``--instance postgres`` copies ``deploy/dagster.yaml``
(PostgreSQL, ``DAGSTER_PG_*`` set; a fresh database ``areavasta_upload``); ``sqlite`` the embedded instance of
``dagster_home/dagster.yaml``. Officers of ten different bodies each upload a new budget (previsione of the latest year)
one after another, each waiting for its own refreshed outputs; for each upload, from the run records and the run's
events:

- **intake**: the portal's POST (checks, archive, receipt);
- **pickup**: from the receipt to the sensor's run request (the run's creation);
- **launch**: from the request to the run's start (queue, run launcher, the run's process);
- **load**, **assets**, **outputs**: the steps ``budget_lines``, the other stages, ``report_workbooks`` and
  ``dashboard_pages`` (Dagster's own step timings);
- **total**: from the POST to the end of the run, which wrote the workbook and the page.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

from bench.backfill import fresh_database
from tests.test_deployment import _free_port, _upload

BODIES = ["237", "002", "036", "201", "215", "026", "009", "039", "051", "044", "068", "071", "079", "086", "024"]


def _instance_home(kind: str) -> Path:
    """A fresh DAGSTER_HOME with the instance file a deployment (postgres) or ``make run`` (sqlite) uses."""
    home = Path(tempfile.mkdtemp(prefix="areavasta-upload-dagster-"))
    if kind == "sqlite":
        shutil.copyfile(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
        return home
    fresh_database("areavasta_upload")
    shutil.copyfile(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    return home


def _run_of(instance, body: str, since: float, limit: float = 300):
    """The upload run (sensor → ``ingest_job``) of ``body`` created after ``since``, once finished."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        records = instance.get_run_records(filters=dg.RunsFilter(job_name="ingest_job", tags={"areavasta/enti": body}))
        for record in records:
            if record.create_timestamp.timestamp() >= since and record.dagster_run.is_finished:
                return record
        time.sleep(0.1)
    raise SystemExit(f"no finished run for {body} within {limit} s")


def _steps(instance, run_id: str) -> dict[str, float]:
    """Seconds of each step of the run (Dagster's own timing)."""
    found = {}
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_SUCCESS):
        event = entry.dagster_event
        found[event.step_key] = event.event_specific_data.duration_ms / 1000
    return found


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uploads", type=int, default=10)
    parser.add_argument("--years", default="2024-2025")
    parser.add_argument("--instance", choices=["postgres", "sqlite"], default="postgres")
    args = parser.parse_args()
    first, last = (int(y) for y in args.years.split("-"))
    home = Path(tempfile.mkdtemp(prefix="areavasta-upload-"))
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "backfill.py"), "--years", args.years, "--load-into", str(home)],
        check=True,
        capture_output=True,
    )
    dagster_home = _instance_home(args.instance)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "AREAVASTA_HOME": str(home),
        "AREAVASTA_SECRET": "bench-upload-" + "s" * 40,
        "AREAVASTA_INBOX": str(home / "inbox"),
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update({k: env[k] for k in ("DAGSTER_HOME", "AREAVASTA_HOME")})
    from dashboards import accounts
    from pipelines.runner import run_pipeline
    from sources.samples.budget import generate_budget
    from sources.samples.layouts import write_layout
    from sources.settings import load_settings

    settings = load_settings()
    instance = dg.DagsterInstance.get()
    start = time.perf_counter()
    assert all(r.success for r in run_pipeline(instance, list(range(first, last + 1)), home=str(home)))
    print(f"whole pipeline over 107 bodies x {last - first + 1} years first: {time.perf_counter() - start:.1f} s")
    bodies = BODIES[: args.uploads]
    files = {}
    for body in bodies:
        accounts.add_user(settings, f"ufficio.{body}", "officer", body, f"pw-{body}-bench")
        lines = generate_budget(body, last, "previsione", seed=11)
        files[body] = write_layout("template", lines, home / "new" / f"{body}_{last}_previsione.xlsx")

    port, logs = _free_port(), [(home / n).open("w") for n in ("daemon.log", "portal.log")]
    daemon = subprocess.Popen(
        [str(BIN / "dagster-daemon"), "run", "-w", str(ROOT / "workspace.yaml")],
        cwd=ROOT,
        env=env,
        stdout=logs[0],
        stderr=subprocess.STDOUT,
    )
    portal = subprocess.Popen(
        [str(BIN / "areavasta"), "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=logs[1],
        stderr=subprocess.STDOUT,
    )
    rows = []
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(10)  # the daemon's first ticks: what a running deployment has already done
        print(
            f"{'body':>5} {'intake':>7} {'pickup':>7} {'launch':>7} {'load':>6} {'assets':>7} {'outputs':>8} "
            f"{'other':>6} {'total':>6}"
        )
        for body in bodies:
            posted = time.time()
            page = _upload(url, f"ufficio.{body}", f"pw-{body}-bench", files[body], last, "previsione")
            assert "elaborazione in corso" in page, page[-500:]
            received = time.time()
            record = _run_of(instance, body, posted)
            assert record.dagster_run.status == dg.DagsterRunStatus.SUCCESS, record.dagster_run.status
            steps = _steps(instance, record.dagster_run.run_id)
            created = record.create_timestamp.timestamp()
            load = steps.get("budget_lines", 0.0)
            outputs = steps.get("report_workbooks", 0.0) + steps.get("dashboard_pages", 0.0)
            assets = sum(steps.values()) - load - outputs
            ran = record.end_time - record.start_time
            row = {
                "body": body,
                "intake": received - posted,
                "pickup": created - received,
                "launch": record.start_time - created,
                "load": load,
                "assets": assets,
                "outputs": outputs,
                "other": ran - sum(steps.values()),
                "total": record.end_time - posted,
            }
            rows.append(row)
            print(
                " ".join(
                    f"{row[k]:>{w}.1f}" if k != "body" else f"{row[k]:>5}"
                    for k, w in (
                        ("body", 5),
                        ("intake", 7),
                        ("pickup", 7),
                        ("launch", 7),
                        ("load", 6),
                        ("assets", 7),
                        ("outputs", 8),
                        ("other", 6),
                        ("total", 6),
                    )
                ),
                flush=True,
            )
    finally:
        for process in (portal, daemon):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    totals = [r["total"] for r in rows]
    medians = {k: statistics.median(r[k] for r in rows) for k in rows[0] if k != "body"}
    print("median " + ", ".join(f"{k} {v:.1f} s" for k, v in medians.items()))
    print(
        f"{len(rows)} uploads ({args.instance}): p50 {_percentile(totals, 0.5):.1f} s (target <= 10), "
        f"p95 {_percentile(totals, 0.95):.1f} s (target <= 20), max {max(totals):.1f} s"
    )


if __name__ == "__main__":
    main()
