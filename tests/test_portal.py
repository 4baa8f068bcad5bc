"""The upload portal over HTTP: who may do what, CSRF, limits, file types, hostile names."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from areavasta import accounts
from areavasta.samples.budget import generate_budget
from dashboards.portal import create_app
from tests import malformed as m
from tests.conftest import write_sample


@pytest.fixture
def portal(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("AREAVASTA_SECRET", "test-secret-" + "x" * 40)
    monkeypatch.setenv("AREAVASTA_INBOX", str(tmp_path / "inbox"))
    accounts.add_user(settings, "ufficio.bo", "officer", "237", "pw-bologna")
    accounts.add_user(settings, "ufficio.vc", "officer", "002", "pw-vercelli")
    accounts.add_user(settings, "pianificatore", "planner", None, "pw-planner")
    dashboards = settings.outputs_dir / "dashboards"
    reports = settings.outputs_dir / "reports"
    dashboards.mkdir(parents=True)
    reports.mkdir(parents=True)
    for stem in ("237_2025_rendiconto", "002_2025_rendiconto"):
        (dashboards / f"{stem}.html").write_text(f"<html>{stem}</html>", encoding="utf-8")
        (reports / f"{stem}.xlsx").write_bytes(b"PK fake")
    return settings, create_app(settings, max_upload_mb=1)


def _login(client: TestClient, username: str, password: str):
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    response = client.post("/login", data={"username": username, "password": password, "csrf": token}, follow_redirects=False)
    return response, token


def _token(client: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)


def _upload(client, path, year=2025, phase="rendiconto", token=None, name=None):
    with path.open("rb") as handle:
        return client.post("/upload", data={"year": str(year), "phase": phase, "csrf": token or _token(client)},
                           files={"file": (name or path.name, handle, "application/octet-stream")}, follow_redirects=False)


def test_anonymous_users_see_only_the_login(portal):
    _, app = portal
    client = TestClient(app)
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    for url in ("/body/237", "/files/dashboards/237_2025_rendiconto.html", "/files/reports/237_2025_rendiconto.xlsx"):
        assert client.get(url, follow_redirects=False).status_code in (303, 403)
    assert client.get("/template").status_code == 403
    login = client.get("/login")
    assert login.status_code == 200 and login.headers["x-frame-options"] == "DENY" and "default-src 'self'" in login.headers["content-security-policy"]


def test_session_cookie_is_signed_httponly_samesite(portal):
    _, app = portal
    client = TestClient(app)
    response, _ = _login(client, "ufficio.bo", "pw-bologna")
    cookie = response.headers["set-cookie"].lower()
    assert response.status_code == 303 and "httponly" in cookie and "samesite=strict" in cookie


def test_officer_of_one_body_cannot_reach_another(portal):
    _, app = portal
    client = TestClient(app)
    _login(client, "ufficio.vc", "pw-vercelli")
    assert client.get("/body/002").status_code == 200
    assert client.get("/body/237").status_code == 403
    assert client.get("/files/dashboards/002_2025_rendiconto.html").status_code == 200
    assert client.get("/files/dashboards/237_2025_rendiconto.html").status_code == 403
    assert client.get("/files/reports/237_2025_rendiconto.xlsx").status_code == 403
    home = client.get("/").text
    assert "/body/002" in home and "/body/237" not in home


def test_planner_reads_every_body_and_uploads_nothing(portal, tmp_path):
    _, app = portal
    client = TestClient(app)
    _login(client, "pianificatore", "pw-planner")
    assert client.get("/body/237").status_code == 200 and client.get("/body/002").status_code == 200
    assert client.get("/files/reports/237_2025_rendiconto.xlsx").status_code == 200
    good = write_sample(tmp_path, generate_budget("237", 2025, "rendiconto"), "annex_amount_kinds")
    assert _upload(client, good).status_code == 403
    assert client.get("/template").status_code == 403


def test_csrf_is_required_on_every_form(portal, tmp_path):
    _, app = portal
    client = TestClient(app)
    page = client.get("/login")
    assert client.post("/login", data={"username": "ufficio.bo", "password": "pw-bologna", "csrf": "wrong"}).status_code == 403
    _login(client, "ufficio.bo", "pw-bologna")
    good = write_sample(tmp_path, generate_budget("237", 2025, "rendiconto"), "annex_amount_kinds")
    assert _upload(client, good, token="forged").status_code == 403
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 403
    del page


def test_login_attempts_are_rate_limited(portal):
    _, app = portal
    client = TestClient(app)
    for _ in range(5):
        assert _login(client, "ufficio.bo", "wrong")[0].status_code == 401
    assert _login(client, "ufficio.bo", "pw-bologna")[0].status_code == 429


def test_bad_upload_shows_findings_and_good_upload_goes_to_the_inbox(portal, tmp_path):
    settings, app = portal
    client = TestClient(app)
    _login(client, "ufficio.bo", "pw-bologna")
    bad = m.edit_xlsx(m.template(tmp_path / "g.xlsx", body="237", year=2025, phase="rendiconto",
                                 rows=m.GOOD_ROWS.with_columns(amount_kind=m.pl.lit("impegni"))), tmp_path / "bad.xlsx", "Dati", {"A6": "77"})
    response = _upload(client, bad)
    status = client.get(response.headers["location"])
    assert "respinto" in status.text and "Missione &#39;77&#39; inesistente" in status.text and 'id="findings"' in status.text
    findings = client.get(response.headers["location"] + "/findings.json").json()
    assert [f["code"] for f in findings] == ["MISSION_UNKNOWN"]
    good = write_sample(tmp_path / "ok", generate_budget("237", 2025, "rendiconto"), "annex_amount_kinds")
    response = _upload(client, good)
    assert "elaborazione in corso" in client.get(response.headers["location"]).text
    inbox = list((tmp_path / "inbox").iterdir())
    assert len(inbox) == 1 and re.fullmatch(r"237_2025_rendiconto_[0-9a-f]{32}\.xlsx", inbox[0].name)
    history = client.get("/body/237").text
    assert "bad.xlsx" in history and good.name in history and "in uso" in history and "respinto" in history


def test_size_limit_wrong_type_and_hostile_names(portal, tmp_path):
    _, app = portal
    client = TestClient(app)
    _login(client, "ufficio.bo", "pw-bologna")
    big = tmp_path / "big.csv"
    big.write_bytes(b"a;b\n" + b"1;2\n" * 400_000)
    assert _upload(client, big).status_code == 413
    fake = tmp_path / "bilancio.xlsx"
    fake.write_bytes(b"%PDF-1.7 not a spreadsheet")
    status = client.get(_upload(client, fake).headers["location"]).text
    assert "FILE_NOT_SPREADSHEET" in status
    good = write_sample(tmp_path, generate_budget("237", 2025, "rendiconto"), "annex_amount_kinds")
    response = _upload(client, good, name="../../etc/<script>x</script>.xlsx")
    assert response.status_code == 303
    stored = list((tmp_path / "inbox").iterdir())
    assert all("/" not in p.name and "script" not in p.name for p in stored)
    history = client.get("/body/237").text
    assert "script&gt;.xlsx" in history and "<script" not in history  # only the last path part is kept, and it is escaped
    for url in ("/files/dashboards/..%2F..%2Fportal.sqlite", "/files/reports/../../portal/portal.sqlite", "/files/dashboards/237_2025_rendiconto.xlsx"):
        assert client.get(url).status_code in (403, 404)


def test_template_download_for_the_officers_body(portal):
    _, app = portal
    client = TestClient(app)
    _login(client, "ufficio.bo", "pw-bologna")
    response = client.get("/template?year=2026&phase=previsione")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert "modello_237_2026_previsione.xlsx" in response.headers["content-disposition"]
