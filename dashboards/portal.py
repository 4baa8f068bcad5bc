"""The upload portal (Starlette): finance officers upload, everyone authorised reads what the runs wrote.

One code path for files: ``sources.intake.receive`` with the officer's identity and body runs the dry run
(findings shown at once) and, for an accepted file, archives it and registers its receipt; the sensor
loads receipts in order of receipt. The portal never opens the DuckDB warehouse: it serves the pages and
workbooks the runs write.

Here: the app, signing in and out, and the officer's routes (the template, an upload and its findings, the mapping
form, confirming or cancelling a held replacement). What everyone signed in reads is ``dashboards.portal_reading``;
what every route shares (templates, the signed-in user, checked forms) is ``dashboards.portal_site``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import re
import tempfile
import uuid
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from dashboards import accounts, intake_worker, mapping_form
from dashboards.portal_findings import findings_routes
from dashboards.portal_guard import (
    FORM_BYTES,
    SECURITY_HEADERS,
    BodyLimit,
    LoginLimiter,
    Refusal,
    secret_key,
)
from dashboards.portal_reading import reading_routes
from dashboards.portal_site import HERE, forbidden, site, state_of
from dashboards.portal_status import status_routes, status_view, utc_now
from sources import mappings, receipts, replacement
from sources.findings import findings_json
from sources.intake import receive, validate_file
from sources.metadata import normalise_phase
from sources.receipts import Uploader
from sources.settings import load_settings
from sources.template import write_template

MIN_YEAR, MAX_YEAR = 2000, 2100


def valid_year(text: str) -> int | None:
    """Four ASCII digits in a plausible range (``isdigit`` also accepts '²²²²'); None otherwise."""
    text = text.strip()
    if not re.fullmatch(r"[0-9]{4}", text):
        return None
    year = int(text)
    return year if MIN_YEAR <= year <= MAX_YEAR else None


def officer(user: accounts.User) -> Uploader:
    """An officer may write their own body only."""
    return Uploader(user.username, frozenset({user.body}))


def create_app(settings=None, max_upload_mb: float | None = None, clock=utc_now) -> Starlette:
    """The portal; ``clock`` (naive UTC) tells when an upload has waited too long (tests move it)."""
    settings = settings or load_settings()
    shared = site(settings, max_upload_mb)
    max_bytes, too_large, incoming = shared.max_bytes, shared.too_large, shared.incoming
    current, page, checked_form = shared.current, shared.page, shared.checked_form
    limiter = LoginLimiter(settings)

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return page(request, "login.html", "Accesso")
        form = await checked_form(request)
        username, client = str(form.get("username", ""))[:100], request.client.host if request.client else "?"
        if limiter.blocked(username, client):
            return page(request, "login.html", "Accesso", 429, error="Troppi tentativi: riprovare tra qualche minuto.")
        found = accounts.authenticate(settings, username, str(form.get("password", ""))[:1000])
        if found is None:
            limiter.failed(username, client)
            await asyncio.sleep(limiter.delay(username, client))
            return page(request, "login.html", "Accesso", 401, error="Utente o password non validi.")
        request.session.clear()
        request.session["user"] = found.username
        request.session["version"] = accounts.session_version(settings, found.username)
        return RedirectResponse("/", status_code=303)

    async def logout(request: Request) -> Response:
        await checked_form(request)
        if request.session.get("user"):
            accounts.end_sessions(settings, request.session["user"])  # a cookie copied before logout is dead too
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    async def template(request: Request) -> Response:
        user = current(request)
        if user is None or not user.may_upload:
            return forbidden()
        year = valid_year(request.query_params.get("year", str(dt.date.today().year)))
        phase = normalise_phase(request.query_params.get("phase", "previsione"))
        if year is None or phase is None:
            return PlainTextResponse(
                f"Esercizio o fase non validi: indicare un anno tra {MIN_YEAR} e {MAX_YEAR} e "
                "'previsione' o 'rendiconto'.",
                status_code=400,
            )
        incoming.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=incoming) as folder:  # nothing left behind
            path = Path(folder) / "modello.xlsx"
            write_template(path, user.body, year, phase)
            content = path.read_bytes()
        return Response(
            content,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="modello_{user.body}_{year}_{phase}.xlsx"'},
        )

    async def upload(request: Request) -> Response:
        user = current(request)
        if user is None or not user.may_upload:
            return forbidden()
        form = await checked_form(request, file=True)  # the body is capped at max_bytes + FORM_BYTES while it streams
        sent = form.get("file")
        year, phase = valid_year(str(form.get("year", ""))), normalise_phase(str(form.get("phase", ""))[:20])
        if sent is None or not hasattr(sent, "read") or year is None or phase is None:
            return PlainTextResponse(
                f"Indicare esercizio (un anno tra {MIN_YEAR} e {MAX_YEAR}), fase (previsione o rendiconto) e file.",
                status_code=400,
            )
        data = await sent.read(max_bytes + 1)
        if len(data) > max_bytes:
            return PlainTextResponse(too_large, status_code=413)
        upload_id = uuid.uuid4().hex
        incoming.mkdir(parents=True, exist_ok=True)
        raw = incoming / upload_id  # never a name from the user; the type is told by the content
        raw.write_bytes(data)
        original = Path(str(sent.filename or "file")).name[:200]
        try:  # in a worker process: the dry run must not stall the other users' requests, nor take the portal down
            result, receipt = await intake_worker.run(
                intake_worker.receive_for_portal,
                raw,
                settings,
                officer(user),
                body=user.body,
                year=int(year),
                phase=phase,
                display_name=original,
                keep=True,
            )
        except intake_worker.IntakeFailed:
            result, receipt = intake_worker.refused(raw, original), None
        stored = raw.rename(raw.with_suffix(".csv" if result.kind == "csv" else ".xlsx" if result.kind else ".bin"))
        accept(result, stored, upload_id, user, int(year), phase, original, receipt)
        return RedirectResponse(f"/uploads/{upload_id}", status_code=303)

    def accept(result, stored: Path, upload_id: str, user, year: int, phase: str, original: str, receipt=None) -> None:
        """Log the dry run; a rejected file keeps what a mapping could place."""
        if result.ok:
            stored.unlink(
                missing_ok=True
            )  # archived as received, with its receipt: the sensor loads it in order of receipt
        elif result.unplaced:
            (incoming / f"{upload_id}.mapping.json").write_text(
                json.dumps({"layout": result.layout, "fingerprint": result.fingerprint, "unplaced": result.unplaced}),
                encoding="utf-8",
            )
        accounts.log_upload(
            settings,
            id=upload_id,
            body=user.body,
            year=year,
            phase=phase,
            original_name=original,
            stored_as=stored.name,
            sha256=result.sha256,
            username=user.username,
            received_at=dt.datetime.now().isoformat(timespec="microseconds"),
            status=receipts.RECEIVED if result.ok else receipts.REJECTED,
            findings_json=findings_json(result.findings),
            receipt_seq=receipt.seq if receipt else None,
        )

    def mapping_of(record) -> dict | None:
        path = incoming / f"{record['id']}.mapping.json"
        return (
            json.loads(path.read_text(encoding="utf-8")) if record["status"] == "rejected" and path.exists() else None
        )

    async def upload_mapping(request: Request) -> Response:
        """The officer places what the reader could not; the mapping is checked on the file, kept for the body, and the
        file re-sent."""
        user, record = own_upload(request)
        if record is None or not user.may_upload or user.body != record["body"]:  # only the body's own officer
            return forbidden()
        form = await checked_form(request)
        info = mapping_of(record)
        if info is None:
            return PlainTextResponse("Nessuna colonna da collocare per questo caricamento.", status_code=404)
        parsed, problems = mappings.parse_data(mapping_form.answers(form, info["unplaced"]), record["original_name"])
        raw = incoming / record["stored_as"]
        try:  # in a worker process, as the upload: the other users are not stalled
            result = (
                None
                if parsed is None
                else await intake_worker.run(
                    validate_file,
                    raw,
                    settings,
                    body=record["body"],
                    year=record["year"],
                    phase=record["phase"],
                    display_name=record["original_name"],
                    mapping=parsed,
                    uploader=officer(user),
                )
            )
        except intake_worker.IntakeFailed:
            result = intake_worker.refused(raw, record["original_name"])
        if result is None or not result.ok:
            shown = problems if result is None else result.findings
            return page(
                request,
                "upload.html",
                "Caricamento",
                422,
                up=record,
                state=receipts.REJECTED,
                findings=json.loads(findings_json(shown)),
                fields=mapping_form.fields(info["unplaced"]),
            )
        mappings.store(
            settings,
            record["body"],
            info["fingerprint"],
            parsed,
            layout=info["layout"],
            file_name=record["original_name"],
            user=user.username,
        )
        new_id = uuid.uuid4().hex
        result.findings.insert(
            0,
            mappings.applied_finding(
                mappings.load(settings, record["body"], info["fingerprint"]), record["original_name"]
            ),
        )
        _, receipt = await run_in_threadpool(receive, raw, settings, officer(user), validation=result, keep=True)
        accept(result, raw, new_id, user, record["year"], record["phase"], record["original_name"], receipt)
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
        info = mapping_of(record) if user.may_upload and user.body == record["body"] else None
        fate = receipts.get(settings, record["receipt_seq"]) if record["receipt_seq"] else None
        held = replacement.held_view(fate.comparisons) if fate and fate.status == receipts.HELD else []
        may_decide = bool(held) and user.may_upload and user.body == record["body"]  # only the body's own officer
        return page(
            request,
            "upload.html",
            "Caricamento",
            up=record,
            findings=json.loads(record["findings_json"]),
            **status_view(settings, record, fate, clock()),  # ready only from what the run recorded on the receipt
            fields=mapping_form.fields(info["unplaced"]) if info else [],
            fate=fate,
            held=held,
            may_decide=may_decide,
            state=state_of(record, fate),
        )

    async def upload_decision(request: Request) -> Response:
        """The body's own officer confirms or cancels a held replacement (``sources.receipts.confirm`` / ``cancel``)."""
        if request.path_params["decision"] not in ("conferma", "annulla"):
            return PlainTextResponse("Pagina non trovata.", status_code=404)
        user, record = own_upload(request)
        if record is None or not user.may_upload or user.body != record["body"] or not record["receipt_seq"]:
            return forbidden()
        await checked_form(request)
        action = receipts.confirm if request.path_params["decision"] == "conferma" else receipts.cancel
        try:
            await run_in_threadpool(action, settings, record["receipt_seq"], officer(user))
        except receipts.RegisterRefusal as refusal:
            return PlainTextResponse(refusal.message("it"), status_code=409)
        return RedirectResponse(f"/uploads/{record['id']}", status_code=303)

    async def upload_findings(request: Request) -> Response:
        user, record = own_upload(request)
        if record is None:
            return forbidden()
        return JSONResponse(
            json.loads(record["findings_json"]),
            headers={"Content-Disposition": f'attachment; filename="rilievi_{record["id"]}.json"'},
        )

    async def refused(request: Request, refusal: Refusal) -> Response:
        return PlainTextResponse(refusal.message, status_code=refusal.status)

    async def security_headers(request, call_next):
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if os.environ.get("AREAVASTA_HTTPS", "") == "1":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    app = Starlette(
        routes=[
            Route("/login", login, methods=["GET", "POST"]),
            Route("/logout", logout, methods=["POST"]),
            Route("/template", template),
            Route("/upload", upload, methods=["POST"]),
            Route("/uploads/{upload_id:str}", upload_status),
            Route("/uploads/{upload_id:str}/findings.json", upload_findings),
            *findings_routes(shared),
            Route("/uploads/{upload_id:str}/mapping", upload_mapping, methods=["POST"]),
            Route("/uploads/{upload_id:str}/{decision:str}", upload_decision, methods=["POST"]),
            *status_routes(shared, clock),
            *reading_routes(shared),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ],
        middleware=[
            Middleware(BaseHTTPMiddleware, dispatch=security_headers),
            Middleware(
                SessionMiddleware,
                secret_key=secret_key(),
                session_cookie="areavasta",
                same_site="strict",
                https_only=os.environ.get("AREAVASTA_HTTPS", "") == "1",
                max_age=8 * 3600,
            ),
            Middleware(
                BodyLimit,
                limits={"/upload": (max_bytes + FORM_BYTES, too_large)},
                default=(FORM_BYTES, "Richiesta troppo grande."),
            ),
        ],
        exception_handlers={Refusal: refused},
        lifespan=_lifespan,
    )
    return app


@contextlib.asynccontextmanager
async def _lifespan(app):
    intake_worker.warm()
    yield
    intake_worker.shutdown()  # the workers end with the portal
