"""The annual rerun: the latest year of every body with data, every stage in one run, on a configurable date
(Europe/Rome)."""

import os

import dagster as dg

from pipelines.assets import ALL_ASSETS
from pipelines.partitions import YEARS

ANNUAL_CRON = os.environ.get("AREAVASTA_ANNUAL_CRON", "0 6 15 5 *")  # 15 May, after the final accounts (due 30 April)
annual_job = dg.define_asset_job(
    "annual_job",
    selection=ALL_ASSETS,
    description="Every stage for the latest year, every body with data (no areavasta/enti tag)",
)


@dg.schedule(
    job=annual_job,
    cron_schedule=ANNUAL_CRON,
    execution_timezone="Europe/Rome",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def annual_rerun(context: dg.ScheduleEvaluationContext):
    years = sorted(int(y) for y in context.instance.get_dynamic_partitions(YEARS.name))
    if not years:
        return dg.SkipReason("nessun anno registrato: nessun dato caricato")
    latest = years[-1]
    return dg.RunRequest(
        run_key=f"annual-{latest}-{context.scheduled_execution_time:%Y}",
        partition_key=str(latest),
    )
