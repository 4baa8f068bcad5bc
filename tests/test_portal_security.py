"""The portal under a hostile user: sessions that end, CSRF on every POST, secrets, limiter, bad input, file modes."""

from __future__ import annotations

import stat

import pytest
from starlette.testclient import TestClient

from dashboards import accounts
from dashboards.portal import LoginLimiter, create_app
from sources.samples.budget import generate_budget
from tests.conftest import write_sample
from tests.portal_client import csrf_token, login, two_offices


@pytest.fixture
def portal(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("AREAVASTA_SECRET", "security-secret-" + "s" * 40)
    two_offices(settings)
    return settings, create_app(settings, max_upload_mb=2)


def test_logout_ends_the_session_even_for_a_copied_cookie(portal):
    _, app = portal
    client = TestClient(app)
    assert login(client, "ufficio.bo", "pw-bologna").status_code == 303
    stolen = dict(client.cookies)
    assert client.post("/logout", data={"csrf": csrf_token(client, "/")}, follow_redirects=False).status_code == 303
    thief = TestClient(app, cookies=stolen)
    assert thief.get("/", follow_redirects=False).headers["location"] == "/login"
    assert thief.get("/template").status_code == 403


def test_a_password_reset_ends_every_session(portal):
    settings, app = portal
    client = TestClient(app)
    login(client, "ufficio.bo", "pw-bologna")
    assert client.get("/", follow_redirects=False).status_code == 200
    accounts.reset_password(settings, "ufficio.bo", "nuova-password")
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"


@pytest.mark.parametrize("token", [None, "", "not-the-token"])
def test_login_without_a_valid_csrf_token_is_refused(portal, token):
    _, app = portal
    client = TestClient(app)  # no cookie at all
    data = {"username": "ufficio.bo", "password": "pw-bologna"} | ({} if token is None else {"csrf": token})
    response = client.post("/login", data=data, follow_redirects=False)
    assert response.status_code == 403 and "user" not in str(client.cookies)


@pytest.mark.parametrize("secret", ["", "short", "x" * 31])
def test_a_short_signing_secret_stops_the_portal(settings, monkeypatch, secret):
    monkeypatch.setenv("AREAVASTA_SECRET", secret)
    with pytest.raises(SystemExit, match="almeno 32"):
        create_app(settings)


def test_the_secret_file_is_created_readable_by_the_owner_only(settings, monkeypatch, tmp_path):
    monkeypatch.delenv("AREAVASTA_SECRET", raising=False)
    monkeypatch.setenv("AREAVASTA_SECRET_FILE", str(tmp_path / "cfg" / "segreto"))
    create_app(settings)
    assert stat.S_IMODE((tmp_path / "cfg" / "segreto").stat().st_mode) == 0o600
    (tmp_path / "vuoto").write_text("")
    monkeypatch.setenv("AREAVASTA_SECRET_FILE", str(tmp_path / "vuoto"))
    with pytest.raises(SystemExit):
        create_app(settings)


def test_failed_logins_slow_one_user_but_never_the_whole_office(portal, monkeypatch):
    _, app = portal
    monkeypatch.setattr("dashboards.portal.LoginLimiter.delay", lambda self, u, a: 0)
    attacker = TestClient(app)
    for _ in range(5):
        assert login(attacker, "ufficio.bo", "sbagliata").status_code == 401
    assert (
        login(attacker, "ufficio.bo", "pw-bologna").status_code == 429
    )  # that user, from that address: blocked for now
    colleague = TestClient(app)  # same address (the office's NAT), another user
    assert login(colleague, "ufficio.mo", "pw-modena").status_code == 303


def test_the_limiter_is_bounded_persistent_and_delays_progressively(settings):
    limiter = LoginLimiter(settings, keys=1000)
    for n in range(800):
        limiter.failed(f"user{n}", "10.0.0.1")
    assert limiter.size <= 1000
    for _ in range(5):
        limiter.failed("ufficio.bo", "10.0.0.2")
    assert LoginLimiter(settings).blocked("ufficio.bo", "10.0.0.2")  # a restart (a new limiter) remembers
    assert not LoginLimiter(settings).blocked("ufficio.mo", "10.0.0.2")
    limiter = LoginLimiter(keys=1000)
    limiter.failed("a", "x")
    first = limiter.delay("a", "x")
    limiter.failed("a", "x")
    assert limiter.delay("a", "x") == 2 * first and limiter.delay("a", "x") <= 4


@pytest.mark.parametrize("year", ["²²²²", "10^22", "9" * 5000, "abc", "1999", "2101", ""])
def test_bad_form_input_is_a_400_in_italian(portal, tmp_path, year):
    _, app = portal
    client = TestClient(app)
    login(client, "ufficio.bo", "pw-bologna")
    path = write_sample(tmp_path, generate_budget("237", 2025, "rendiconto").head(50), "template")
    with path.open("rb") as handle:
        response = client.post(
            "/upload",
            data={"year": year, "phase": "rendiconto", "csrf": csrf_token(client, "/")},
            files={"file": (path.name, handle, "application/octet-stream")},
            follow_redirects=False,
        )
    assert response.status_code == 400 and "esercizio" in response.text.lower()
    assert client.get(f"/template?year={year}").status_code == 400


def test_template_downloads_leave_nothing_behind(portal):
    settings, app = portal
    client = TestClient(app)
    login(client, "ufficio.bo", "pw-bologna")
    for _ in range(3):
        response = client.get("/template?year=2026&phase=previsione")
        assert response.status_code == 200 and response.content[:2] == b"PK"
    incoming = accounts.portal_dir(settings) / "incoming"
    assert not incoming.exists() or list(incoming.iterdir()) == []


def test_secrets_and_personal_data_are_owner_only(portal, tmp_path):
    settings, app = portal
    client = TestClient(app)
    login(client, "ufficio.bo", "pw-bologna")
    path = write_sample(tmp_path, generate_budget("237", 2025, "rendiconto"), "template")
    with path.open("rb") as handle:
        client.post(
            "/upload",
            data={"year": "2025", "phase": "rendiconto", "csrf": csrf_token(client, "/")},
            files={"file": (path.name, handle, "application/octet-stream")},
        )
    database = accounts.portal_dir(settings) / "portal.sqlite"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    receipt = next((settings.home / "receipts").glob("*.json"))
    assert stat.S_IMODE(receipt.stat().st_mode) == 0o600 and stat.S_IMODE(receipt.parent.stat().st_mode) == 0o700


def test_hsts_when_served_over_https(settings, monkeypatch):
    monkeypatch.setenv("AREAVASTA_SECRET", "https-secret-" + "h" * 40)
    monkeypatch.setenv("AREAVASTA_HTTPS", "1")
    response = TestClient(create_app(settings)).get("/login")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_identical_bytes_for_another_year_say_what_happened(portal, tmp_path):
    from tests import daemon

    settings, app = portal
    client = TestClient(app)
    login(client, "ufficio.bo", "pw-bologna")
    path = write_sample(tmp_path, generate_budget("237", 2025, "rendiconto"), "annex_amount_kinds")
    token = csrf_token(client, "/")
    for year in ("2025", "2025"):
        with path.open("rb") as handle:
            response = client.post(
                "/upload",
                data={"year": year, "phase": "rendiconto", "csrf": token},
                files={"file": (path.name, handle, "application/octet-stream")},
                follow_redirects=False,
            )
    daemon.serve(settings)
    assert "già in uso per questo ente, esercizio e fase" in client.get(response.headers["location"]).text


def test_the_warehouse_and_the_archive_are_owner_only(settings, tmp_path):
    from warehouse.ingest import ingest_files

    [outcome] = ingest_files([write_sample(tmp_path, generate_budget("237", 2025, "rendiconto"), "template")], settings)
    assert stat.S_IMODE(settings.warehouse_path.stat().st_mode) == 0o600
    archived = outcome.archive_path
    assert stat.S_IMODE(archived.stat().st_mode) == 0o600 and stat.S_IMODE(archived.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(archived.with_suffix(archived.suffix + ".json").stat().st_mode) == 0o600


ROLES = {"anonimo": None, "ufficio.bo": "pw-bologna", "ufficio.mo": "pw-modena", "pianificatore": "pw-planner"}
ROUTES = [  # (method, url, expected status per role: anonymous, officer of 237, officer of 036, planner)
    ("GET", "/", (303, 200, 200, 200)),
    ("GET", "/body/237", (303, 200, 403, 200)),
    ("GET", "/body/036", (303, 403, 200, 200)),
    ("GET", "/template?year=2026&phase=previsione", (403, 200, 200, 403)),
    ("GET", "/files/dashboards/237_2025_rendiconto.html", (303, 200, 403, 200)),
    ("GET", "/files/reports/036_2025_rendiconto.xlsx", (303, 403, 200, 200)),
    ("GET", "/uploads/{upload_237}", (303, 200, 403, 200)),
    ("GET", "/uploads/{upload_237}/findings.json", (403, 200, 403, 200)),
    ("GET", "/uploads/{upload_237}/rilievi.xlsx", (303, 200, 403, 200)),
    # the results of an upload no run has processed yet: "in preparazione" to who may see it, refused to the others
    ("GET", "/uploads/{upload_237}/esiti/reports/237_2025_rendiconto.xlsx", (303, 409, 403, 409)),
    ("POST", "/uploads/{upload_237}/mapping", (403, 404, 403, 403)),
    ("POST", "/upload", (403, 400, 400, 403)),
]


@pytest.fixture
def matrix_portal(portal, tmp_path):
    settings, app = portal
    accounts.add_user(settings, "pianificatore", "planner", None, "pw-planner")
    for stem in ("237_2025_rendiconto", "036_2025_rendiconto"):
        (settings.outputs_dir / "dashboards").mkdir(parents=True, exist_ok=True)
        (settings.outputs_dir / "reports").mkdir(parents=True, exist_ok=True)
        (settings.outputs_dir / "dashboards" / f"{stem}.html").write_text(stem, encoding="utf-8")
        (settings.outputs_dir / "reports" / f"{stem}.xlsx").write_bytes(b"PK")
    client = TestClient(app)
    login(client, "ufficio.bo", "pw-bologna")
    path = write_sample(tmp_path, generate_budget("237", 2025, "rendiconto"), "annex_amount_kinds")
    with path.open("rb") as handle:
        response = client.post(
            "/upload",
            data={"year": "2025", "phase": "rendiconto", "csrf": csrf_token(client, "/")},
            files={"file": (path.name, handle, "application/octet-stream")},
            follow_redirects=False,
        )
    return app, response.headers["location"].rsplit("/", 1)[1]


@pytest.mark.parametrize(("method", "url", "expected"), ROUTES, ids=[f"{m} {u}" for m, u, _ in ROUTES])
def test_authorisation_matrix(matrix_portal, method, url, expected):
    app, upload_237 = matrix_portal
    for (role, password), status in zip(ROLES.items(), expected):
        client = TestClient(app)
        if password:
            login(client, role, password)
        target = url.format(upload_237=upload_237)
        if method == "GET":
            response = client.get(target, follow_redirects=False)
        else:
            token = csrf_token(client, "/") if password else ""
            response = client.post(
                target, data={"csrf": token, "year": "x", "phase": "rendiconto"}, follow_redirects=False
            )
        assert response.status_code == status, (role, method, target, response.status_code)


def test_a_receipt_number_finds_an_upload_only_for_who_may_see_it(portal, matrix_portal):
    settings, _ = portal
    app, upload_237 = matrix_portal
    number = accounts.upload(settings, upload_237)["receipt_number"]
    assert number
    expected = {"ufficio.bo": 303, "ufficio.mo": 404, "pianificatore": 303}
    for role, status in expected.items():
        client = TestClient(app)
        login(client, role, ROLES[role])
        response = client.get(f"/ricevuta?numero={number}", follow_redirects=False)
        assert response.status_code == status, (role, response.status_code)
    assert TestClient(app).get(f"/ricevuta?numero={number}", follow_redirects=False).status_code == 303  # to login
