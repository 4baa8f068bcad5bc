"""What the Dagster daemon does with the inbox sensor, in process: tick, register the partitions it asks for, run
the runs it requests (each run key once), tick again, until a tick asks for nothing new.

``serve`` runs the intake runs (``inbox_job``) as they are, and of each ``ingest_job`` run only its ``budget_lines``
step (which loads the pending receipts) unless ``full``: most tests are about what reaches the warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg

from pipelines.definitions import defs
from pipelines.partitions import BODIES_TAG
from pipelines.resources import Warehouse
from pipelines.sensors import inbox_sensor


@dataclass
class Served:
    ticks: list = field(default_factory=list)  # each tick's SensorResult or SkipReason
    requests: list[dg.RunRequest] = field(default_factory=list)  # every run requested, once per run key
    runs: list[dg.ExecuteInProcessResult] = field(default_factory=list)
    cursor: str | None = None

    def partitions(self, job: str = "ingest_job") -> set[str]:
        """What each run asked for computes: ``2025|237`` (its year partition | the body of its tag)."""
        return requested(r for r in self.requests if r.job_name == job)

    def failed_runs(self) -> list[dg.ExecuteInProcessResult]:
        return [r for r in self.runs if not r.success]


def requested(run_requests) -> set[str | None]:
    """Run requests as ``year|body`` (the partition and the tag ``areavasta/enti``), or the year alone, or None."""
    return {
        f"{r.partition_key}|{r.tags[BODIES_TAG]}" if BODIES_TAG in (r.tags or {}) else r.partition_key
        for r in run_requests
    }


def resources(settings) -> dict:
    return {"warehouse_db": Warehouse(home=str(settings.home))}


def tick(settings, instance: dg.DagsterInstance | None = None, cursor: str | None = None):
    """One evaluation of the inbox sensor."""
    context = dg.build_sensor_context(
        instance=instance or dg.DagsterInstance.ephemeral(), cursor=cursor, resources=resources(settings)
    )
    return inbox_sensor(context)


def run(settings, request: dg.RunRequest, instance: dg.DagsterInstance, full: bool = False):
    """One requested run, in process."""
    if request.job_name == "inbox_job":
        job = defs.resolve_job_def("inbox_job")
        return job.execute_in_process(
            instance=instance, run_config=request.run_config, resources=resources(settings), raise_on_error=False
        )
    if full:
        job = defs.resolve_job_def("ingest_job")
        return job.execute_in_process(
            instance=instance,
            partition_key=request.partition_key,
            tags=request.tags,
            resources=resources(settings),
            raise_on_error=False,
        )
    from pipelines.assets import ALL_ASSETS

    return dg.materialize(
        ALL_ASSETS,
        selection=["budget_lines"],
        instance=instance,
        partition_key=request.partition_key,
        tags=request.tags,
        resources=resources(settings),
        raise_on_error=False,
    )


def serve(
    settings, instance: dg.DagsterInstance | None = None, cursor: str | None = None, full: bool = False, ticks: int = 6
) -> Served:
    """Ticks and their runs until a tick asks for nothing new (run keys already seen are not run again)."""
    instance = instance or dg.DagsterInstance.ephemeral()
    served, seen = Served(cursor=cursor), set()
    for _ in range(ticks):
        result = tick(settings, instance, served.cursor)
        served.ticks.append(result)
        if isinstance(result, dg.SkipReason):
            break
        served.cursor = result.cursor
        for request in result.dynamic_partitions_requests or []:
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        new = [r for r in result.run_requests if r.run_key not in seen]
        if not new:
            break
        for request in new:
            seen.add(request.run_key)
            served.requests.append(request)
            served.runs.append(run(settings, request, instance, full))
    return served
