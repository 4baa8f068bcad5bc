"""What every route of the upload portal shares: its templates and their words, the signed-in user, a page, a form
checked against cross-site requests and its CSRF token, and the uploads with their state in the register.

``dashboards.portal`` builds the app (signing in, what everyone authorised reads, the middleware);
``dashboards.portal_uploads`` holds the officer's routes.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.templating import Jinja2Templates

from dashboards import accounts
from dashboards.portal_guard import CSRF_REFUSED, FORM_BYTES, Refusal, cross_site
from dashboards.words import date_time, short_checksum
from sources import receipts
from sources.reference import body_name

HERE = Path(__file__).parent
ROLE_WORDS = {"officer": "ufficio finanziario dell'ente", "planner": "pianificazione", "admin": "amministrazione"}
PHASE_WORDS = {"previsione": "Bilancio di previsione", "rendiconto": "Rendiconto"}


def page_name(stem: str) -> str:
    """ "Rendiconto 2024" for ``002_2024_rendiconto``."""
    _, year, phase = stem.split("_")[:3]
    return f"{PHASE_WORDS.get(phase, phase)} {year}"


@dataclass(frozen=True)
class Site:
    """The portal's settings, templates, upload limit (and its refusal in words) and the folder uploads wait in."""

    settings: object
    templates: Jinja2Templates
    max_bytes: int
    too_large: str
    incoming: Path

    def csrf(self, request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(32)
        return request.session["csrf"]

    async def checked_form(self, request: Request, file: bool = False):
        """The POST's form, read only when it may be genuine: not sent from another site (``cross_site``) and with a
        CSRF token in the session to match (the callers check the role first). ``BodyLimit`` counts the body as it
        streams; a form that takes no file refuses a file part at its headers, before anything is written, and an
        upload takes one. Raises ``Refusal``."""
        expected = request.session.get("csrf", "")
        if (
            cross_site(request) or not expected
        ):  # without a token in the session nothing can match: the body is not read
            raise Refusal(403, CSRF_REFUSED)
        try:
            form = await request.form(max_files=1 if file else 0, max_part_size=FORM_BYTES)
        except HTTPException:  # Starlette's 400: a file where none is taken, a second file, a malformed body
            raise Refusal(400, "Richiesta non valida (modulo).") from None
        if not secrets.compare_digest(
            str(form.get("csrf", "")).encode(), expected.encode()
        ):  # bytes: any text compares
            raise Refusal(403, CSRF_REFUSED)
        return form

    def current(self, request: Request) -> accounts.User | None:
        name = request.session.get("user")
        return accounts.user(self.settings, name, request.session.get("version", -1)) if name else None

    def page(self, request: Request, name: str, title: str, status_code: int = 200, **context) -> Response:
        return self.templates.TemplateResponse(
            request,
            name,
            {"title": title, "user": self.current(request), "csrf": self.csrf(request), **context},
            status_code=status_code,
        )


def site(settings, max_upload_mb: float | None = None) -> Site:
    """The shared parts of one portal: the upload limit from ``max_upload_mb`` or ``AREAVASTA_MAX_UPLOAD_MB`` (20)."""
    max_bytes = int((max_upload_mb or float(os.environ.get("AREAVASTA_MAX_UPLOAD_MB", 20))) * 2**20)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(
        body_name=body_name,
        date_time=date_time,
        short_checksum=short_checksum,
        state_label=receipts.state_label,
        state_meaning=receipts.state_meaning,
        role_word=ROLE_WORDS.get,
        phase_word=PHASE_WORDS.get,
        page_name=page_name,
    )
    too_large = f"File troppo grande: il limite è {max_bytes // 2**20} MB."
    return Site(settings, templates, max_bytes, too_large, accounts.portal_dir(settings) / "incoming")


def forbidden() -> Response:
    return PlainTextResponse("Accesso non consentito.", status_code=403)


def state_of(record, fate) -> str:
    """The upload's state, in the register's words: the receipt's fate, or what the dry run said (``rejected``)."""
    return fate.status if fate is not None else record["status"]


def with_states(settings, uploads) -> list[dict]:
    """The portal's upload records with their state from the register (one read of the register for the whole list)."""
    fates = {r.seq: r for r in receipts.all_receipts(settings)} if uploads else {}
    return [{**dict(u), "state": state_of(u, fates.get(u["receipt_seq"]))} for u in uploads]
