"""Login limiting behind one office address or a reverse proxy (issue 25, item 5): the address is slowed, only one user
from one address is blocked, and the client address comes from X-Forwarded-For of a trusted proxy only."""

from __future__ import annotations

import pytest
import uvicorn
from starlette.testclient import TestClient
from typer.testing import CliRunner

from dashboards.portal import LoginLimiter, create_app
from tests.portal_client import login, two_offices


@pytest.fixture
def portal(settings, monkeypatch):
    monkeypatch.setenv("AREAVASTA_SECRET", "limits-secret-" + "l" * 40)
    monkeypatch.delenv("AREAVASTA_TRUSTED_PROXIES", raising=False)
    two_offices(settings)
    return settings, create_app(settings)


def test_fifty_wrong_names_from_one_address_do_not_lock_out_a_colleague(portal, monkeypatch):
    _, app = portal
    monkeypatch.setattr("dashboards.portal.LoginLimiter.delay", lambda self, u, a: 0)
    attacker = TestClient(app)  # every TestClient has the same address: the office's NAT
    for n in range(55):
        assert login(attacker, f"nessuno{n}", "sbagliata").status_code == 401
    assert login(TestClient(app), "ufficio.mo", "pw-modena").status_code == 303
    for _ in range(5):
        assert login(attacker, "ufficio.bo", "sbagliata").status_code == 401
    assert login(TestClient(app), "ufficio.bo", "pw-bologna").status_code == 429  # that user from that address: blocked


def test_an_address_trying_many_names_is_slowed_within_a_bound_and_never_blocked():
    limiter = LoginLimiter(keys=10_000)
    for n in range(49):
        limiter.failed(f"nome{n}", "10.0.0.1")
    assert limiter.delay("altro", "10.0.0.1") == 0  # below the address threshold: a new name waits nothing extra
    delays = []
    for n in range(49, 200):
        limiter.failed(f"nome{n}", "10.0.0.1")
        delays.append(limiter.delay(f"nome{n}", "10.0.0.1"))
    assert delays == sorted(delays) and 0 < delays[0] < delays[-1] == LoginLimiter.MAX_DELAY <= 5
    assert not limiter.blocked("ufficio.mo", "10.0.0.1") and limiter.delay("ufficio.mo", "10.0.0.2") == 0
    for _ in range(5):
        limiter.failed("ufficio.mo", "10.0.0.1")
    assert limiter.blocked("ufficio.mo", "10.0.0.1") and not limiter.blocked("ufficio.mo", "10.0.0.2")


def _served(monkeypatch, proxies: str | None):
    """The app exactly as ``areavasta serve`` hands it to uvicorn (the CLI's own uvicorn.run arguments), loaded by
    uvicorn."""
    from cli.main import app as cli

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append((app, options)))
    env = {} if proxies is None else {"AREAVASTA_TRUSTED_PROXIES": proxies}
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code == 0, result.output
    [(app, options)] = calls
    options.pop("host"), options.pop("port")
    config = uvicorn.Config(app, log_config=None, **options)
    config.load()
    return config.loaded_app


def _login_from(app, peer: str, forwarded: str, username: str, password: str) -> int:
    client = TestClient(app, client=(peer, 40000), headers={"X-Forwarded-For": forwarded})
    return login(client, username, password).status_code


def test_the_client_address_comes_from_a_trusted_proxy_only(portal, monkeypatch):
    monkeypatch.setattr("dashboards.portal.LoginLimiter.delay", lambda self, u, a: 0)
    app = _served(monkeypatch, "10.0.0.1, 192.168.5.0/24")
    for _ in range(5):
        assert _login_from(app, "10.0.0.1", "203.0.113.7", "ufficio.bo", "sbagliata") == 401
    assert _login_from(app, "10.0.0.1", "203.0.113.7", "ufficio.bo", "pw-bologna") == 429  # that client is blocked
    assert (
        _login_from(app, "10.0.0.1", "203.0.113.8", "ufficio.bo", "pw-bologna") == 303
    )  # another one behind the proxy is not
    for _ in range(5):  # a proxy of the trusted network, the same client: counted as one
        assert _login_from(app, "192.168.5.20", "203.0.113.50", "ufficio.mo", "sbagliata") == 401
    assert _login_from(app, "10.0.0.1", "203.0.113.50", "ufficio.mo", "pw-modena") == 429
    # an untrusted peer's header is ignored: its own address counts, whatever it claims
    for n in range(5):
        assert _login_from(app, "198.51.100.9", f"203.0.113.{100 + n}", "ufficio.mo", "sbagliata") == 401
    assert _login_from(app, "198.51.100.9", "203.0.113.200", "ufficio.mo", "pw-modena") == 429


def test_no_proxy_is_trusted_by_default(portal, monkeypatch):
    monkeypatch.setattr("dashboards.portal.LoginLimiter.delay", lambda self, u, a: 0)
    app = _served(monkeypatch, None)
    for n in range(5):
        assert _login_from(app, "127.0.0.1", f"203.0.113.{n}", "ufficio.bo", "sbagliata") == 401
    assert _login_from(app, "127.0.0.1", "203.0.113.99", "ufficio.bo", "pw-bologna") == 429


@pytest.mark.parametrize("value", ["*", "proxy.local", "10.0.0.1/33"])
def test_a_trusted_proxy_setting_that_is_not_an_address_stops_the_portal(monkeypatch, value):
    from dashboards.portal_guard import server_options

    monkeypatch.setenv("AREAVASTA_TRUSTED_PROXIES", value)
    with pytest.raises(SystemExit, match="AREAVASTA_TRUSTED_PROXIES"):
        server_options()
