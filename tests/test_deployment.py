"""The multi-user deployment as shipped (deploy/dagster.yaml), run for real: PostgreSQL instance storage,
the Dagster daemon running the sensors and schedule, the portal, two officers uploading at once.

Needs a PostgreSQL server: ``.ci/run`` starts Debian's on loopback (``deploy/local-postgres.sh``) and
exports ``DAGSTER_PG_*``. Without it the test skips with the reason; under ``CI=true`` it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NEEDED = ("DAGSTER_PG_HOST", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD")


def _postgres_or_skip():
    missing = [v for v in NEEDED if not os.environ.get(v)]
    try:
        import psycopg2

        if missing:
            raise RuntimeError(f"{', '.join(missing)} not set")
        return psycopg2.connect(
            host=os.environ["DAGSTER_PG_HOST"],
            user=os.environ["DAGSTER_PG_USER"],
            password=os.environ["DAGSTER_PG_PASSWORD"],
            dbname="postgres",
            connect_timeout=5,
        )
    except Exception as exc:  # noqa: BLE001 - any reason PostgreSQL is not there is the same skip
        reason = f"PostgreSQL not reachable ({exc}): start it with deploy/local-postgres.sh (.ci/run does)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture
def database():
    """A fresh PostgreSQL database for this test's Dagster instance, dropped afterwards."""
    admin = _postgres_or_skip()
    admin.autocommit = True
    name = f"areavasta_test_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    yield name
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        cursor.execute(f"DROP DATABASE IF EXISTS {name}")
    admin.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _upload(url: str, user: str, password: str, path: Path, year: int, phase: str) -> str:
    import httpx

    with httpx.Client(base_url=url, timeout=120, follow_redirects=True) as http:
        token = re.search(r'name="csrf" value="([^"]+)"', http.get("/login").text).group(1)
        http.post("/login", data={"username": user, "password": password, "csrf": token})
        token = re.search(r'name="csrf" value="([^"]+)"', http.get("/").text).group(1)
        with path.open("rb") as handle:
            return http.post(
                "/upload",
                data={"year": str(year), "phase": phase, "csrf": token},
                files={"file": (path.name, handle, "application/octet-stream")},
            ).text


def _wait_refreshed(instance, bodies: list[str], since: float, limit: float = 240) -> dict[str, float]:
    """Seconds from ``since`` (wall clock) until each body's upload run (sensor → ``ingest_job``, which writes the
    body's workbook and page) succeeded. Taken from the run records: a workbook rewritten meanwhile by another run,
    with the new upload registered but its figures not yet computed, does not count."""
    import dagster as dg

    done: dict[str, float] = {}
    deadline = time.monotonic() + limit
    while len(done) < len(bodies) and time.monotonic() < deadline:
        for record in instance.get_run_records(
            filters=dg.RunsFilter(
                job_name="ingest_job",
                statuses=[dg.DagsterRunStatus.SUCCESS],
                tags={"dagster/sensor_name": "inbox_sensor"},
            )
        ):
            body = record.dagster_run.tags.get("areavasta/enti", "")  # the upload's body (the year is the partition)
            if body in bodies and body not in done and record.create_timestamp.timestamp() > since:
                done[body] = record.end_time - since
        time.sleep(0.25)
    return done


def _names_file(workbook: Path, path: Path) -> bool:
    """The workbook's upload register lists the file's original name."""
    with zipfile.ZipFile(workbook) as archive:
        return path.name.encode() in archive.read("xl/sharedStrings.xml")


def _instance_of(dagster_home: Path, database: str):
    """The deployment's Dagster instance, as its dagster.yaml reads it (the database name from the environment)."""
    import dagster as dg

    previous = os.environ.get("DAGSTER_PG_DB")
    os.environ["DAGSTER_PG_DB"] = database
    try:
        return dg.DagsterInstance.from_config(str(dagster_home))
    finally:
        os.environ.pop("DAGSTER_PG_DB") if previous is None else os.environ.__setitem__("DAGSTER_PG_DB", previous)


def test_two_officers_upload_at_once_and_the_daemon_refreshes_their_outputs(tmp_path, database):
    import dagster as dg

    from dashboards import accounts
    from sources.samples.budget import generate_budget
    from sources.samples.layouts import write_layout
    from tests.conftest import settings_for

    dagster_home = tmp_path / "dagster"
    dagster_home.mkdir()
    shutil.copyfile(ROOT / "deploy" / "dagster.yaml", dagster_home / "dagster.yaml")  # the shipped file, as is
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "DAGSTER_PG_DB": database,
        "AREAVASTA_HOME": str(tmp_path / "home"),
        "AREAVASTA_SECRET": "deployment-test-" + "s" * 40,
        "AREAVASTA_INBOX": str(tmp_path / "inbox"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("AREAVASTA_WAREHOUSE", None)
    demo = subprocess.run(
        [str(BIN / "areavasta"), "demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]

    settings = settings_for(tmp_path / "home")
    officers = {"237": ("ufficio.bologna", "pw-bologna-1"), "002": ("ufficio.vercelli", "pw-vercelli-1")}
    for body, (user, password) in officers.items():
        accounts.add_user(settings, user, "officer", body, password)
    files = {
        body: write_layout(
            "template", generate_budget(body, 2025, "rendiconto", seed=77), tmp_path / f"nuovo_{body}.xlsx"
        )
        for body in officers
    }
    reports = settings.outputs_dir / "reports"

    port = _free_port()
    logs = (tmp_path / "daemon.log").open("w"), (tmp_path / "portal.log").open("w")
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
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(
            8
        )  # the daemon's first ticks (sensor states, queue) before the uploads: what a running deployment has
        instance = _instance_of(dagster_home, database)
        wall_start = time.time()
        # one upload alone: from the POST to the body's refreshed workbook and page
        assert "elaborazione in corso" in _upload(url, *officers["237"], files["237"], 2025, "rendiconto")
        alone = _wait_refreshed(instance, ["237"], wall_start)
        assert "237" in alone, "one upload never reached its workbook"
        # then two officers at once
        # a corrected version (every line a euro more): a replacement that does not make the data worse loads at once
        files["237"] = write_layout(
            "template",
            generate_budget("237", 2025, "rendiconto", seed=77).with_columns(pl.col("amount_cents") + 100),
            tmp_path / "ancora_237.xlsx",
        )
        answers: dict[str, str] = {}
        together = time.time()
        threads = [
            threading.Thread(
                target=lambda b=b: answers.__setitem__(b, _upload(url, *officers[b], files[b], 2025, "rendiconto"))
            )
            for b in officers
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all("elaborazione in corso" in answers[b] for b in officers), answers
        refreshed = _wait_refreshed(instance, list(officers), together)
    finally:
        for process in (portal, daemon):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()
    daemon_log = (tmp_path / "daemon.log").read_text(errors="replace")
    assert sorted(refreshed) == sorted(officers), (
        f"not refreshed: {sorted(set(officers) - set(refreshed))}\n{daemon_log[-3000:]}"
    )
    assert all(_names_file(reports / f"{b}_2025_rendiconto.xlsx", files[b]) for b in officers)
    print(
        f"one upload -> refreshed workbook through the daemon: {alone['237']:.1f} s; two at once: "
        + ", ".join(f"{b} {s:.1f} s" for b, s in sorted(refreshed.items()))
    )

    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert type(instance).__name__ == "DeploymentInstance"  # every process of the deployment holds its connections
    runs = instance.get_runs()
    sensed = [r for r in runs if r.tags.get("dagster/sensor_name") == "inbox_sensor"]
    records = instance.get_run_records()
    for record in sorted(records, key=lambda r: r.create_timestamp):
        run = record.dagster_run
        print(
            f"{record.create_timestamp.timestamp() - wall_start:7.1f} {(record.start_time or 0) - wall_start:7.1f} "
            f"{(record.end_time or 0) - wall_start:7.1f} {run.job_name} {run.tags.get('dagster/partition', '')} "
            f"{run.tags.get('areavasta/enti', '')} "
            f"{[k.to_user_string() for k in run.asset_selection or []][:3]} {run.status.value}"
        )
    asked = {f"{r.tags.get('dagster/partition')}|{r.tags.get('areavasta/enti')}" for r in sensed}
    assert asked >= {"2025|237", "2025|002"}  # the year's partition, the officer's body in the tag
    assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in sensed), [(r.job_name, r.status) for r in sensed]
    # one run per upload holds every stage (the year's tables across bodies too): nothing left for another hop
    assert not [r for r in runs if r.tags.get("dagster/from_automation_condition")]
    states = {s.instigator_name: s.status.value for s in instance.all_instigator_state()}
    assert states.get("annual_rerun") == "DECLARED_IN_CODE" or "annual_rerun" in states, (
        states
    )  # the schedule runs in the daemon
    from warehouse import store as warehouse

    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        uploaders = dict(
            con.execute(
                "SELECT body, received_by FROM core.uploads WHERE year = 2025 AND phase = 'rendiconto' "
                "AND status = 'current'"
            ).fetchall()
        )
    assert uploaders["237"] == "ufficio.bologna" and uploaders["002"] == "ufficio.vercelli"
