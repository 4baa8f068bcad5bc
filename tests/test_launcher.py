"""The deployment's run launcher (``pipelines.launcher``): a run is a fork of a process that imported the code once; its
events, success, failure and cancellation reach the instance as with Dagster's default launcher."""

from __future__ import annotations

import time

import dagster as dg
import pytest
from dagster._core.launcher import LaunchRunContext, WorkerStatus

from pipelines.deployment_instance import POOL, pooled
from pipelines.launcher import PID_TAG, PrewarmedRunLauncher
from tests import launcher_jobs

LAUNCHER = {
    "module": "pipelines.launcher",
    "class": "PrewarmedRunLauncher",
    "config": {"preload": ["tests.launcher_jobs"]},
}


def _launch(instance, job_name: str, tags=None):
    recon = dg.reconstructable(getattr(launcher_jobs, f"define_{job_name}"))
    job = recon.get_definition()
    run = instance.create_run_for_job(job_def=job, job_code_origin=recon.get_python_origin(), tags=tags or {})
    instance.run_launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))
    return run.run_id


def _finished(instance, run_id: str, limit: float = 60):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        if run.is_finished:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish")


@pytest.fixture
def instance(tmp_path):
    with dg.instance_for_test(temp_dir=str(tmp_path), overrides={"run_launcher": LAUNCHER}) as found:
        yield found


def test_the_instance_takes_the_launcher_from_its_configuration(instance):
    assert isinstance(instance.run_launcher, PrewarmedRunLauncher)


def test_a_launched_run_succeeds_in_a_forked_process_and_records_its_events(instance):
    run_id = _launch(instance, "ok_job")
    run = _finished(instance, run_id)
    assert run.status == dg.DagsterRunStatus.SUCCESS
    pid = int(instance.get_run_by_id(run_id).tags[PID_TAG])
    messages = [e.message for e in instance.all_logs(run_id)]
    assert any(f"Started process for run (pid: {pid})" in m for m in messages)  # the fork ran it
    assert any("said 42, pooled=True" in (m or "") for m in messages)  # its instance holds its connections


def test_a_failing_run_is_recorded_failed(instance):
    run = _finished(instance, _launch(instance, "failing_job"))
    assert run.status == dg.DagsterRunStatus.FAILURE


def test_a_run_is_cancelled_by_terminate_and_a_dead_process_is_seen(instance):
    run_id = _launch(instance, "slow_job")
    deadline = time.monotonic() + 30
    while instance.get_run_by_id(run_id).status != dg.DagsterRunStatus.STARTED and time.monotonic() < deadline:
        time.sleep(0.1)
    run = instance.get_run_by_id(run_id)
    assert instance.run_launcher.check_run_worker_health(run).status == WorkerStatus.RUNNING
    assert instance.run_launcher.terminate(run_id)
    assert _finished(instance, run_id).status == dg.DagsterRunStatus.CANCELED
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        health = instance.run_launcher.check_run_worker_health(instance.get_run_by_id(run_id))
        if health.status == WorkerStatus.NOT_FOUND:
            break
        time.sleep(0.1)
    assert health.status == WorkerStatus.NOT_FOUND
    assert not instance.run_launcher.terminate(run_id)  # finished: nothing to terminate


def test_the_fork_server_imports_nothing_that_starts_threads():
    """A fork of a process running polars' (or DuckDB's) threads can deadlock: an upload's run once hung in
    budget_lines that way. What the fork server preloads must start no thread and pull none of those in."""
    import subprocess
    import sys

    probe = (
        "import os, sys, pipelines.prewarm as p; "
        "print(len(os.listdir('/proc/self/task')), sorted(m for m in p.THREADED if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["1", "[]"]


def test_an_instance_is_pooled_once_with_connections_held():
    class Storage:
        def __init__(self):
            self.calls = []

        def optimize_for_webserver(self, **settings):
            self.calls.append(settings)

    storage = Storage()
    assert pooled(pooled(storage)) is storage
    assert storage.calls == [POOL]  # once: a second engine would leave the first one's connection open
    assert POOL["max_overflow"] >= 1 and POOL["statement_timeout"] == 0  # a thread more; no run's query cut short


def _gone(process, limit: float = 60) -> bool:
    deadline = time.monotonic() + limit
    while process.is_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    return not process.is_alive()


def test_the_next_run_goes_to_the_warmed_spare_and_a_new_spare_follows(instance):
    launcher = instance.run_launcher
    first = _launch(instance, "ok_job")
    assert launcher._spare is not None  # started when the first run was handed out
    spare_process = launcher._spare[0]
    assert int(instance.get_run_by_id(first).tags[PID_TAG]) != spare_process.pid
    second = _launch(instance, "ok_job")
    assert int(instance.get_run_by_id(second).tags[PID_TAG]) == spare_process.pid  # the spare ran it
    assert launcher._spare[0] is not spare_process  # and the next one waits
    for run_id in (first, second):
        assert _finished(instance, run_id).status == dg.DagsterRunStatus.SUCCESS
    messages = [e.message or "" for e in instance.all_logs(second)]
    assert any("said 42, pooled=True" in m for m in messages)


def test_a_dead_spare_is_passed_over_and_the_run_forked(instance):
    launcher = instance.run_launcher
    _finished(instance, _launch(instance, "ok_job"))
    dead = launcher._spare[0]
    dead.kill()
    assert _gone(dead, 10)
    run_id = _launch(instance, "ok_job")
    assert int(instance.get_run_by_id(run_id).tags[PID_TAG]) != dead.pid
    assert _finished(instance, run_id).status == dg.DagsterRunStatus.SUCCESS


def test_a_spare_holding_no_run_exits_when_the_launcher_is_disposed(instance):
    launcher = instance.run_launcher
    _finished(instance, _launch(instance, "ok_job"))
    waiting, pipe = launcher._spare
    try:
        launcher.dispose()
        assert launcher._spare is None and pipe.closed  # closed, not left to the garbage collector
        assert _gone(waiting)  # it warms, finds its pipe closed, and exits without a run
    finally:
        if waiting.is_alive():  # never left behind by a failing test: the interpreter would wait for it at exit
            waiting.kill()


def test_no_spare_when_the_configuration_says_so(tmp_path):
    config = {**LAUNCHER, "config": {**LAUNCHER["config"], "spare": False}}
    with dg.instance_for_test(temp_dir=str(tmp_path), overrides={"run_launcher": config}) as found:
        assert _finished(found, _launch(found, "ok_job")).status == dg.DagsterRunStatus.SUCCESS
        assert found.run_launcher._spare is None


def test_a_spare_warms_without_touching_the_home_then_runs_what_it_is_sent(tmp_path, monkeypatch):
    import multiprocessing
    import os

    from pipelines import spare

    home = tmp_path / "home"
    monkeypatch.setenv("AREAVASTA_HOME", str(home))
    taken = spare.warm()
    assert set(taken) == {"definitions", "catalogues", "charts", "templates", "schemas"}
    assert all(seconds is not None for seconds in taken.values()), taken  # every part warmed, none failed
    assert not home.exists()  # no warehouse, archive or output opened
    ran = []
    mine, theirs = multiprocessing.Pipe()
    mine.send(("run-1", "ref"))  # a run arrives while the run it follows (this process) still goes on: taken at once
    spare.serve(theirs, lambda run_id, ref: ran.append((run_id, ref)), after=os.getpid())
    assert ran == [("run-1", "ref")]
    assert spare._running(os.getpid()) and not spare._running(None)
    mine, theirs = multiprocessing.Pipe()
    mine.close()  # the launcher gone before sending a run
    spare.serve(theirs, lambda run_id, ref: ran.append((run_id, ref)))
    assert ran == [("run-1", "ref")]
