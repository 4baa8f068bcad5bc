"""Bounded load test of the upload portal on loopback: N uploads from C concurrent clients.

Starts the portal (uvicorn) on 127.0.0.1 with a temporary home, one officer per body, and sends the
uploads through real HTTP (login, CSRF, multipart). Reports p50 / p95 / max latency of an upload
(request to redirect: dry run, archive copy, receipt), then loads the receipts as the inbox sensor
does and checks that every accepted upload was archived once and loaded once.

    .venv/bin/python bench/portal_load.py [--uploads 50] [--clients 8]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import polars as pl
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BODIES = ["237", "002", "036", "201", "215", "024", "028", "029"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uploads", type=int, default=50)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="areavasta-load-"))
    os.environ["AREAVASTA_HOME"] = str(home)
    os.environ["AREAVASTA_SECRET"] = "load-test-secret-" + "l" * 40
    from dashboards import accounts
    from dashboards.portal import create_app
    from sources import receipts
    from sources.samples.budget import generate_budget
    from sources.samples.layouts import write_layout
    from sources.settings import load_settings
    from warehouse import store as warehouse
    from warehouse.loading import load_receipts

    settings = load_settings()
    for body in BODIES:
        accounts.add_user(settings, f"ufficio.{body}", "officer", body, f"pw-{body}")
    base = {b: generate_budget(b, 2025, "rendiconto") for b in BODIES}
    files = []
    for n in range(args.uploads):
        body = BODIES[n % len(BODIES)]
        lines = base[body].with_columns(pl.col("amount_cents") + n)  # every upload different bytes
        files.append((body, write_layout("annex_amount_kinds", lines, home / "in" / f"{body}_{n}.xlsx")))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    latencies: list[float] = []

    def client(share: list[tuple[str, Path]]) -> int:
        accepted = 0
        sessions: dict[str, httpx.Client] = {}
        for body, path in share:
            http = sessions.get(body)
            if http is None:
                http = sessions[body] = httpx.Client(base_url=url, timeout=120, follow_redirects=True)
                token = re.search(r'name="csrf" value="([^"]+)"', http.get("/login").text).group(1)
                http.post("/login", data={"username": f"ufficio.{body}", "password": f"pw-{body}", "csrf": token})
            token = re.search(r'name="csrf" value="([^"]+)"', http.get("/").text).group(1)
            start = time.perf_counter()
            with path.open("rb") as handle:
                response = http.post(
                    "/upload",
                    data={"year": "2025", "phase": "rendiconto", "csrf": token},
                    files={"file": (path.name, handle, "application/octet-stream")},
                )
            latencies.append(time.perf_counter() - start)
            accepted += "elaborazione in corso" in response.text
        return accepted

    shares = [files[i :: args.clients] for i in range(args.clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        accepted = sum(pool.map(client, shares))
    wall = time.perf_counter() - started
    server.should_exit = True
    pending = receipts.pending(settings)
    load_started = time.perf_counter()
    outcomes = load_receipts(settings)
    load_time = time.perf_counter() - load_started
    archived = [p for p in settings.archive_dir.rglob("*.xlsx")]
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        loaded = con.execute("SELECT sha256, count(DISTINCT receipt_seq) FROM core.uploads GROUP BY sha256").fetchall()
    ordered = sorted(latencies)
    print(f"uploads: {len(files)} from {args.clients} concurrent clients, accepted {accepted}, wall {wall:.1f} s")
    print(
        f"upload latency (request to redirect): p50 {statistics.median(ordered):.2f} s, "
        f"p95 {ordered[int(0.95 * (len(ordered) - 1))]:.2f} s, max {ordered[-1]:.2f} s"
    )
    print(
        f"receipts registered: {len(pending)}, loaded: {sum(o.status == 'accepted' for o in outcomes)} in"
        f" {load_time:.1f} s"
    )
    once = len(archived) == accepted and len(loaded) == accepted and all(n == 1 for _, n in loaded)
    print(f"archived once: {len(archived)} files; loaded once: {len(loaded)} uploads -> {'OK' if once else 'MISMATCH'}")
    raise SystemExit(0 if once and accepted == len(files) else 1)


if __name__ == "__main__":
    main()
