"""Dagster definitions of areavasta: the method's asset graph, its checks, the inbox sensor, the annual schedule."""

import dagster as dg

from pipelines.assets import ALL_ASSETS, archived_uploads
from pipelines.resources import Warehouse
from pipelines.schedules import annual_job, annual_rerun
from pipelines.sensors import inbox_sensor, ingest_job, rejected_upload

defs = dg.Definitions(
    assets=[archived_uploads, *ALL_ASSETS],
    jobs=[ingest_job, annual_job, rejected_upload],
    sensors=[inbox_sensor, dg.AutomationConditionSensorDefinition(
        "follow_inputs", target=dg.AssetSelection.all(), default_status=dg.DefaultSensorStatus.RUNNING)],
    schedules=[annual_rerun],
    resources={"warehouse_db": Warehouse()},
)
