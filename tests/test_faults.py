"""Faults: a killed command never blocks the next one; a busy warehouse is waited for; no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest

from pipelines.instance import embedded_instance
from sources.samples.budget import generate_budget
from tests.conftest import write_sample
from warehouse.ingest import ingest_files


def _env(settings) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    return {**env, "AREAVASTA_HOME": str(settings.home)}


def test_a_run_killed_while_holding_the_warehouse_slot_does_not_block_the_next(tmp_path, settings, monkeypatch):
    files = [write_sample(tmp_path, generate_budget(b, 2025, "rendiconto"), "template") for b in ("237", "002")]
    assert all(o.status == "accepted" for o in ingest_files(files, settings))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    env = _env(settings)
    instance = embedded_instance(settings.home)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 90
    while (
        time.monotonic() < deadline and not instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots
    ):
        if proc.poll() is not None:
            pytest.fail("the run ended before it could be killed")
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert instance.event_log_storage.get_concurrency_info(
        "warehouse"
    ).claimed_slots  # the dead run still holds the slot
    rerun = subprocess.run(
        [sys.executable, "-m", "cli.main", "run"], env=env, capture_output=True, text=True, timeout=180
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "Recuperate 1 esecuzioni interrotte" in rerun.stdout and "Traceback" not in rerun.stderr
    assert not instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots
    # the warehouse after the interrupted run and the rerun equals a clean run of the same inputs
    clean_home = tmp_path / "clean"
    monkeypatch.setenv("AREAVASTA_HOME", str(clean_home))
    from sources.settings import load_settings

    assert all(o.status == "accepted" for o in ingest_files(files, load_settings()))
    clean_env = {**env, "AREAVASTA_HOME": str(clean_home)}
    assert (
        subprocess.run(
            [sys.executable, "-m", "cli.main", "run"], env=clean_env, capture_output=True, timeout=180
        ).returncode
        == 0
    )
    assert _analyses(settings.warehouse_path) == _analyses(clean_home / "warehouse.duckdb")


def _analyses(path) -> dict:
    """Row count and a content hash of every derived table (sorted, so the order of writing does not matter)."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [
            t
            for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'core' "
                "AND table_name NOT IN ('uploads', 'budget_lines', 'revenue_lines', 'authority_overrides', "
                "'run_manifests', 'body_runs')"
            ).fetchall()
        ]  # run ids and times: bookkeeping, not results
        out = {}
        for table in sorted(tables):
            out[table] = con.execute(
                f"SELECT count(*), hash(string_agg(CAST(t AS VARCHAR), ',' ORDER BY CAST(t AS VARCHAR))) "
                f"FROM core.{table} t"
            ).fetchone()
        return out
    finally:
        con.close()


def _ingest(settings, files, *extra):
    env = _env(settings)
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "ingest", *map(str, files), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


# Another process holds DuckDB's file lock until the test lets go (it closes the holder's stdin): which of the two
# processes has the warehouse never depends on how fast a loaded machine starts Python.
HOLD = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); sys.stdin.read()"


@contextmanager
def _held_warehouse(settings):
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(settings.warehouse_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"  # the lock is held from here on
        yield holder
    finally:
        holder.stdin.close()  # end of input: the holder exits and DuckDB releases the lock
        try:
            holder.wait(timeout=120)
        except subprocess.TimeoutExpired:
            holder.kill()
            holder.wait()


def test_a_second_ingest_waits_for_the_first_instead_of_failing(tmp_path, settings):
    first = write_sample(tmp_path / "a", generate_budget("237", 2025, "rendiconto"), "template")
    second = write_sample(tmp_path / "b", generate_budget("002", 2025, "rendiconto"), "template")
    assert _ingest(settings, [first]).returncode == 0
    env = {**_env(settings), "AREAVASTA_WAREHOUSE_WAIT": "3600"}  # the limit is never what ends the wait here
    with _held_warehouse(settings) as holder, open(tmp_path / "stdout.txt", "w") as stdout:
        ingest = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "ingest", str(second)],
            env=env,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            said = []
            while not any("Il magazzino è in uso da" in line for line in said):
                line = ingest.stderr.readline()
                assert line, "".join(said)  # the command ended without saying that it waits
                said.append(line)
            assert f"PID {holder.pid}" in said[-1] and "attendo" in said[-1]  # it names who holds the warehouse
            assert ingest.poll() is None  # and it is waiting, not failing
        except BaseException:
            ingest.kill()
            raise
    rest = ingest.stderr.read()  # the holder let go: the ingest goes on
    assert ingest.wait(timeout=600) == 0, "".join(said) + rest + (tmp_path / "stdout.txt").read_text()
    assert "Traceback" not in "".join(said) + rest
    from warehouse import store as warehouse

    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        current = con.execute("SELECT body FROM core.uploads WHERE status = 'current' ORDER BY body").fetchall()
    assert current == [("002",), ("237",)]


def test_a_busy_warehouse_past_the_limit_is_a_message_not_a_traceback(tmp_path, settings):
    file = write_sample(tmp_path, generate_budget("237", 2025, "rendiconto"), "template")
    env = {**_env(settings), "AREAVASTA_WAREHOUSE_WAIT": "1"}
    with _held_warehouse(settings):  # held until the command has ended, however long it takes to start
        result = subprocess.run(
            [sys.executable, "-m", "cli.main", "ingest", str(file)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert result.returncode == 3, result.stdout + result.stderr
    assert "ancora in uso" in result.stdout and "Traceback" not in result.stderr


@pytest.mark.parametrize("damage", ["overwrite", "truncate", "garbage"])
def test_a_damaged_warehouse_is_named_and_rebuilt_from_the_archive(tmp_path, settings, damage):
    files = [write_sample(tmp_path, generate_budget(b, 2025, "rendiconto"), "template") for b in ("237", "002")]
    newer = write_sample(tmp_path / "v2", generate_budget("237", 2025, "rendiconto").head(500), "template")
    assert (
        _ingest(settings, [*files, newer], "--replace").returncode == 0
    )  # 500 lines instead of the whole budget: confirmed
    from warehouse import store as warehouse

    def state():
        with warehouse.connect(settings.warehouse_path, read_only=True) as con:
            return con.execute(
                "SELECT body, count(*), sum(amount_cents) FROM core.budget_lines GROUP BY body ORDER BY body"
            ).fetchall()

    before = state()
    size = settings.warehouse_path.stat().st_size
    with open(settings.warehouse_path, "r+b") as handle:
        if damage == "overwrite":
            handle.seek(8192)
            handle.write(b"\xff" * 4096)
        elif damage == "truncate":
            handle.truncate(size // 3)
        else:
            handle.seek(0)
            handle.write(b"garbage" * 2000)
    refused = _ingest(settings, [files[0]])
    assert refused.returncode == 3 and "danneggiato" in refused.stdout and "areavasta rebuild" in refused.stdout
    assert "Traceback" not in refused.stderr
    rebuilt = subprocess.run(
        [sys.executable, "-m", "cli.main", "rebuild"], env=_env(settings), capture_output=True, text=True, timeout=180
    )
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "Ricevimenti rilanciati: 3" in rebuilt.stdout and "danneggiato-" in rebuilt.stdout
    assert state() == before  # the newer upload of 237 is current again, exactly as before


def test_one_file_that_breaks_the_intake_does_not_block_the_inbox(tmp_path, settings, monkeypatch):
    """Each file on its own: the broken one is set aside with its finding, the good one beside it is loaded."""
    from pipelines import inbox as intake
    from tests import daemon

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    monkeypatch.setenv("AREAVASTA_INBOX", str(inbox))
    good = write_sample(inbox, generate_budget("237", 2025, "rendiconto"), "template")
    bad = write_sample(inbox, generate_budget("002", 2025, "rendiconto"), "template")
    real = intake.receive

    def flaky(path, *args, **kwargs):
        if path.name == bad.name:
            raise RuntimeError("boom")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(intake, "receive", flaky)
    served = daemon.serve(settings)
    assert served.partitions() == {"2025|237"}
    assert (inbox / "accepted" / good.name).exists() and (inbox / "rejected" / bad.name).exists()
    assert "INTAKE_FAILED" in (inbox / "rejected" / f"{bad.name}.rilievi.txt").read_text(encoding="utf-8")
    sidecars = list(settings.archive_dir.rglob("*.json"))
    assert (
        len(sidecars) == 1 and len(__import__("json").loads(sidecars[0].read_text())) == 1
    )  # appended once per receipt


def _content(settings) -> tuple:
    """Row count, sum and a content hash of the loaded lines (provenance included), and the current uploads."""
    from warehouse import store as warehouse

    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        lines = con.execute(
            "SELECT count(*), sum(amount_cents), hash(string_agg(concat_ws('|', body, year, phase, missione, "
            "programma, titolo, macroaggregato, amount_kind, amount_cents, source_sha256, cell), ',' ORDER BY "
            "source_sha256, cell, amount_kind))"
            " FROM core.budget_lines"
        ).fetchone()
        current = con.execute(
            "SELECT body, year, phase, sha256 FROM core.uploads WHERE status = 'current' ORDER BY ALL"
        ).fetchall()
    return lines, current


@pytest.mark.parametrize("kill_after", [0.8, 1.6, 2.4])
def test_an_ingest_killed_at_any_point_then_rerun_equals_a_clean_ingest(tmp_path, settings, kill_after, monkeypatch):
    files = [
        write_sample(tmp_path / "in", generate_budget(b, 2025, "rendiconto"), "template")
        for b in ("237", "002", "036", "201")
    ]
    clean_home = tmp_path / "clean"
    monkeypatch.setenv("AREAVASTA_HOME", str(clean_home))
    from sources.settings import load_settings

    clean = load_settings()
    assert all(o.status == "accepted" for o in ingest_files(files, clean))
    monkeypatch.setenv("AREAVASTA_HOME", str(settings.home))
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "ingest", *map(str, files)],
        env=_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    rerun = _ingest(settings, files)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert _content(settings) == _content(clean)


def test_the_inbox_sensor_frees_the_slot_a_killed_command_left(tmp_path, settings, monkeypatch):
    """With dagster dev, a slot held by a dead command would stop every later run: the sensor frees it at its next
    tick."""
    import dagster as dg

    from pipelines.resources import Warehouse
    from pipelines.sensors import inbox_sensor

    files = [write_sample(tmp_path, generate_budget(b, 2025, "rendiconto"), "template") for b in ("237", "002")]
    assert all(o.status == "accepted" for o in ingest_files(files, settings))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    instance = embedded_instance(settings.home)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "run"],
        env=_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while (
        time.monotonic() < deadline and not instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots
    ):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots
    monkeypatch.setenv("AREAVASTA_INBOX", str(tmp_path / "inbox"))
    inbox_sensor(
        dg.build_sensor_context(instance=instance, resources={"warehouse_db": Warehouse(home=str(settings.home))})
    )
    assert not instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots
