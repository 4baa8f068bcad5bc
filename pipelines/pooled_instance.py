"""A Dagster instance that holds its PostgreSQL connections: ``instance_class`` in ``deploy/dagster.yaml``.

dagster-postgres opens a new connection for every read and write (its default, so that many instances in one process
do not pile up connections): 1,132 connections for one upload's run, 5.6 s of its 16.6 on this machine (issue 30,
docs/BENCHMARKS.md). The daemon, a run's process and a command each hold one instance for their life: it keeps a small
pool instead, as Dagster's webserver does for itself. SQLite storages have nothing to pool and ignore it.

Imports Dagster only: the daemon loads this class.
"""

import dagster as dg

# one connection held per storage (runs, events, schedules), a few more for the threads; recycled after an hour; no
# statement time limit (a run's query is never cut short)
POOL = {"statement_timeout": 0, "pool_recycle": 3600, "max_overflow": 4}


def pooled(instance):
    """``instance`` with its connections pooled (once: a second engine would leave the first one's open)."""
    if not getattr(instance, "_areavasta_pooled", False):
        instance.optimize_for_webserver(**POOL)
        instance._areavasta_pooled = True
    return instance


class PooledInstance(dg.DagsterInstance):
    """Every process of a deployment (daemon, webserver, runs) gets its instance from ``dagster.yaml``: this one."""

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
