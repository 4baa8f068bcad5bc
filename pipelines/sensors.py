"""The inbox sensor: files dropped in a folder go through the same intake as the command line and the portal.

Accepted: archived and loaded, its years registered, a run requested for exactly its partitions, the file
moved to ``inbox/accepted/``. Rejected: the findings written beside it (Italian text and JSON), the file
moved to ``inbox/rejected/``, and a run of ``rejected_upload`` that fails with the findings, so the UI shows
a failed event. The same file again (same SHA-256) does nothing.
"""

import json
import os
import shutil
from pathlib import Path

import dagster as dg

from areavasta.findings import findings_json
from pipelines.assets import BODY_STAGE_1
from pipelines.partitions import BODIES, YEARS, key_of
from pipelines.resources import Warehouse
from sources.intake import ingest_files

SUFFIXES = {".xlsx", ".csv", ".xls", ".xlsm"}
ingest_job = dg.define_asset_job("ingest_job", selection=BODY_STAGE_1, description="Budget lines, metrics, authority and matrix of new uploads")


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


def write_findings(target: Path, outcome) -> None:
    """``<file>.rilievi.txt`` (Italian) and ``<file>.findings.json`` beside the rejected file."""
    findings = outcome.validation.findings
    text = "\n".join(f"[{f.severity}] {f.code} - {f.location}: {f.message('it')}" for f in findings)
    target.with_name(target.name + ".rilievi.txt").write_text(text + "\n", encoding="utf-8")
    target.with_name(target.name + ".findings.json").write_text(findings_json(findings), encoding="utf-8")


@dg.sensor(jobs=[ingest_job, rejected_upload], minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def inbox_sensor(context: dg.SensorEvaluationContext, warehouse_db: Warehouse):
    settings = warehouse_db.settings()
    inbox = inbox_dir(settings)
    files = sorted(p for p in inbox.glob("*") if p.is_file() and p.suffix.lower() in SUFFIXES) if inbox.exists() else []
    if not files:
        return dg.SkipReason(f"nessun file in {inbox}")
    run_requests, years, bodies = [], set(), set()
    for outcome, path in zip(ingest_files(files, settings, user="inbox"), files):
        folder = inbox / ("rejected" if outcome.status == "rejected" else "accepted")
        folder.mkdir(exist_ok=True)
        target = folder / path.name
        shutil.move(str(path), target)
        sha = outcome.validation.sha256
        if outcome.status == "rejected":
            write_findings(target, outcome)
            run_requests.append(dg.RunRequest(run_key=f"rejected-{sha}", job_name="rejected_upload", run_config={
                "ops": {"report_rejection": {"config": {"file": path.name, "findings": json.loads(findings_json(outcome.validation.findings))}}}}))
        elif outcome.status == "accepted" and outcome.validation.table == "budget":  # revenue feeds no stage yet: nothing to rerun
            for body, year, _phase in outcome.partitions:
                years.add(str(year))
                bodies.add(body)
                run_requests.append(dg.RunRequest(run_key=f"{sha}-{year}-{body}", job_name="ingest_job", partition_key=key_of(body, year)))
    run_requests = list({r.run_key: r for r in run_requests}.values())
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[YEARS.build_add_request(sorted(years)), BODIES.build_add_request(sorted(bodies))] if years else [],
    )
