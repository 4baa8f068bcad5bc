"""Uploads are checked in worker processes (issue 25, item 1): another user is not stalled by a check that holds the
interpreter, a check's memory is bounded, and a worker that dies refuses its file without taking the portal down."""

from __future__ import annotations

import asyncio
import os
import re
import time

import pytest
from starlette.testclient import TestClient

from dashboards import accounts, intake_worker
from dashboards.portal import create_app
from tests import malformed as m
from tests import worker_tasks


@pytest.fixture
def one_worker(monkeypatch):
    monkeypatch.setenv("AREAVASTA_INTAKE_WORKERS", "1")
    yield
    intake_worker.shutdown()


async def _slowest_tick_while(task) -> tuple[float, object]:
    """The longest the event loop waited between 10 ms ticks while ``task`` ran."""
    slowest, done = 0.0, asyncio.Event()

    async def tick():
        nonlocal slowest
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            slowest, last = max(slowest, now - last), now

    ticker = asyncio.create_task(tick())
    try:
        result = await task
    finally:
        done.set()
        await ticker
    return slowest, result


def test_a_check_holding_the_interpreter_does_not_stall_the_portal(one_worker):
    asyncio.run(intake_worker.run(worker_tasks.pid))  # the worker is up (its start is not what is measured)
    slowest, held = asyncio.run(_slowest_tick_while(intake_worker.run(worker_tasks.hold_the_interpreter, 25)))
    assert held > 0.5 and slowest < held / 3, (held, slowest)


def test_in_the_thread_pool_the_same_check_would_stall_it(monkeypatch):
    """The reason for the workers, measured: the same task in a thread keeps every request waiting."""
    monkeypatch.setenv("AREAVASTA_INTAKE_WORKERS", "0")
    slowest, held = asyncio.run(_slowest_tick_while(intake_worker.run(worker_tasks.hold_the_interpreter, 25)))
    assert slowest > 0.8 * held > 0.4


def test_a_check_past_the_memory_bound_is_refused_and_the_next_one_runs(one_worker, monkeypatch):
    monkeypatch.setenv("AREAVASTA_INTAKE_MEMORY_MB", "3000")
    assert asyncio.run(intake_worker.run(worker_tasks.allocate, 100)) == 100 * 2**20
    with pytest.raises(intake_worker.IntakeFailed):
        asyncio.run(intake_worker.run(worker_tasks.allocate, 3000))
    assert asyncio.run(intake_worker.run(worker_tasks.allocate, 100)) == 100 * 2**20


def test_a_worker_that_dies_refuses_its_file_and_is_replaced(one_worker):
    first = asyncio.run(intake_worker.run(worker_tasks.pid))
    with pytest.raises(intake_worker.IntakeFailed):
        asyncio.run(intake_worker.run(worker_tasks.die))
    second = asyncio.run(intake_worker.run(worker_tasks.pid))
    assert first != second != os.getpid()


def test_the_worker_sees_the_settings_of_the_moment(one_worker, monkeypatch):
    monkeypatch.setenv("AREAVASTA_INBOX", "/prima")
    assert asyncio.run(intake_worker.run(worker_tasks.setting, "AREAVASTA_INBOX")) == "/prima"
    monkeypatch.setenv("AREAVASTA_INBOX", "/dopo")
    monkeypatch.setenv("AREAVASTA_HOME", "/casa")
    assert asyncio.run(intake_worker.run(worker_tasks.setting, "AREAVASTA_INBOX")) == "/dopo"
    monkeypatch.delenv("AREAVASTA_INBOX")
    assert asyncio.run(intake_worker.run(worker_tasks.setting, "AREAVASTA_INBOX")) is None


def _officer(settings, monkeypatch) -> TestClient:
    monkeypatch.setenv("AREAVASTA_SECRET", "worker-secret-" + "z" * 40)
    accounts.add_user(settings, "ufficio.bo", "officer", "237", "pw-bologna")
    client = TestClient(create_app(settings))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"csrf": token, "username": "ufficio.bo", "password": "pw-bologna"})
    return client


def _upload(client: TestClient, path) -> str:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
    with path.open("rb") as handle:
        answer = client.post(
            "/upload",
            data={"csrf": token, "year": "2026", "phase": "previsione"},
            files={"file": (path.name, handle)},
            follow_redirects=False,
        )
    assert answer.status_code == 303, answer.text
    return client.get(answer.headers["location"]).text


def test_an_upload_through_a_worker_is_received(settings, monkeypatch, tmp_path, one_worker):
    client = _officer(settings, monkeypatch)
    page = _upload(client, m.template(tmp_path / "bilancio.xlsx"))
    assert "ricevuto" in page.lower() or "in uso" in page.lower()
    assert [u["status"] for u in accounts.uploads_of(settings, "237")] == ["received"]


def test_an_upload_whose_worker_cannot_finish_is_refused_in_words(settings, monkeypatch, tmp_path, one_worker):
    monkeypatch.setenv("AREAVASTA_INTAKE_MEMORY_MB", "200")  # too little even to start: every check fails
    client = _officer(settings, monkeypatch)
    page = _upload(client, m.template(tmp_path / "bilancio.xlsx"))
    assert "memoria consentita (200 MB)" in page
    assert [u["status"] for u in accounts.uploads_of(settings, "237")] == ["rejected"]
