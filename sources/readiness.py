"""Whether an upload's results are ready, from what the runs recorded on its receipt, never from a file's time.

The run that writes a body's workbook, DUP document and page records them on every receipt in use for that body, year
and phase (``record_outputs``: each file's name, path under the outputs folder, SHA-256, run and time); a run that
fails with a receipt in use records the failure in words (``record_failure``). ``readiness`` reads that record at a
moment given by the caller (the portal's clock): ready only when all three files were written after the file was
loaded and are still the files the run wrote (``still_written``); otherwise in the officer's words what is happening,
whom to call when nothing moves (``Settings.support_contact``). Files, not the warehouse: the portal reads receipts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sources import receipts
from sources.receipts import Receipt

NOT_TAKEN_AFTER = dt.timedelta(minutes=1)  # no run has loaded the file: no daemon, or one stuck
SLOW_AFTER = dt.timedelta(minutes=15)  # loaded, but no results yet: a run killed midway, or a queue far too long
SUFFIXES = ("html", "xlsx", "docx")  # the page, the workbook and the DUP document of one body, year and phase
KIND_OF = {"html": "dashboards", "xlsx": "reports", "docx": "reports"}  # the folder of outputs each is written to

WORDS = {
    "it": {
        "queued": "File accettato: elaborazione in corso. La pagina si aggiorna da sola ogni 5 secondi.",
        "not_taken": "Il file è stato ricevuto e archiviato alle {received}, ma da più di un minuto nessuna "
        "elaborazione lo ha preso in carico: il servizio che calcola i risultati sembra fermo. Il file non va "
        "caricato di nuovo. Se la pagina non cambia entro qualche minuto, contattare {contact}, indicando la "
        "ricevuta n. {number}.",
        "preparing": "I dati del file sono stati caricati alle {loaded}: i risultati sono in preparazione. "
        "La pagina si aggiorna da sola ogni 5 secondi.",
        "slow": "I dati del file sono stati caricati alle {loaded}, ma i risultati non sono ancora pronti dopo più "
        "di un quarto d'ora: l'elaborazione potrebbe essersi interrotta. Contattare {contact}, indicando la "
        "ricevuta n. {number}.",
        "failed": "L'elaborazione dei risultati non è riuscita ({when}, fase: {stage}). I dati del file sono al "
        "sicuro nell'archivio e non occorre caricarlo di nuovo. Contattare {contact}, indicando la ricevuta n. "
        "{number}.",
        "ready": "Elaborazione completata alle {written}: i risultati comprendono questo file.",
        "contact": "l'amministratore del portale (chi ha fornito le credenziali di accesso)",
        "stages": {
            "loading": "caricamento dei dati",
            "method": "calcolo della classificazione e delle priorità",
            "outputs": "scrittura del rapporto e del cruscotto",
            "checks": "controlli sui dati caricati",
        },
    },
    "en": {
        "queued": "File accepted: processing. This page refreshes itself every 5 seconds.",
        "not_taken": "The file was received and archived at {received}, but for more than a minute no run has taken "
        "it: the service that computes the results seems to be stopped. Do not upload the file again. If this page "
        "does not change within a few minutes, contact {contact}, quoting receipt no. {number}.",
        "preparing": "The file's data were loaded at {loaded}: the results are being prepared. This page refreshes "
        "itself every 5 seconds.",
        "slow": "The file's data were loaded at {loaded}, but the results are still not ready after more than a "
        "quarter of an hour: the processing may have stopped. Contact {contact}, quoting receipt no. {number}.",
        "failed": "Computing the results failed ({when}, step: {stage}). The file's data are safe in the archive and "
        "the file need not be uploaded again. Contact {contact}, quoting receipt no. {number}.",
        "ready": "Processing completed at {written}: the results include this file.",
        "contact": "the portal's administrator (whoever gave you your login)",
        "stages": {
            "loading": "loading the data",
            "method": "computing the classification and the priorities",
            "outputs": "writing the report and the dashboard",
            "checks": "checks on the loaded data",
        },
    },
}


@dataclass(frozen=True)
class Readiness:
    """What the officer is told: ``state`` (queued, not_taken, preparing, slow, failed, ready), the sentence, whether
    the page should refresh itself, and the files (name → path under the outputs folder) when ready."""

    state: str
    message: str
    refresh: bool
    files: dict = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return self.state == "ready"


def stems_of(receipt: Receipt) -> list[str]:
    """The outputs' stems of every body, year and phase the file brings (``237_2025_rendiconto``)."""
    found = [f"{b}_{y}_{p}" for b, y, p in receipt.partitions]
    if not found and receipt.body and receipt.year and receipt.phase:
        found = [f"{receipt.body}_{receipt.year}_{receipt.phase}"]
    return sorted(set(found))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def record_outputs(settings, seq: int, run_id: str, written: dict[str, Path]) -> None:
    """On receipt ``seq``: the files a run wrote with it in use (name → path under the outputs folder)."""
    at = receipts.now()
    entries = {
        name: {"path": str(path.relative_to(settings.outputs_dir)), "sha256": digest(path), "run_id": run_id, "at": at}
        for name, path in written.items()
    }
    receipts.update(settings, seq, lambda r: r.outputs.update(entries))


def record_failure(settings, seq: int, run_id: str, stage: str) -> None:
    """On receipt ``seq``: a run with it in use failed at ``stage`` (a key of ``WORDS[lang]["stages"]``)."""
    failure = {"run_id": run_id, "stage": stage, "at": receipts.now()}
    receipts.update(settings, seq, lambda r: setattr(r, "failure", failure))


def still_written(settings, entry: dict) -> Path | None:
    """The recorded file, if it is still the one the run wrote (a later run may have replaced it): else None."""
    path = settings.outputs_dir / entry["path"]
    try:
        return path if path.is_file() and digest(path) == entry["sha256"] else None
    except OSError:
        return None


def _at(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _clock(moment: dt.datetime | None, lang: str) -> str:
    """ "07:52 del 04/12/2026" in the server's time zone, from the register's naive UTC."""
    if moment is None:
        return ""
    local = moment.replace(tzinfo=dt.UTC).astimezone()
    return local.strftime("%H:%M del %d/%m/%Y" if lang == "it" else "%H:%M on %Y-%m-%d")


def readiness(settings, receipt: Receipt, now: dt.datetime, number: str = "", lang: str = "it") -> Readiness | None:
    """The receipt's results as of ``now`` (naive UTC, as the register's times), or None when its fate says it all
    (held, cancelled, superseded, unchanged, rejected at load: the page says those in the register's words)."""
    words = WORDS[lang]
    loaded = _at(receipt.loaded_at)
    values = {
        "received": _clock(_at(receipt.received_at), lang),
        "loaded": _clock(loaded, lang),
        "contact": settings.support_contact or words["contact"],
        "number": number or receipt.seq,
    }
    if receipt.status not in (receipts.RECEIVED, receipts.CURRENT):
        return None
    failed = _at(receipt.failure.get("at")) if receipt.failure else None
    if receipt.status == receipts.RECEIVED:
        if failed and failed >= _at(receipt.received_at):
            return _failed(receipt, words, values, lang)
        late = now - _at(receipt.received_at) > NOT_TAKEN_AFTER
        return Readiness(
            "not_taken" if late else "queued", words["not_taken" if late else "queued"].format(**values), True
        )
    names = [f"{stem}.{suffix}" for stem in stems_of(receipt) for suffix in SUFFIXES]
    entries = [receipt.outputs.get(name) for name in names]
    recorded = bool(entries) and all(e and loaded and _at(e["at"]) >= loaded for e in entries)
    newest = max((_at(e["at"]) for e in entries), default=None) if recorded else None
    if newest and all(still_written(settings, e) for e in entries):  # a later failed refresh leaves them valid
        files = {name: entry["path"] for name, entry in zip(names, entries)}
        return Readiness("ready", words["ready"].format(written=_clock(newest, lang)), False, files)
    if failed and loaded and failed >= loaded:
        return _failed(receipt, words, values, lang)
    slow = loaded is not None and now - loaded > SLOW_AFTER
    return Readiness("slow" if slow else "preparing", words["slow" if slow else "preparing"].format(**values), not slow)


def _failed(receipt: Receipt, words: dict, values: dict, lang: str) -> Readiness:
    when = _clock(_at(receipt.failure["at"]), lang)
    stage = words["stages"].get(receipt.failure.get("stage"), words["stages"]["method"])
    return Readiness("failed", words["failed"].format(when=when, stage=stage, **values), False)
