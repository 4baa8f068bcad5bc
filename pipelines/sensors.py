"""The inbox sensor: registered receipts become warehouse loads and run requests, in order of receipt.

Two sources of receipts, one intake (``sources.intake.receive``): the portal registers its uploads
itself (with the officer's identity and body); files an operator drops in the inbox folder are
received here, as the folder's operator (``AREAVASTA_INBOX_USER``, every body), oldest first. Then
every pending receipt is loaded in order of receipt (``load_receipts``: the uploader's rights are
applied again, the latest receipt of a partition ends current) and a run is requested for exactly
the partitions loaded. A rejected folder file gets its findings written beside it (Italian text and
JSON), is moved to ``inbox/rejected/``, and a run of ``rejected_upload`` fails with the findings, so
the UI shows a failed event. The same file again for the same partitions does nothing. A held replacement
(``sources.receipts``) is never loaded: it waits for its officer's confirmation, and a folder file
held gets ``<file>.in_attesa.txt`` beside it. Files the portal validated are not read again
(``sources.validated``), nor are the folder's, validated in this same tick.
"""

import json
import os
import shutil
from pathlib import Path

import dagster as dg

from pipelines.assets import BODY_STAGE_1, BODY_STAGE_2, BODY_STAGE_3
from pipelines.partitions import BODIES, YEARS, key_of
from pipelines.resources import Warehouse
from pipelines.runner import recover_stale_runs
from sources import receipts, replacement
from sources.findings import findings_json
from sources.intake import receive
from sources.receipts import Uploader
from warehouse.errors import WarehouseError
from warehouse.loading import LOAD_MEMORY, failed_validation, load_receipts
from warehouse.store import connect

SUFFIXES = {".xlsx", ".csv", ".xls", ".xlsm"}
# An upload's own partition all the way to its workbook and page in one run: the officer sees the new figures within
# seconds (peers as last computed); automation then refreshes the year's cross-body assets and the body stages after them.
ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=[*BODY_STAGE_1, *BODY_STAGE_2, *BODY_STAGE_3],
    description="A new upload's body and year: lines, matrix, priorities, plans, workbook and page",
)


def inbox_dir(settings) -> Path:
    return Path(os.environ.get("AREAVASTA_INBOX", settings.home / "inbox"))


@dg.op(config_schema={"file": str, "findings": list})
def report_rejection(context) -> None:
    findings = context.op_config["findings"]
    raise dg.Failure(
        description=f"{context.op_config['file']}: file respinto ({len(findings)} rilievi)",
        metadata={"findings": dg.MetadataValue.json(findings)},
    )


@dg.job(description="Fails on purpose, carrying the findings of a rejected upload")
def rejected_upload():
    report_rejection()


def write_findings(target: Path, findings) -> None:
    """``<file>.rilievi.txt`` (Italian) and ``<file>.findings.json`` beside the rejected file."""
    text = "\n".join(f"[{f.severity}] {f.code} - {f.location}: {f.message('it')}" for f in findings)
    target.with_name(target.name + ".rilievi.txt").write_text(text + "\n", encoding="utf-8")
    target.with_name(target.name + ".findings.json").write_text(findings_json(findings), encoding="utf-8")


def folder_operator() -> Uploader:
    """Whoever can write into the server's inbox folder is an operator: every body."""
    return Uploader(os.environ.get("AREAVASTA_INBOX_USER", "cartella inbox"))


def receive_folder(settings) -> tuple[list[dg.RunRequest], dict]:
    """Receive the files dropped in the inbox folder, oldest first; rejected ones are moved aside with their findings, a held
    replacement with what it would change. Returns the run requests of the rejections and the dry runs by receipt, so that
    loading does not read the files again."""
    inbox = inbox_dir(settings)
    files = [p for p in inbox.glob("*") if p.is_file() and p.suffix.lower() in SUFFIXES] if inbox.exists() else []
    requests, validated = [], {}
    for path in sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name)):
        try:
            validation, receipt = receive(path, settings, folder_operator(), display_name=path.name)
        except WarehouseError:
            raise
        except Exception as exc:  # one file never blocks the others: it is set aside with what happened
            validation, receipt = failed_validation(path, exc), None
        folder = inbox / ("rejected" if receipt is None else "accepted")
        folder.mkdir(exist_ok=True)
        target = folder / path.name
        shutil.move(str(path), target)
        if receipt is not None:
            validated[receipt.seq] = validation
            if receipt.status == receipts.HELD:
                write_held(target, receipt)
        if receipt is None:
            write_findings(target, validation.findings)
            requests.append(
                dg.RunRequest(
                    run_key=f"rejected-{validation.sha256}",
                    job_name="rejected_upload",
                    run_config={
                        "ops": {
                            "report_rejection": {
                                "config": {
                                    "file": path.name,
                                    "findings": json.loads(findings_json(validation.findings)),
                                }
                            }
                        }
                    },
                )
            )
    return requests, validated


def write_held(target: Path, receipt) -> None:
    """``<file>.in_attesa.txt`` beside a held file: what it would change, and how to confirm or cancel it."""
    lines = [
        f"{target.name}: in attesa di conferma (ricevuta {receipt.seq}). Non è stato caricato: peggiorerebbe i dati in uso."
    ]
    for view in replacement.held_view(receipt.comparisons):
        lines += [f"{view['what']}, al posto di {view['previous_name']}:"] + [
            f"  - {reason}" for reason in view["reasons"]
        ]
    lines.append(
        f"Per sostituire comunque: areavasta confirm {receipt.seq}; per annullare: areavasta cancel {receipt.seq}."
    )
    target.with_name(target.name + ".in_attesa.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def loaded_since(settings, cursor: str | None, started: str) -> tuple[list, str | None]:
    """Budget receipts the warehouse took since the cursor (the time of the last one whose runs were requested), and the new
    cursor. Dagster stores the cursor with the run requests, so a tick that dies after loading, or a load by another
    process (``areavasta confirm``), still gets its runs requested at the next tick. Without a cursor (the sensor's first
    tick), only what this tick loaded."""
    fresh = [
        r
        for r in receipts.all_receipts(settings)
        if r.status in receipts.LOADED
        and r.table == "budget"
        and r.loaded_at
        and (r.loaded_at > cursor if cursor else r.loaded_at >= started)
    ]  # revenue feeds no stage yet: nothing to rerun
    return fresh, max([cursor or "", *(r.loaded_at for r in fresh)]) or None


# How often the daemon looks for new receipts: an upload reaches its refreshed outputs within seconds, not a tick of 30.
SENSOR_SECONDS = int(os.environ.get("AREAVASTA_SENSOR_SECONDS", "5"))


@dg.sensor(
    jobs=[ingest_job, rejected_upload],
    minimum_interval_seconds=SENSOR_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def inbox_sensor(context: dg.SensorEvaluationContext, warehouse_db: Warehouse):
    settings = warehouse_db.settings()
    recovered = recover_stale_runs(
        context.instance
    )  # a dead command's run must not hold the queue and the slot for ever
    if recovered:
        context.log.warning(
            f"Recuperate {len(recovered)} esecuzioni interrotte (processo terminato): {', '.join(recovered)}"
        )
    started = receipts.now()
    try:
        run_requests, validated = receive_folder(settings)
        # another process holds the warehouse: skip this tick at once (never wait inside the daemon's tick), saying who
        with connect(settings.warehouse_path, wait=0, memory_limit=LOAD_MEMORY) as con:
            load_receipts(settings, validated=validated, con=con)
    except WarehouseError as exc:  # busy, or damaged: the next tick tries again; nothing is lost
        context.log.info(exc.message())
        return dg.SkipReason(exc.message())
    fresh, cursor = loaded_since(settings, context.cursor, started)
    years, bodies = set(), set()
    for receipt in fresh:
        for body, year, _phase in receipt.partitions:
            years.add(str(year))
            bodies.add(body)
            run_requests.append(
                dg.RunRequest(
                    run_key=f"receipt-{receipt.seq}-{year}-{body}",
                    job_name="ingest_job",
                    partition_key=key_of(body, year),
                )
            )
    if not run_requests:
        return dg.SkipReason("nessun file ricevuto da caricare")
    return dg.SensorResult(
        run_requests=list({r.run_key: r for r in run_requests}.values()),
        cursor=cursor,
        dynamic_partitions_requests=[YEARS.build_add_request(sorted(years)), BODIES.build_add_request(sorted(bodies))]
        if years
        else [],
    )
