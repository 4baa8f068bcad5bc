"""The run launcher of a deployment: each run in a process forked from one that has already imported the code.

Dagster's default launcher starts every run in a new interpreter (through the code server), which imports Dagster,
polars, DuckDB, Altair and the definitions again: 2.6-3.8 s of every upload's wait on this machine (docs/BENCHMARKS.md,
issue 30), longer on a loaded one. ``PrewarmedRunLauncher`` keeps a ``multiprocessing`` fork server that imported
Dagster, Altair and the other libraries that start no thread (``pipelines.prewarm``) once; a run is a fork of it,
which imports polars, DuckDB and the definitions (0.7 s) and executes the run as ``dagster api execute_run`` does: the
run's events, its failure, its cancellation go to the instance as usual.

A run's process is started before its run: the launcher keeps one warmed "spare" (``pipelines.spare``: the
definitions imported, first uses paid) and hands it the next run, then starts the next spare, which warms while that
run goes on. The first run after the daemon starts is forked at its launch; so is every run with ``spare: false`` in
the launcher's configuration.

The fork server is single-threaded (forking a threaded process, the daemon or one that imported polars, can deadlock)
and is started by the first launch. A run's process is not a child of the daemon: like the default launcher's, runs
outlive a daemon restart, and run monitoring (``run_monitoring`` in ``dagster.yaml``) marks a run whose process died
as failed.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import signal

import dagster as dg
from dagster._core.launcher import CheckRunHealthResult, LaunchRunContext, RunLauncher, WorkerStatus
from dagster._serdes import ConfigurableClass, ConfigurableClassData

from pipelines import spare

PID_TAG = "areavasta/run_pid"
PRELOAD = ["pipelines.prewarm"]  # thread-free libraries only: never fork a process running polars' threads


def _execute(run_id: str, instance_ref) -> None:
    """In the forked process: the run, as ``dagster api execute_run`` executes it."""
    from dagster._cli.api import _execute_run_command_body

    from pipelines.deployment_instance import pooled

    with dg.DagsterInstance.from_ref(instance_ref) as instance:
        _execute_run_command_body(run_id, pooled(instance), lambda _event: None, set_exit_code_on_failure=False)


class PrewarmedRunLauncher(RunLauncher, ConfigurableClass):
    def __init__(
        self, inst_data: ConfigurableClassData | None = None, preload: list[str] | None = None, spare: bool = True
    ):
        self._inst_data = inst_data
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(preload or PRELOAD)
        self._processes: dict[str, multiprocessing.Process] = {}
        self._keep_spare = spare
        self._spare: tuple | None = None  # (process, the launcher's end of its pipe)
        atexit.register(self.dispose)  # before multiprocessing joins its children at exit: the spare must see EOF
        super().__init__()

    @property
    def inst_data(self):
        return self._inst_data

    @classmethod
    def config_type(cls):
        return {"preload": dg.Field([str], is_required=False), "spare": dg.Field(bool, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.dagster_run
        self._processes = {k: p for k, p in self._processes.items() if p.is_alive()}  # forget the finished ones
        process = self._to_spare(run.run_id) or self._fork(run.run_id)
        self._processes[run.run_id] = process
        self._instance.add_run_tags(run.run_id, {PID_TAG: str(process.pid)})
        if self._keep_spare:
            self._start_spare(after=process.pid)

    def _fork(self, run_id: str) -> multiprocessing.Process:
        process = self._context.Process(target=_execute, args=(run_id, self._instance.get_ref()), daemon=False)
        process.start()
        return process

    def _to_spare(self, run_id: str) -> multiprocessing.Process | None:
        """The run handed to the spare, if there is a live one (else None: the run is forked now)."""
        if self._spare is None:
            return None
        (process, pipe), self._spare = self._spare, None
        try:
            if not process.is_alive():
                return None
            pipe.send((run_id, self._instance.get_ref()))
            return process
        except (OSError, ValueError):
            return None
        finally:
            pipe.close()

    def _start_spare(self, after: int) -> None:
        mine, theirs = self._context.Pipe()
        process = self._context.Process(target=spare.serve, args=(theirs, _execute, after), daemon=False)
        process.start()
        theirs.close()
        self._spare = (process, mine)

    def dispose(self) -> None:
        """The spare's pipe closed: a spare holding no run exits."""
        if self._spare is not None:
            self._spare[1].close()
            self._spare = None

    def _pid(self, run_id: str) -> int | None:
        run = self._instance.get_run_by_id(run_id)
        value = run.tags.get(PID_TAG) if run else None
        return int(value) if value else None

    def terminate(self, run_id: str) -> bool:
        pid = self._pid(run_id)
        run = self._instance.get_run_by_id(run_id)
        if not pid or not run or run.is_finished:
            return False
        self._instance.report_run_canceling(run)
        try:
            os.kill(pid, signal.SIGTERM)  # Dagster's interrupt handling in the run ends it as canceled
        except ProcessLookupError:
            return False
        return True

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run) -> CheckRunHealthResult:
        pid = int(run.tags.get(PID_TAG) or 0)
        if not pid:
            return CheckRunHealthResult(WorkerStatus.UNKNOWN, "no process recorded")
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return CheckRunHealthResult(WorkerStatus.NOT_FOUND, f"process {pid} not found")
        except PermissionError:
            pass
        return CheckRunHealthResult(WorkerStatus.RUNNING)

    def join(self, timeout: int = 30) -> None:
        for process in list(self._processes.values()):
            process.join(timeout)
