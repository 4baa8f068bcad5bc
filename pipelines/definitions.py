"""Dagster definitions of areavasta: the method's asset graph with its checks, the loads and the inbox intake, the
inbox sensor, the annual schedule."""

import dagster as dg

from pipelines import dagster_setup  # noqa: F401 (Dagster's process-wide settings, before any Dagster object)
from pipelines.assets import GRAPH
from pipelines.inbox import inbox_job
from pipelines.loaders import OUTCOME_IO, OutcomeIO
from pipelines.resources import Warehouse
from pipelines.schedules import annual_job, annual_rerun
from pipelines.sensors import inbox_sensor, ingest_job

defs = dg.Definitions(
    assets=GRAPH,
    jobs=[ingest_job, annual_job, inbox_job],
    sensors=[inbox_sensor],  # an upload's run holds every stage of its body and year: no automation hop after it
    schedules=[annual_rerun],
    resources={"warehouse_db": Warehouse(), OUTCOME_IO: OutcomeIO()},
    # one process per run, not per step: the steps share one DuckDB writer anyway (pool limit 1), and a process
    # per step cost ~10 s of interpreter starts for every upload's run (measured through the daemon)
    executor=dg.in_process_executor,
)
