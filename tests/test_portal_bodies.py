"""Request bodies under attack (issue 25, item 6): the role, the origin and the session's CSRF token are checked before
a body is read, and bodies are counted while they stream (Content-Length or chunked), before anything reaches the
disk."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

import pytest
from starlette import formparsers
from starlette.testclient import TestClient

from dashboards import accounts
from dashboards.portal import create_app
from sources.samples.budget import generate_budget
from tests.conftest import write_sample
from tests.portal_client import csrf_token, login, two_offices

CHUNK = 64 * 1024
MB = 2**20


@pytest.fixture
def portal(settings, monkeypatch):
    monkeypatch.setenv("AREAVASTA_SECRET", "limits-secret-" + "l" * 40)
    monkeypatch.delenv("AREAVASTA_TRUSTED_PROXIES", raising=False)
    two_offices(settings)
    return settings, create_app(settings, max_upload_mb=1)


def _multipart(fields: dict[str, str], file_bytes: int, boundary: str = "confine4f2a"):
    """A multipart body with one file part of ``file_bytes`` zeros, produced chunk by chunk (nothing held in memory)."""
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()
    )
    yield (
        head + f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    for start in range(0, file_bytes, CHUNK):
        yield bytes(min(CHUNK, file_bytes - start))
    yield f"\r\n--{boundary}--\r\n".encode()


def _stream(app, path: str, chunks, headers: dict[str, str]) -> tuple[int, int]:
    """The app called as uvicorn calls it, the body sent chunk by chunk without Content-Length (chunked).
    Returns the status and how many body bytes the app pulled."""
    pulled, status, ended, done = 0, None, False, asyncio.Event()
    chunks = iter(chunks)

    async def receive():
        nonlocal pulled, ended
        chunk = None if ended else next(chunks, None)
        if chunk is not None:
            pulled += len(chunk)
            return {"type": "http.request", "body": chunk, "more_body": True}
        if not ended:
            ended = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
        "headers": [(k.lower().encode(), v.encode()) for k, v in {"host": "testserver", **headers}.items()],
    }
    asyncio.run(app(scope, receive, send))
    return status, pulled


@pytest.fixture
def disk(monkeypatch, tmp_path):
    """What reached the disk: every spooled file Starlette makes, and a private temporary directory."""
    made = []

    class Spied(tempfile.SpooledTemporaryFile):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setattr(formparsers, "SpooledTemporaryFile", Spied)

    def open_files() -> list[str]:
        """Files of the temporary directory this process still holds (an unlinked temporary file still fills the
        disk)."""
        targets = (
            os.readlink(f"/proc/self/fd/{fd}")
            for fd in os.listdir("/proc/self/fd")
            if os.path.exists(f"/proc/self/fd/{fd}")
        )
        return [t for t in targets if t.startswith(str(folder))]

    return made, folder, open_files


def _session(app, username: str | None, password: str | None) -> tuple[dict[str, str], str]:
    """A client's cookie header and CSRF token, as a browser would hold them after the login page (and a login)."""
    client = TestClient(app)
    token = csrf_token(client)
    if username:
        assert login(client, username, password).status_code == 303
        token = csrf_token(client, "/")
    return {"cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())}, token


MULTIPART = {"content-type": "multipart/form-data; boundary=confine4f2a"}


def test_an_anonymous_200_mb_post_to_login_is_refused_before_its_body_is_read(portal, disk):
    _, app = portal
    made, folder, open_files = disk
    status, pulled = _stream(app, "/login", _multipart({"username": "x", "password": "y"}, 200 * MB), MULTIPART)
    assert status == 403 and pulled == 0  # no session, so no CSRF token to match: nothing is read
    headers, token = _session(app, None, None)  # the attacker fetched the login page first
    status, pulled = _stream(
        app, "/login", _multipart({"csrf": token, "username": "x", "password": "y"}, 200 * MB), MULTIPART | headers
    )
    assert status in (400, 413) and pulled <= 64 * 1024 + CHUNK
    assert made == [] and list(folder.iterdir()) == [] and open_files() == []


@pytest.mark.parametrize("user", [None, "ufficio.bo"])
def test_forms_without_a_file_refuse_big_bodies_while_they_stream(portal, disk, user):
    _, app = portal
    made, _, _ = disk
    headers, token = _session(app, user, "pw-bologna")
    url = "/logout" if user else "/login"
    endless = (f"csrf={token}&a=".encode() if n == 0 else b"a" * CHUNK for n in range(10_000))
    status, pulled = _stream(app, url, endless, {"content-type": "application/x-www-form-urlencoded"} | headers)
    assert status == 413 and pulled <= 64 * 1024 + CHUNK
    status, pulled = _stream(app, url, _multipart({"csrf": token}, 5 * MB), MULTIPART | headers)
    assert status in (400, 413) and pulled <= 64 * 1024 + CHUNK and made == []


def test_a_chunked_upload_over_the_limit_stops_near_the_limit_and_leaves_nothing(portal, disk):
    settings, app = portal
    made, folder, open_files = disk
    headers, token = _session(app, "ufficio.bo", "pw-bologna")
    status, pulled = _stream(
        app,
        "/upload",
        _multipart({"csrf": token, "year": "2025", "phase": "rendiconto"}, 200 * MB),
        MULTIPART | headers,
    )
    assert status == 413 and pulled <= 1 * MB + 64 * 1024 + CHUNK
    assert all(f.closed for f in made) and list(folder.iterdir()) == [] and open_files() == []
    incoming = accounts.portal_dir(settings) / "incoming"
    assert not incoming.exists() or list(incoming.iterdir()) == []


def test_an_upload_from_another_site_is_refused_before_its_body_is_read(portal, disk):
    _, app = portal
    headers, token = _session(app, "ufficio.bo", "pw-bologna")
    body = {"csrf": token, "year": "2025", "phase": "rendiconto"}
    for sent_by in (
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"origin": "https://altro.example"},
    ):
        status, pulled = _stream(app, "/upload", _multipart(body, 5 * MB), MULTIPART | headers | sent_by)
        assert (status, pulled) == (403, 0), sent_by


def test_a_chunked_upload_within_the_limit_is_received(portal, tmp_path):
    _, app = portal
    headers, token = _session(app, "ufficio.bo", "pw-bologna")
    path = write_sample(tmp_path, generate_budget("237", 2025, "rendiconto").head(200), "annex_amount_kinds")
    assert path.stat().st_size < MB
    boundary = "confine4f2a"
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in {"csrf": token, "year": "2025", "phase": "rendiconto"}.items()
    )
    data = Path(path).read_bytes()
    body = [
        (
            head + f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n\r\n'
        ).encode(),
        *(data[i : i + CHUNK] for i in range(0, len(data), CHUNK)),
        f"\r\n--{boundary}--\r\n".encode(),
    ]
    same_origin = {"sec-fetch-site": "same-origin", "origin": "http://testserver"}
    status, pulled = _stream(app, "/upload", body, MULTIPART | headers | same_origin)
    assert status == 303 and pulled == sum(map(len, body))


@pytest.mark.parametrize("token", ["è" * 43, "\u202e"])
def test_a_token_in_any_script_is_refused_not_an_error(portal, token):
    _, app = portal
    client = TestClient(app)
    csrf_token(client)
    response = client.post(
        "/login", data={"username": "ufficio.bo", "password": "pw-bologna", "csrf": token}, follow_redirects=False
    )
    assert response.status_code == 403
