"""An upload's results on the officer's page: ready only from what the run recorded on the upload's receipt
(``sources.readiness``), links that serve only files which include the upload, and the receipt number.

``status_view`` gives the upload page what it shows; ``status_routes`` serves ``/uploads/<id>/esiti/<kind>/<name>``
(the recorded file, its bytes checked against the record before they are sent: a file a later run replaced is refused
with "in preparazione") and finds an upload by its receipt number (``/ricevuta?numero=2026-0042``). The time comes
from ``clock`` (naive UTC, as the register's): tests move it instead of sleeping.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from dashboards import accounts
from dashboards.portal_guard import DASHBOARD_CSP
from dashboards.portal_reading import SERVED, STEM
from dashboards.portal_site import Site, forbidden, page_name
from sources import readiness, receipts

PREPARING = {
    "it": "I risultati che comprendono questo file sono in preparazione: riprovare tra qualche istante.",
    "en": "The results that include this file are being prepared: try again in a moment.",
}
LINKS = {"html": "Matrice e cruscotto ({name})", "xlsx": "Rapporto Excel", "docx": "Documento DUP (Word)"}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def status_view(settings, record, fate, now: dt.datetime) -> dict:
    """What the upload page shows of the results: ``status`` (a ``sources.readiness.Readiness`` or None when the
    register's state says it all) and ``links`` (label, address) only when ready."""
    found = readiness.readiness(settings, fate, now, record["receipt_number"] or "") if fate is not None else None
    links = []
    if found is not None and found.ready:
        for name, path in found.files.items():
            stem, _, suffix = name.rpartition(".")
            links.append((LINKS[suffix].format(name=page_name(stem)), f"/uploads/{record['id']}/esiti/{path}"))
    return {"status": found, "links": links}


def status_routes(site: Site, clock=utc_now) -> list[Route]:
    settings, current = site.settings, site.current

    def visible(request: Request):
        user = current(request)
        record = accounts.upload(settings, request.path_params["upload_id"])
        return user, record if user is not None and record is not None and user.may_see(record["body"]) else None

    async def result_file(request: Request) -> Response:
        """A file of the upload's results, only if it is still the one the run recorded with the upload in use."""
        user, record = visible(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        kind, name = request.path_params["kind"], request.path_params["name"]
        stem, _, suffix = name.rpartition(".")
        if record is None or (kind, suffix) not in SERVED and name != "vega-bundle.js":
            return forbidden()
        if name == "vega-bundle.js" and kind == "dashboards":  # the pages' script, the same for every page
            bundle = settings.outputs_dir / "dashboards" / name
            return Response(bundle.read_bytes(), media_type="text/javascript") if bundle.is_file() else forbidden()
        fate = receipts.get(settings, record["receipt_seq"]) if record["receipt_seq"] else None
        found = readiness.readiness(settings, fate, clock(), record["receipt_number"] or "") if fate else None
        entry = fate.outputs.get(name) if fate else None
        if STEM.match(stem) is None or found is None or not found.ready or entry is None:
            return PlainTextResponse(PREPARING["it"], status_code=409)
        if entry["path"] != f"{kind}/{name}":
            return forbidden()
        content = (settings.outputs_dir / entry["path"]).read_bytes()  # read once: what is checked is what is sent
        if hashlib.sha256(content).hexdigest() != entry["sha256"]:
            return PlainTextResponse(PREPARING["it"], status_code=409)
        headers = {"Content-Security-Policy": DASHBOARD_CSP} if suffix == "html" else {}
        if suffix != "html":
            headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return Response(content, media_type=SERVED[(kind, suffix)], headers=headers)

    async def by_number(request: Request) -> Response:
        """The upload with the receipt number the officer quotes (``?numero=2026-0042``), for whoever may see it."""
        user = current(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        record = accounts.upload_by_number(settings, request.query_params.get("numero", "")[:40])
        if record is None or not user.may_see(record["body"]):
            return PlainTextResponse("Nessun caricamento con questo numero di ricevuta.", status_code=404)
        return RedirectResponse(f"/uploads/{record['id']}", status_code=303)

    return [
        Route("/uploads/{upload_id:str}/esiti/{kind:str}/{name:str}", result_file),
        Route("/ricevuta", by_number),
    ]
