"""Dagster definitions of areavasta: the method's asset graph, its checks, the inbox sensor, the annual schedule."""

import dagster as dg

from pipelines import dagster_setup  # noqa: F401 (Dagster's process-wide settings, before any Dagster object)
from pipelines.assets import ALL_ASSETS, archived_uploads
from pipelines.resources import Warehouse
from pipelines.schedules import annual_job, annual_rerun
from pipelines.sensors import SENSOR_SECONDS, inbox_sensor, ingest_job, rejected_upload

defs = dg.Definitions(
    assets=[archived_uploads, *ALL_ASSETS],
    jobs=[ingest_job, annual_job, rejected_upload],
    sensors=[
        inbox_sensor,
        dg.AutomationConditionSensorDefinition(
            "follow_inputs",
            target=dg.AssetSelection.all(),
            default_status=dg.DefaultSensorStatus.RUNNING,
            minimum_interval_seconds=SENSOR_SECONDS,
        ),
    ],  # the stages after an upload follow within seconds
    schedules=[annual_rerun],
    resources={"warehouse_db": Warehouse()},
    # one process per run, not per step: the steps share one DuckDB writer anyway (pool limit 1), and a process
    # per step cost ~10 s of interpreter starts for every upload's run (measured through the daemon)
    executor=dg.in_process_executor,
)
