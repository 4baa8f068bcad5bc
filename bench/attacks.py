"""Benchmark: the portal under the memory attacks of issue 25 (item 1), as an officer would send them.

    .venv/bin/python bench/attacks.py

Starts ``areavasta serve`` in its own process on a temporary home, logs an officer in and uploads, one at a time:
the Bologna template with 700,000 and with 100,000 extra one-cell rows under a ``<dimension>`` that still says the
sheet is small, a 1 MB CSV with a million separators on its first line, and a workbook just within the limits
(``max_cells`` of numbers: the most any accepted-size file can cost). Meanwhile a second user asks for the
login page every 50 ms. Printed per attack: the answer's time, the peak resident memory of the server and its intake
workers (sampled every 20 ms) above what they held before, the slowest answer the other user got, the findings kept in
the portal's database and the size of the status page. Targets (issue 25): at most 1 GB and 5 s per attack, the other
user never stalled more than 1 s.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboards import accounts
from sources.samples.budget import generate_budget
from sources.samples.layouts import write_layout
from sources.settings import load_settings
from tests import malformed as m


def padded_template(folder: Path, extra: int) -> Path:
    """The template of a whole budget, its data sheet followed by ``extra`` one-cell rows; the dimension unchanged."""
    base = folder / "base.xlsx"
    if not base.exists():
        write_layout("template", generate_budget("237", 2025, "previsione", seed=9), base)
    return m.edit_sheet_xml(base, folder / f"righe_in_piu_{extra}.xlsx", lambda xml: m.appended_rows(xml, count=extra))


def at_the_limit(folder: Path, columns: int = 10) -> Path:
    """Just within the limits: as many rows of ``columns`` numbers as ``max_cells`` allows (the worst a file can
    cost)."""
    rows_allowed = min(load_settings().max_rows, load_settings().max_cells // columns) - 5000
    letters = [chr(65 + i).encode() for i in range(columns)]

    def numbers(row: int) -> bytes:
        return b"".join(b'<c r="%s%d"><v>%d</v></c>' % (c, row, row) for c in letters)

    return m.edit_sheet_xml(
        folder / "base.xlsx",
        folder / f"al_limite_{rows_allowed}x{columns}.xlsx",
        lambda xml: m.appended_rows(xml, numbers, up_to=rows_allowed),
    )


def wide_csv(folder: Path) -> Path:
    out = folder / "un_milione_di_colonne.csv"
    out.write_text("missione;programma;importo" + ";" * 1_000_000 + "\n10;10.05;1\n", encoding="utf-8")
    return out


def family(pid: int) -> list[int]:
    """The server and its descendants (the intake workers)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo += parents.get(found[-1], [])
    return found


def resident_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            total += int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))
        except (OSError, AttributeError):
            pass
    return total / 1024


class Watch(threading.Thread):
    """Every 20 ms, the resident memory of the server and its workers: the highest sum seen."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, resident_mb(family(self.pid)))
            time.sleep(0.02)


def login(client: httpx.Client, user: str, password: str) -> None:
    page = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"csrf": token, "username": user, "password": password})
    assert answer.status_code in (200, 303), answer.status_code


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="areavasta-attacks-"))
    files = home / "files"
    files.mkdir()
    env = {
        **os.environ,
        "AREAVASTA_HOME": str(home),
        "AREAVASTA_SECRET": "bench-" + "s" * 48,
        "AREAVASTA_INBOX": str(home / "inbox"),
    }
    os.environ.update(env)
    settings = load_settings()
    accounts.add_user(settings, "ufficio.bo", "officer", "237", "pw-bologna")
    accounts.add_user(settings, "ufficio.mi", "officer", "215", "pw-milano")
    attacks = [padded_template(files, 700_000), padded_template(files, 100_000), wide_csv(files), at_the_limit(files)]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (home / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        time.sleep(3)  # the intake workers start with the portal: what is measured is a check, not their start
        officer, other = httpx.Client(base_url=base, timeout=120), httpx.Client(base_url=base, timeout=120)
        login(officer, "ufficio.bo", "pw-bologna")
        login(other, "ufficio.mi", "pw-milano")
        officer.get("/")
        token = re.search(r'name="csrf" value="([^"]+)"', officer.get("/").text).group(1)
        print(
            f"{'attack':<34}{'size MB':>9}{'answer s':>10}{'peak +MB':>10}{'other max s':>13}"
            f"{'findings':>10}{'page kB':>9}"
        )
        for path in attacks:
            before = resident_mb(family(server.pid))
            watch = Watch(server.pid)
            watch.start()
            slowest, stop = [0.0], threading.Event()

            def poll() -> None:
                while not stop.is_set():
                    start = time.perf_counter()
                    other.get("/login")
                    slowest[0] = max(slowest[0], time.perf_counter() - start)
                    time.sleep(0.05)

            poller = threading.Thread(target=poll)
            poller.start()
            start = time.perf_counter()
            with path.open("rb") as handle:
                answer = officer.post(
                    "/upload",
                    data={"csrf": token, "year": "2025", "phase": "previsione"},
                    files={"file": (path.name, handle)},
                )
            elapsed = time.perf_counter() - start
            time.sleep(0.3)
            stop.set()
            poller.join()
            watch.stop.set()
            watch.join()
            peak = watch.peak - before
            status = officer.get(answer.headers.get("location", "/")) if answer.status_code == 303 else answer
            with sqlite3.connect(accounts.portal_dir(settings) / "portal.sqlite") as con:
                stored = con.execute("SELECT findings_json FROM uploads ORDER BY received_at DESC LIMIT 1").fetchone()[
                    0
                ]
            kept = stored.count('"code"')
            print(
                f"{path.name:<34}{path.stat().st_size / 2**20:>9.1f}{elapsed:>10.2f}{peak:>10.0f}{slowest[0]:>13.2f}"
                f"{kept:>10}{len(status.content) / 1024:>9.0f}"
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
