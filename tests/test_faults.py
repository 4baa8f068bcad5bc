"""Faults: a killed command never blocks the next one; a busy warehouse is waited for; no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from pipelines.instance import embedded_instance
from pipelines.loading import ingest_files
from sources.samples.budget import generate_budget
from tests.conftest import write_sample


def _env(settings) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    return {**env, "AREAVASTA_HOME": str(settings.home)}


def test_a_run_killed_while_holding_the_warehouse_slot_does_not_block_the_next(tmp_path, settings, monkeypatch):
    files = [write_sample(tmp_path, generate_budget(b, 2025, "rendiconto"), "template") for b in ("237", "002")]
    assert all(o.status == "accepted" for o in ingest_files(files, settings))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    env = _env(settings)
    instance = embedded_instance(settings.home)
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots:
        if proc.poll() is not None:
            pytest.fail("the run ended before it could be killed")
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots  # the dead run still holds the slot
    rerun = subprocess.run([sys.executable, "-m", "pipelines.cli", "run"], env=env, capture_output=True, text=True, timeout=180)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "Recuperate 1 esecuzioni interrotte" in rerun.stdout and "Traceback" not in rerun.stderr
    assert not instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots
