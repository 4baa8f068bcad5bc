"""Per body, what Dagster's partitions no longer show: each body stage's last run for each body and year.

Bodies are data inside the year partition (``pipelines.partitions``), so the recording path of every body stage writes
``core.body_runs`` (one row per asset, body and year: run, time, ``ok`` / ``failed`` with the error / ``skipped``
after an earlier stage failed on that body), and every materialisation of a year carries ``stato_per_ente``: the table
of every body of that year with when it was last computed, by which run, and from which upload (receipt and original
file name, or the national open data). ``failed_earlier`` tells the later stages of a run which bodies to leave out.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from sources.reference import bodies as body_table
from warehouse import store as warehouse
from warehouse.tables import BODY_RUNS

STATES = {"ok": "calcolato", "failed": "non riuscito", "skipped": "non calcolato (fase precedente non riuscita)"}


def record(con, asset: str, keys: pl.DataFrame, run_id: str, errors: dict[tuple[str, int], str]) -> None:
    """``keys`` (body, year) run by ``asset`` in run ``run_id``; ``errors``: the keys it failed on (the message) or
    left out because an earlier stage failed on them (an empty message)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    rows = []
    for body, year in keys.select("body", "year").rows():
        error = errors.get((body, int(year)))
        state = "ok" if error is None else "skipped" if error == "" else "failed"
        rows.append((asset, body, int(year), run_id, now, state, error or None))
    frame = pl.DataFrame(rows, schema=BODY_RUNS.dtypes, orient="row")
    warehouse.replace_partitions(con, BODY_RUNS, frame, frame.select("asset", "body", "year"))


def failed_earlier(con, run_id: str) -> set[tuple[str, int]]:
    """(body, year) an earlier stage of this run failed on or left out: the later stages leave them out too."""
    found = con.execute(
        "SELECT DISTINCT body, year FROM core.body_runs WHERE run_id = ? AND state <> 'ok'", [run_id]
    ).fetchall()
    return {(str(b), int(y)) for b, y in found}


def _sources(con, year: int) -> dict[str, str]:
    """Body → where its figures of ``year`` come from: the uploads in use (phase, receipt, original name)."""
    rows = con.execute(
        "SELECT body, phase, receipt_seq, original_name FROM core.uploads WHERE year = ? AND status = 'current' "
        "AND content = 'budget' ORDER BY body, phase",
        [year],
    ).fetchall()
    found: dict[str, list[str]] = {}
    for body, phase, seq, name in rows:
        receipt = f"ricevuta n. {seq}, " if seq is not None else ""
        found.setdefault(str(body), []).append(f"{phase}: {receipt}{name}")
    return {body: "; ".join(parts) for body, parts in found.items()}


def year_table(con, asset: str, year: int) -> str:
    """The Markdown table of every body ``asset`` has run for in ``year``: the Dagster UI's view per body."""
    runs = con.execute(
        "SELECT body, recorded_at, state, error, run_id FROM core.body_runs WHERE asset = ? AND year = ? ORDER BY body",
        [asset, year],
    ).fetchall()
    names = dict(body_table().select("istat_code", "name").rows())
    sources = _sources(con, year)
    lines = [
        "| Ente | Ultimo calcolo (UTC) | Esito | Esecuzione | Dati da |",
        "|---|---|---|---|---|",
    ]
    for body, at, state, error, run_id in runs:
        outcome = STATES[state] + (f": {error[:120]}" if error else "")
        source = sources.get(str(body), "dati aperti nazionali (BDAP)")
        when = dt.datetime.fromisoformat(at).strftime("%d/%m/%Y %H:%M")
        cells = [f"{body} {names.get(body, '')}", when, outcome, run_id[:8], source]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines)
