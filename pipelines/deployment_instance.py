"""The Dagster instance of a deployment (``instance_class`` in ``deploy/dagster.yaml``): every process of it, the
daemon, the webserver and each run, gets its instance from there. Imports Dagster only: the daemon loads it.

Three settings Dagster's own instance has no knob for, each measured on an upload's wait (issue 30, docs/BENCHMARKS.md):

- **PostgreSQL connections held.** dagster-postgres opens a new connection for every read and write (so that many
  instances in one process do not pile up connections): 1,132 connections for one upload's run, 5.6 s of its 16.6.
  A process here holds one instance for its life: it keeps a small pool, as Dagster's webserver does for itself.
  SQLite storages have nothing to pool and ignore it.
- **The sensor daemon's loop at the sensor's interval.** The daemon evaluates sensors at most every 5 s whatever their
  ``minimum_interval_seconds``: an upload waited 2.9 s on average for the inbox sensor to see its receipt. Here the
  sensor looks every second, in rounds of a quarter of a second.
- **The run queue looked at every half second** (``PromptRunCoordinator``, ``run_coordinator`` in ``dagster.yaml``):
  Dagster's ``dequeue_interval_seconds`` takes whole seconds, and a queued upload's run waited half of it on average.
"""

import os
import sys

import dagster as dg
from dagster._core.run_coordinator import QueuedRunCoordinator

# one connection held per storage (runs, events, schedules), a few more for the threads; recycled after an hour; no
# statement time limit (a run's query is never cut short)
POOL = {"statement_timeout": 0, "pool_recycle": 3600, "max_overflow": 4}

# How often the daemon looks for new receipts (``pipelines.sensors``): an upload reaches its outputs within seconds.
SENSOR_SECONDS = int(os.environ.get("AREAVASTA_SENSOR_SECONDS", "1"))
# The daemon's round: a sensor is evaluated at the first round at least its interval after its last tick (rounds of 2 s
# with a sensor of 2 s ticked every 4 s, a round's own time making it miss every other one).
LOOP_SECONDS = 0.25


DEQUEUE_SECONDS = 0.5  # the daemon's interval loop waits in steps of half a second: less would not be sooner


class PromptRunCoordinator(QueuedRunCoordinator):
    """Dagster's queue (``max_concurrent_runs``, pools), looked at every ``DEQUEUE_SECONDS``."""

    @property
    def dequeue_interval_seconds(self) -> float:
        return DEQUEUE_SECONDS


def pooled(instance):
    """``instance`` with its connections pooled (once: a second engine would leave the first one's open)."""
    if not getattr(instance, "_areavasta_pooled", False):
        instance.optimize_for_webserver(**POOL)
        instance._areavasta_pooled = True
    return instance


def sensor_loop_at_sensor_interval() -> None:
    """In the daemon (which has imported its sensor loop before it makes its instance), a round every
    ``LOOP_SECONDS`` (Dagster's floor is 5 s); elsewhere nothing (a run does not import the daemon)."""
    loop = sys.modules.get("dagster._daemon.sensor")
    if loop is not None:
        loop.MIN_INTERVAL_LOOP_TIME = min(loop.MIN_INTERVAL_LOOP_TIME, LOOP_SECONDS)


class DeploymentInstance(dg.DagsterInstance):
    @classmethod
    def config_schema(cls) -> dict:
        return {}  # no settings of its own in dagster.yaml

    @staticmethod
    def config_defaults(base_dir: str):
        from dagster._core.instance.ref import InstanceRef

        return InstanceRef.config_defaults(base_dir)  # Dagster's own (asked of a custom instance class)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pooled(self)
        sensor_loop_at_sensor_interval()
