"""The inbox sensor: it notices and requests; every write happens in the runs it requests.

A tick lists the inbox folder and reads the register of receipts (``sources.receipts``), nothing else: it never
opens the warehouse and never reads a file. Files dropped in the folder → one ``inbox_job`` run receiving them, oldest
first (``pipelines.inbox``: the intake as the folder's operator; a rejected file fails that run with its findings).
Pending receipts (the portal's, the folder's, a confirmed replacement) → one ``ingest_job`` run per body and year
(the year's partition, the body in the tag ``areavasta/enti``); its ``budget_lines`` loads every pending receipt in
order of receipt first (``pipelines.stage_lines``), then the body's stages and the year's run down to its workbook and
page. A receipt loaded by another process (``areavasta confirm``, ``ingest``)
gets its runs too: the cursor is the time of the last load whose runs were requested. Run keys make every request
once (the same files, the same receipt and partition), whichever tick sees them.
"""

import hashlib

import dagster as dg

from pipelines.assets import ALL_ASSETS
from pipelines.deployment_instance import SENSOR_SECONDS
from pipelines.inbox import inbox_job, waiting_files
from pipelines.partitions import YEARS, body_tags
from pipelines.resources import Warehouse
from pipelines.runner import recover_stale_runs
from sources import receipts

# An upload's body and year all the way to its workbook and page in one run, with the year's tables across bodies
# (peers, national overview, scenarios) computed again on the way: nothing waits for another hop, and the other bodies'
# own stages are not recomputed (they are by the next annual rerun or ``areavasta run``).
ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=ALL_ASSETS,
    description="A new upload's year, for its body (tag areavasta/enti): pending receipts loaded, lines, matrix, the "
    "year's peers and scenarios, priorities, plans, workbook and page",
)


def loaded_since(settings, cursor: str | None, started: str) -> tuple[list, str]:
    """Receipts the warehouse took since the cursor (the time of the last load whose runs were requested), and the new
    cursor. Without a cursor (the sensor's first tick) none: what was loaded before the sensor ran had its runs, and
    the cursor starts at this tick."""
    loaded = [r for r in receipts.all_receipts(settings) if r.status in receipts.LOADED and r.loaded_at]
    fresh = [r for r in loaded if cursor and r.loaded_at > cursor]
    return fresh, max([cursor or started, *(r.loaded_at for r in fresh)])


def folder_request(settings) -> dg.RunRequest | None:
    """One run receiving the files waiting in the inbox folder; its key names exactly those files (name, size, time),
    so the same files waiting at the next tick are not requested twice."""
    files = waiting_files(settings)
    if not files:
        return None
    digest = hashlib.sha256("\n".join(files).encode()).hexdigest()[:16]
    return dg.RunRequest(
        run_key=f"inbox-{digest}",
        job_name="inbox_job",
        run_config={"ops": {"archived_uploads": {"config": {"files": files}}}},
    )


@dg.sensor(
    jobs=[ingest_job, inbox_job],
    minimum_interval_seconds=SENSOR_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def inbox_sensor(context: dg.SensorEvaluationContext, warehouse_db: Warehouse):
    settings, started = warehouse_db.settings(), receipts.now()
    recovered = recover_stale_runs(
        context.instance
    )  # a dead command's run must not hold the queue and the slot for ever
    if recovered:
        context.log.warning(
            f"Recuperate {len(recovered)} esecuzioni interrotte (processo terminato): {', '.join(recovered)}"
        )
    requests = [r for r in [folder_request(settings)] if r is not None]
    fresh, cursor = loaded_since(settings, context.cursor, started)
    years = set()
    for receipt in [*receipts.pending(settings), *fresh]:
        for body, year, _phase in receipt.partitions:
            years.add(str(year))
            requests.append(
                dg.RunRequest(
                    run_key=f"receipt-{receipt.seq}-{year}-{body}",
                    job_name="ingest_job",
                    partition_key=str(year),
                    tags={"areavasta/receipt": str(receipt.seq), **body_tags([body])},
                )
            )
    if not requests:
        skip = "nessun file da ricevere né ricevuta da caricare"
        return dg.SkipReason(skip) if cursor == context.cursor else dg.SensorResult(skip_reason=skip, cursor=cursor)
    return dg.SensorResult(
        run_requests=list({r.run_key: r for r in requests}.values()),
        cursor=cursor,
        dynamic_partitions_requests=[YEARS.build_add_request(sorted(years))] if years else [],
    )
