"""The inbox folder's files through the intake, as an asset: ``archived_uploads``, run by ``inbox_job`` when the sensor
notices files (``pipelines.sensors``).

A run receives the files its configuration names (``name|size|mtime_ns``, oldest first) with the one intake
(``sources.intake.receive``) as the folder's operator (``AREAVASTA_INBOX_USER``, every body): each accepted file is
archived and registered as a receipt (pending: the ``budget_lines`` asset loads it) and moved to ``inbox/accepted/``;
a held replacement gets ``<file>.in_attesa.txt`` beside it; a rejected file goes to ``inbox/rejected/`` with its
findings beside it (Italian text and JSON), and the run fails with them, so the UI shows a failed run. A file gone
or changed since the sensor noticed it is left to the run that noticed it as it is now.
"""

import json
import os
import shutil
from pathlib import Path

import dagster as dg

from pipelines.configs import InboxConfig
from pipelines.resources import Warehouse
from sources import receipts, replacement
from sources.findings import findings_json
from sources.intake import receive
from sources.receipts import Uploader
from warehouse.errors import WarehouseError
from warehouse.loading import failed_validation

SUFFIXES = {".xlsx", ".csv", ".xls", ".xlsm"}


def inbox_dir(settings) -> Path:
    return Path(os.environ.get("AREAVASTA_INBOX", settings.home / "inbox"))


def file_key(path: Path) -> str:
    """What identifies a dropped file without reading it: name, size and time of last change."""
    stat = path.stat()
    return f"{path.name}|{stat.st_size}|{stat.st_mtime_ns}"


def waiting_files(settings) -> list[str]:
    """Keys of the files waiting in the inbox folder, oldest first (a directory listing: nothing is read)."""
    inbox = inbox_dir(settings)
    if not inbox.exists():
        return []
    files = [p for p in inbox.glob("*") if p.is_file() and p.suffix.lower() in SUFFIXES]
    return [file_key(p) for p in sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))]


def folder_operator() -> Uploader:
    """Whoever can write into the server's inbox folder is an operator: every body."""
    return Uploader(os.environ.get("AREAVASTA_INBOX_USER", "cartella inbox"))


def write_findings(target: Path, findings) -> None:
    """``<file>.rilievi.txt`` (Italian) and ``<file>.findings.json`` beside the rejected file."""
    text = "\n".join(f"[{f.severity}] {f.code} - {f.location}: {f.message('it')}" for f in findings)
    target.with_name(target.name + ".rilievi.txt").write_text(text + "\n", encoding="utf-8")
    target.with_name(target.name + ".findings.json").write_text(findings_json(findings), encoding="utf-8")


def write_held(target: Path, receipt) -> None:
    """``<file>.in_attesa.txt`` beside a held file: what it would change, and how to confirm or cancel it."""
    said = f"{target.name}: in attesa di conferma (ricevuta {receipt.seq}). Non è stato caricato: peggiorerebbe i dati"
    lines = [f"{said} in uso."]
    for view in replacement.held_view(receipt.comparisons):
        lines += [f"{view['what']}, al posto di {view['previous_name']}:"] + [
            f"  - {reason}" for reason in view["reasons"]
        ]
    lines.append(
        f"Per sostituire comunque: areavasta confirm {receipt.seq}; per annullare: areavasta cancel {receipt.seq}."
    )
    target.with_name(target.name + ".in_attesa.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def receive_files(settings, keys: list[str]) -> tuple[list, dict[str, list]]:
    """Receive the files ``keys`` name, in that order: (receipts registered, findings of each rejected file by name).
    One file never blocks the others: an unexpected failure rejects that file with what happened."""
    inbox = inbox_dir(settings)
    registered, rejected = [], {}
    for key in keys:
        path = inbox / key.split("|")[0]
        if not path.is_file() or file_key(path) != key:
            continue  # taken by an earlier run, or changed since: the run that noticed it as it is now takes it
        try:
            validation, receipt = receive(path, settings, folder_operator(), display_name=path.name, keep=True)
        except WarehouseError:
            raise
        except Exception as exc:  # noqa: BLE001 - set aside with what happened, never blocking the other files
            validation, receipt = failed_validation(path, exc), None
        folder = inbox / ("rejected" if receipt is None else "accepted")
        folder.mkdir(exist_ok=True)
        target = folder / path.name
        shutil.move(str(path), target)
        if receipt is None:
            write_findings(target, validation.findings)
            rejected[path.name] = json.loads(findings_json(validation.findings))
            continue
        registered.append(receipt)
        if receipt.status == receipts.HELD:
            write_held(target, receipt)
    return registered, rejected


@dg.asset(
    name="archived_uploads",
    group_name="metodo",
    kinds={"xlsx", "csv"},
    pool="inbox",  # one intake run at a time: the order of receipt is the order the files were dropped
    output_required=False,
    description="Files accepted by the intake (inbox folder, command line or portal), kept in var/archive by SHA-256 "
    "with a receipt each; materialised by the runs that receive the inbox folder's files.",
)
def archived_uploads(context: dg.AssetExecutionContext, config: InboxConfig, warehouse_db: Warehouse):
    registered, rejected = receive_files(warehouse_db.settings(), config.files)
    if registered:
        yield dg.MaterializeResult(
            metadata={
                "receipts": dg.MetadataValue.json(
                    [{"seq": r.seq, "file": r.original_name, "status": r.status} for r in registered]
                ),
                "partitions": dg.MetadataValue.json(
                    sorted({f"{p[1]}|{p[0]}" for r in registered for p in r.partitions})
                ),
            }
        )
    if rejected:
        raise dg.Failure(
            description="; ".join(f"{name}: file respinto ({len(found)} rilievi)" for name, found in rejected.items()),
            metadata={"findings": dg.MetadataValue.json(rejected)},
        )


inbox_job = dg.define_asset_job(
    "inbox_job",
    selection=[archived_uploads],
    description="Receives the files dropped in the inbox folder (fails, with the findings, when one is rejected)",
)
