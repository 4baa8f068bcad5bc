"""The annual rerun: the latest year of every body, then the cross-body assets, on a configurable date (Europe/Rome)."""

import os

import dagster as dg

from pipelines.assets import FIRST_LAYER
from pipelines.partitions import YEARS, year_range_tags

ANNUAL_CRON = os.environ.get("AREAVASTA_ANNUAL_CRON", "0 6 15 5 *")  # 15 May, after the final accounts (due 30 April)
annual_job = dg.define_asset_job(
    "annual_job",
    selection=FIRST_LAYER,
    description="The body stage for the latest year of every body; the year and later stages follow by automation",
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
        tags={**year_range_tags(latest, context.instance), "anno": str(latest)},
    )
