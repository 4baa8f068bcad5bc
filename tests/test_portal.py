"""The upload portal over HTTP: who may do what, CSRF, limits, file types, hostile names."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from dashboards import accounts
from dashboards.portal import create_app
from sources import receipts
from sources.samples.budget import generate_budget
from tests import malformed as m
from tests.conftest import write_sample
from warehouse.loading import load_receipts


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
        (reports / f"{stem}.docx").write_bytes(b"PK fake docx")
    return settings, create_app(settings, max_upload_mb=1)


def _login(client: TestClient, username: str, password: str):
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf": token}, follow_redirects=False
    )
    return response, token


def _token(client: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)


def _upload(client, path, year=2025, phase="rendiconto", token=None, name=None):
    with path.open("rb") as handle:
        return client.post(
            "/upload",
            data={"year": str(year), "phase": phase, "csrf": token or _token(client)},
            files={"file": (name or path.name, handle, "application/octet-stream")},
            follow_redirects=False,
        )


def test_anonymous_users_see_only_the_login(portal):
    _, app = portal
    client = TestClient(app)
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    for url in ("/body/237", "/files/dashboards/237_2025_rendiconto.html", "/files/reports/237_2025_rendiconto.xlsx"):
        assert client.get(url, follow_redirects=False).status_code in (303, 403)
    assert client.get("/template").status_code == 403
    login = client.get("/login")
    assert (
        login.status_code == 200
        and login.headers["x-frame-options"] == "DENY"
        and "default-src 'self'" in login.headers["content-security-policy"]
    )


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


def test_the_dup_document_is_served_beside_the_workbook_to_the_body_only(portal):
    _, app = portal
    client = TestClient(app)
    _login(client, "ufficio.bo", "pw-bologna")
    page = client.get("/body/237").text
    assert '<a href="/files/reports/237_2025_rendiconto.docx">Documento DUP (Word)</a>' in page
    response = client.get("/files/reports/237_2025_rendiconto.docx")
    assert response.status_code == 200 and response.content == b"PK fake docx"
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    workbook = client.get("/files/reports/237_2025_rendiconto.xlsx")
    assert workbook.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert client.get("/files/reports/002_2025_rendiconto.docx").status_code == 403  # another body's
    assert client.get("/files/dashboards/237_2025_rendiconto.docx").status_code == 403  # documents only in reports/
    assert client.get("/files/reports/237_2025_rendiconto.docm").status_code == 403


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
    assert (
        client.post("/login", data={"username": "ufficio.bo", "password": "pw-bologna", "csrf": "wrong"}).status_code
        == 403
    )
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


def test_bad_upload_shows_findings_and_good_upload_is_received_for_the_officers_body(portal, tmp_path):
    settings, app = portal
    client = TestClient(app)
    _login(client, "ufficio.bo", "pw-bologna")
    bad = m.edit_xlsx(
        m.template(
            tmp_path / "g.xlsx",
            body="237",
            year=2025,
            phase="rendiconto",
            rows=m.GOOD_ROWS.with_columns(amount_kind=m.pl.lit("impegni")),
        ),
        tmp_path / "bad.xlsx",
        "Dati",
        {"A6": "77"},
    )
    response = _upload(client, bad)
    status = client.get(response.headers["location"])
    assert (
        "respinto" in status.text
        and "Missione &#39;77&#39; inesistente" in status.text
        and 'id="findings"' in status.text
    )
    findings = client.get(response.headers["location"] + "/findings.json").json()
    assert [f["code"] for f in findings] == ["MISSION_UNKNOWN"]
    good = write_sample(tmp_path / "ok", generate_budget("237", 2025, "rendiconto"), "annex_amount_kinds")
    response = _upload(client, good)
    assert "elaborazione in corso" in client.get(response.headers["location"]).text
    [receipt] = receipts.pending(settings)
    assert (receipt.body, receipt.year, receipt.phase, receipt.original_name) == ("237", 2025, "rendiconto", good.name)
    assert receipt.uploader.name == "ufficio.bo" and receipt.uploader.bodies == {"237"}
    assert Path(receipt.archive_path).read_bytes() == good.read_bytes()  # kept as received
    assert not (tmp_path / "inbox").exists()  # nothing travels by file name any more
    history = client.get("/body/237").text  # the register's state, not a guess: received, not yet in use
    assert (
        "bad.xlsx" in history
        and good.name in history
        and "ricevuto: in caricamento" in history
        and "respinto" in history
    )
    assert "in uso" not in history
    load_receipts(settings)  # the sensor
    assert "in uso" in client.get("/body/237").text and "in uso" in client.get("/").text


def test_size_limit_wrong_type_and_hostile_names(portal, tmp_path):
    settings, app = portal
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
    stored = [Path(r.archive_path) for r in receipts.pending(settings)]
    assert stored and all("script" not in str(p) for p in stored)
    history = client.get("/body/237").text
    assert (
        "script&gt;.xlsx" in history and "<script" not in history
    )  # only the last path part is kept, and it is escaped
    for url in (
        "/files/dashboards/..%2F..%2Fportal.sqlite",
        "/files/reports/../../portal/portal.sqlite",
        "/files/dashboards/237_2025_rendiconto.xlsx",
    ):
        assert client.get(url).status_code in (403, 404)


@pytest.mark.parametrize("over, status", [(0, 303), (1, 413)])
def test_the_upload_limit_is_exact_to_the_byte(portal, tmp_path, over, status):
    """A file of exactly the limit is received (its dry run shown); one byte more is refused with 413 and nothing
    kept."""
    settings, _ = portal
    client = TestClient(create_app(settings, max_upload_mb=0.25))  # 262,144 bytes
    limit = 2**18
    _login(client, "ufficio.bo", "pw-bologna")
    path = tmp_path / "bilancio.csv"
    path.write_bytes(b"a;b\n" + b"1;2\n" * (limit // 4 - 1) + b"1" * over)
    assert path.stat().st_size == limit + over
    response = _upload(client, path)
    assert response.status_code == status, response.text
    if status == 413:
        assert receipts.all_receipts(settings) == []
        incoming = accounts.portal_dir(settings) / "incoming"
        assert not incoming.exists() or not any(incoming.iterdir())
    else:
        assert client.get(response.headers["location"]).status_code == 200


def test_template_download_for_the_officers_body(portal):
    _, app = portal
    client = TestClient(app)
    _login(client, "ufficio.bo", "pw-bologna")
    response = client.get("/template?year=2026&phase=previsione")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert "modello_237_2026_previsione.xlsx" in response.headers["content-disposition"]


OFFICIAL = Path(__file__).parent / "fixtures" / "official"


def test_officer_places_an_unreadable_column_in_the_portal_and_it_is_kept_for_the_body(portal, tmp_path):
    settings, app = portal
    accounts.add_user(settings, "ufficio.ro", "officer", "029", "pw-rovigo")
    source = OFFICIAL / "rendiconto_2023_formato_aperto_colonna_ignota.csv"
    client = TestClient(app)
    _login(client, "ufficio.ro", "pw-rovigo")
    rejected = _upload(client, source, year=2023)
    status = client.get(rejected.headers["location"])
    assert "COLUMN_UNMATCHED" in status.text and 'id="mapping"' in status.text
    assert status.text.index('value="10"') < status.text.index(
        'value="01"'
    )  # the missions order leaves open come first
    upload_id = rejected.headers["location"].rsplit("/", 1)[1]
    field = re.search(r'<select name="(col_0)"', status.text).group(1)
    token = _token(client)

    # another body's officer can neither see the form nor post it
    other = TestClient(app)
    _login(other, "ufficio.bo", "pw-bologna")
    assert other.get(f"/uploads/{upload_id}").status_code == 403
    assert other.post(f"/uploads/{upload_id}/mapping", data={field: "10", "csrf": _token(other)}).status_code == 403
    planner = TestClient(app)
    _login(planner, "pianificatore", "pw-planner")
    assert planner.post(f"/uploads/{upload_id}/mapping", data={field: "10", "csrf": _token(planner)}).status_code == 403
    assert client.post(f"/uploads/{upload_id}/mapping", data={field: "10", "csrf": ""}).status_code == 403
    assert not (settings.home / "mappings").exists()

    # a wrong choice is checked on the file: the totals do not come back, nothing is kept
    wrong = client.post(f"/uploads/{upload_id}/mapping", data={field: "01", "csrf": token}, follow_redirects=False)
    assert wrong.status_code == 422 and "DUPLICATE_KEY" in wrong.text and not (settings.home / "mappings").exists()

    done = client.post(f"/uploads/{upload_id}/mapping", data={field: "10", "csrf": token}, follow_redirects=False)
    assert done.status_code == 303
    page = client.get(done.headers["location"]).text
    assert "Avvisi sul file accettato" in page
    stored = list((settings.home / "mappings" / "029").glob("*.yaml"))
    assert len(stored) == 1 and "ufficio.ro" in stored[0].read_text(encoding="utf-8")
    [receipt] = receipts.pending(settings)
    assert (receipt.body, receipt.year, receipt.uploader.name) == ("029", 2023, "ufficio.ro")
    # when the rules changed since the portal validated it, the sensor's load reads the archived file again with the
    # receipt's body and finds the body's mapping by itself (with the same rules it takes the lines the portal
    # validated)
    [outcome] = load_receipts(settings, [dataclasses.replace(receipt, rules="rules-of-last-year")])
    assert outcome.status == "accepted" and outcome.validation.findings[0].code == "MAPPING_APPLIED"


def test_home_pages_speak_to_each_role(tmp_path):
    """Officer: own upload history and roles in words; planner: bodies marked with data, bodies outside law 56 hidden
    unless asked."""
    from starlette.testclient import TestClient

    from dashboards import accounts
    from dashboards.portal import create_app
    from tests.conftest import settings_for

    settings = settings_for(tmp_path)
    accounts.add_user(settings, "ufficio.vc", "officer", "002", "pw-vercelli-1")
    accounts.add_user(settings, "piano", "planner", None, "pw-planner-12")
    (settings.outputs_dir / "dashboards").mkdir(parents=True)
    (settings.outputs_dir / "dashboards" / "002_2025_rendiconto.html").write_text("<html></html>", encoding="utf-8")
    app = create_app(settings)
    with TestClient(app) as officer:
        _login(officer, "ufficio.vc", "pw-vercelli-1")
        home = __import__("html").unescape(officer.get("/").text)
        assert "ufficio finanziario dell'ente" in home and "(officer" not in home
        assert "I tuoi caricamenti" in home and "Nessun file caricato finora." in home
    with TestClient(app) as planner:
        _login(planner, "piano", "pw-planner-12")
        home = planner.get("/").text
        rows = dict(re.findall(r'data-code="(\d{3})">(.*?)</tr>', home, re.DOTALL))
        assert 'class="ok">dati caricati' in rows["002"] and 'class="muted">nessun dato' in rows["003"]
        assert "<td>Libero consorzio comunale</td>" not in home
        assert "<td>Libero consorzio comunale</td>" in planner.get("/?tutti=1").text


def test_the_mapping_form_validates_off_the_event_loop(portal, monkeypatch):
    """Issue 25 (8): the mapping form's check of the file runs off the event loop, as the upload does, so the other
    users' requests are not stalled while it reads the file. Checked here with the thread pool
    (``AREAVASTA_INTAKE_WORKERS=0``), where a patched function can be watched; the worker processes are tested in
    ``test_intake_worker.py``."""
    import threading

    monkeypatch.setenv("AREAVASTA_INTAKE_WORKERS", "0")

    from dashboards import portal as module

    settings, app = portal
    accounts.add_user(settings, "ufficio.ro", "officer", "029", "pw-rovigo")
    client = TestClient(app)
    _login(client, "ufficio.ro", "pw-rovigo")
    rejected = _upload(client, OFFICIAL / "rendiconto_2023_formato_aperto_colonna_ignota.csv", year=2023)
    upload_id = rejected.headers["location"].rsplit("/", 1)[1]
    field = re.search(r'<select name="(col_0)"', client.get(rejected.headers["location"]).text).group(1)
    seen = []
    real = module.validate_file

    def watched(*args, **kwargs):
        import asyncio

        try:
            asyncio.get_running_loop()
            seen.append("event loop")
        except RuntimeError:
            seen.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "validate_file", watched)
    assert (
        client.post(
            f"/uploads/{upload_id}/mapping", data={field: "10", "csrf": _token(client)}, follow_redirects=False
        ).status_code
        == 303
    )
    assert seen and "event loop" not in seen
