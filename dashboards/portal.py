"""The upload portal (Starlette): finance officers upload, everyone authorised reads what the runs wrote.

One code path for files: ``sources.intake.receive`` with the officer's identity and body runs the dry run
(findings shown at once) and, for an accepted file, archives it and registers its receipt; the sensor
loads receipts in order of receipt. The portal never opens the DuckDB warehouse: it serves the pages and
workbooks the runs write.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import time
import uuid
from collections import defaultdict, deque
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from dashboards import accounts
from sources.findings import findings_json
from sources.reference import bodies, body_name
from sources.settings import load_settings
from dashboards import mapping_form
from sources import mappings
from sources.intake import receive, validate_file
from sources.receipts import Uploader
from sources.metadata import normalise_phase
from sources.template import write_template

HERE = Path(__file__).parent
STEM = re.compile(r"^(\d{3})_(\d{4})_(previsione|rendiconto)(_en)?$")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
}
DASHBOARD_CSP = "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"


def secret_key() -> str:
    """From AREAVASTA_SECRET, else a file outside the repository (created once, readable by the owner only)."""
    if os.environ.get("AREAVASTA_SECRET"):
        return os.environ["AREAVASTA_SECRET"]
    path = Path(os.environ.get("AREAVASTA_SECRET_FILE", Path.home() / ".config" / "areavasta" / "portal-secret"))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


class LoginLimiter:
    """At most ``attempts`` failed logins per user name and per client address in ``window`` seconds."""

    def __init__(self, attempts: int = 5, window: float = 300):
        self.attempts, self.window = attempts, window
        self.failures: dict[str, deque] = defaultdict(deque)

    def blocked(self, *keys: str) -> bool:
        now = time.monotonic()
        for key in keys:
            queue = self.failures[key]
            while queue and now - queue[0] > self.window:
                queue.popleft()
            if len(queue) >= self.attempts:
                return True
        return False

    def failed(self, *keys: str) -> None:
        for key in keys:
            self.failures[key].append(time.monotonic())


def officer(user: accounts.User) -> Uploader:
    """An officer may write their own body only."""
    return Uploader(user.username, frozenset({user.body}))


def create_app(settings=None, max_upload_mb: float | None = None) -> Starlette:
    settings = settings or load_settings()
    max_bytes = int((max_upload_mb or float(os.environ.get("AREAVASTA_MAX_UPLOAD_MB", 20))) * 2**20)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["body_name"] = body_name
    limiter = LoginLimiter()
    incoming = accounts.portal_dir(settings) / "incoming"

    def csrf(request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(32)
        return request.session["csrf"]

    async def checked_form(request: Request):
        form = await request.form(max_part_size=max_bytes + 1024)
        if not secrets.compare_digest(str(form.get("csrf", "")), request.session.get("csrf", "")):
            return None
        return form

    def current(request: Request) -> accounts.User | None:
        name = request.session.get("user")
        return accounts.user(settings, name) if name else None

    def page(request: Request, name: str, title: str, status_code: int = 200, **context) -> Response:
        return templates.TemplateResponse(request, name, {"title": title, "user": current(request), "csrf": csrf(request), **context},
                                          status_code=status_code)

    def forbidden() -> Response:
        return PlainTextResponse("Accesso non consentito.", status_code=403)

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return page(request, "login.html", "Accesso")
        form = await checked_form(request)
        if form is None:
            return PlainTextResponse("Richiesta non valida (CSRF).", status_code=403)
        username, client = str(form.get("username", "")), request.client.host if request.client else "?"
        if limiter.blocked(f"u:{username}", f"c:{client}"):
            return page(request, "login.html", "Accesso", 429, error="Troppi tentativi: riprovare tra qualche minuto.")
        found = accounts.authenticate(settings, username, str(form.get("password", "")))
        if found is None:
            limiter.failed(f"u:{username}", f"c:{client}")
            return page(request, "login.html", "Accesso", 401, error="Utente o password non validi.")
        request.session.clear()
        request.session["user"] = found.username
        return RedirectResponse("/", status_code=303)

    async def logout(request: Request) -> Response:
        if await checked_form(request) is None:
            return PlainTextResponse("Richiesta non valida (CSRF).", status_code=403)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    async def home(request: Request) -> Response:
        user = current(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        visible = [user.body] if user.role == "officer" else sorted(bodies()["istat_code"].to_list())
        return page(request, "home.html", "Bilanci", bodies=visible, this_year=dt.date.today().year, max_mb=max_bytes // 2**20)

    async def template(request: Request) -> Response:
        user = current(request)
        if user is None or not user.may_upload:
            return forbidden()
        year = int(request.query_params.get("year", dt.date.today().year))
        phase = normalise_phase(request.query_params.get("phase", "previsione")) or "previsione"
        path = incoming / f"modello-{uuid.uuid4().hex}.xlsx"
        write_template(path, user.body, year, phase)
        return FileResponse(path, filename=f"modello_{user.body}_{year}_{phase}.xlsx",
                            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    async def upload(request: Request) -> Response:
        user = current(request)
        if user is None or not user.may_upload:
            return forbidden()
        if int(request.headers.get("content-length", 0)) > max_bytes + 64 * 1024:
            return PlainTextResponse(f"File troppo grande: il limite è {max_bytes // 2**20} MB.", status_code=413)
        form = await checked_form(request)
        if form is None:
            return PlainTextResponse("Richiesta non valida (CSRF).", status_code=403)
        sent = form.get("file")
        year, phase = str(form.get("year", "")), normalise_phase(str(form.get("phase", "")))
        if sent is None or not hasattr(sent, "read") or not year.isdigit() or phase is None:
            return PlainTextResponse("Indicare esercizio, fase e file.", status_code=400)
        data = await sent.read(max_bytes + 1)
        if len(data) > max_bytes:
            return PlainTextResponse(f"File troppo grande: il limite è {max_bytes // 2**20} MB.", status_code=413)
        upload_id = uuid.uuid4().hex
        incoming.mkdir(parents=True, exist_ok=True)
        raw = incoming / upload_id  # never a name from the user; the type is told by the content
        raw.write_bytes(data)
        original = Path(str(sent.filename or "file")).name[:200]
        result, _ = receive(raw, settings, officer(user), body=user.body, year=int(year), phase=phase, display_name=original)
        stored = raw.rename(raw.with_suffix(".csv" if result.kind == "csv" else ".xlsx" if result.kind else ".bin"))
        accept(result, stored, upload_id, user, int(year), phase, original)
        return RedirectResponse(f"/uploads/{upload_id}", status_code=303)

    def accept(result, stored: Path, upload_id: str, user, year: int, phase: str, original: str) -> None:
        """Log the dry run; a rejected file keeps what a mapping could place."""
        if result.ok:
            stored.unlink(missing_ok=True)  # archived as received, with its receipt: the sensor loads it in order of receipt
        elif result.unplaced:
            (incoming / f"{upload_id}.mapping.json").write_text(json.dumps(
                {"layout": result.layout, "fingerprint": result.fingerprint, "unplaced": result.unplaced}), encoding="utf-8")
        accounts.log_upload(settings, id=upload_id, body=user.body, year=year, phase=phase, original_name=original,
                            stored_as=stored.name, sha256=result.sha256, username=user.username,
                            received_at=dt.datetime.now().isoformat(timespec="microseconds"),
                            status="accepted" if result.ok else "rejected", findings_json=findings_json(result.findings))

    def mapping_of(record) -> dict | None:
        path = incoming / f"{record['id']}.mapping.json"
        return json.loads(path.read_text(encoding="utf-8")) if record["status"] == "rejected" and path.exists() else None

    async def upload_mapping(request: Request) -> Response:
        """The officer places what the reader could not; the mapping is checked on the file, kept for the body, and the file re-sent."""
        user, record = own_upload(request)
        if record is None or not user.may_upload or user.body != record["body"]:  # only the body's own officer
            return forbidden()
        form = await checked_form(request)
        if form is None:
            return PlainTextResponse("Richiesta non valida (CSRF).", status_code=403)
        info = mapping_of(record)
        if info is None:
            return PlainTextResponse("Nessuna colonna da collocare per questo caricamento.", status_code=404)
        parsed, problems = mappings.parse_data(mapping_form.answers(form, info["unplaced"]), record["original_name"])
        raw = incoming / record["stored_as"]
        result = None if parsed is None else validate_file(raw, settings, body=record["body"], year=record["year"], phase=record["phase"],
                                                           display_name=record["original_name"], mapping=parsed, uploader=officer(user))
        if result is None or not result.ok:
            shown = problems if result is None else result.findings
            return page(request, "upload.html", "Caricamento", 422, up=record, ready=False, stem="",
                        findings=json.loads(findings_json(shown)), fields=mapping_form.fields(info["unplaced"]))
        mappings.store(settings, record["body"], info["fingerprint"], parsed, layout=info["layout"],
                       file_name=record["original_name"], user=user.username)
        new_id = uuid.uuid4().hex
        result.findings.insert(0, mappings.applied_finding(mappings.load(settings, record["body"], info["fingerprint"]), record["original_name"]))
        receive(raw, settings, officer(user), validation=result)
        accept(result, raw, new_id, user, record["year"], record["phase"], record["original_name"])
        (incoming / f"{record['id']}.mapping.json").unlink(missing_ok=True)
        return RedirectResponse(f"/uploads/{new_id}", status_code=303)

    def own_upload(request: Request):
        user = current(request)
        record = accounts.upload(settings, request.path_params["upload_id"])
        if user is None or record is None or not user.may_see(record["body"]):
            return user, None
        return user, record

    async def upload_status(request: Request) -> Response:
        user, record = own_upload(request)
        if record is None:
            return forbidden() if user else RedirectResponse("/login", status_code=303)
        stem = f"{record['body']}_{record['year']}_{record['phase']}"
        page_file = settings.outputs_dir / "dashboards" / f"{stem}.html"
        received = dt.datetime.fromisoformat(record["received_at"]).timestamp()
        ready = record["status"] == "accepted" and page_file.exists() and page_file.stat().st_mtime > received
        info = mapping_of(record) if user.may_upload and user.body == record["body"] else None
        return page(request, "upload.html", "Caricamento", up=record, findings=json.loads(record["findings_json"]), ready=ready, stem=stem,
                    fields=mapping_form.fields(info["unplaced"]) if info else [])

    async def upload_findings(request: Request) -> Response:
        user, record = own_upload(request)
        if record is None:
            return forbidden()
        return JSONResponse(json.loads(record["findings_json"]), headers={"Content-Disposition": f'attachment; filename="rilievi_{record["id"]}.json"'})

    async def body_page(request: Request) -> Response:
        user = current(request)
        body = request.path_params["body"]
        if user is None:
            return RedirectResponse("/login", status_code=303)
        if not re.fullmatch(r"\d{3}", body) or not user.may_see(body):
            return forbidden()
        uploads = accounts.uploads_of(settings, body)
        current_ids = {u["id"] for u in _current(uploads)}
        folder = settings.outputs_dir / "dashboards"
        stems = sorted(p.stem for p in folder.glob(f"{body}_*.html") if STEM.match(p.stem) and not p.stem.endswith("_en"))
        return page(request, "body.html", body_name(body), uploads=uploads, current=current_ids, stems=stems)

    async def files(request: Request) -> Response:
        user = current(request)
        kind, name = request.path_params["kind"], request.path_params["name"]
        if user is None:
            return RedirectResponse("/login", status_code=303)
        folder = {"dashboards": settings.outputs_dir / "dashboards", "reports": settings.outputs_dir / "reports"}.get(kind)
        stem, _, suffix = name.rpartition(".")
        match = STEM.match(stem)
        allowed = folder is not None and ((suffix == "html" and kind == "dashboards") or (suffix == "xlsx" and kind == "reports"))
        if name == "vega-bundle.js" and kind == "dashboards":
            return FileResponse(folder / name, media_type="text/javascript")
        if not allowed or match is None or not user.may_see(match.group(1)):
            return forbidden()
        path = folder / name
        if not path.is_file():
            return PlainTextResponse("Non ancora disponibile.", status_code=404)
        headers = {"Content-Security-Policy": DASHBOARD_CSP} if suffix == "html" else {}
        return FileResponse(path, headers=headers)

    async def security_headers(request, call_next):
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    app = Starlette(
        routes=[
            Route("/", home), Route("/login", login, methods=["GET", "POST"]), Route("/logout", logout, methods=["POST"]),
            Route("/template", template), Route("/upload", upload, methods=["POST"]),
            Route("/uploads/{upload_id:str}", upload_status), Route("/uploads/{upload_id:str}/findings.json", upload_findings),
            Route("/uploads/{upload_id:str}/mapping", upload_mapping, methods=["POST"]),
            Route("/body/{body:str}", body_page), Route("/files/{kind:str}/{name:str}", files),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ],
        middleware=[
            Middleware(BaseHTTPMiddleware, dispatch=security_headers),
            Middleware(SessionMiddleware, secret_key=secret_key(), session_cookie="areavasta", same_site="strict",
                       https_only=os.environ.get("AREAVASTA_HTTPS", "") == "1", max_age=8 * 3600),
        ],
    )
    return app


def _current(uploads) -> list:
    """The latest accepted upload per year and phase (what the body's results are built from)."""
    seen, out = set(), []
    for u in uploads:  # newest first
        key = (u["year"], u["phase"])
        if u["status"] == "accepted" and key not in seen:
            seen.add(key)
            out.append(u)
    return out
