"""What everyone signed in to the upload portal reads: the list of bodies (an officer sees their own, with the latest
uploads), a body's page with its uploads and the runs' pages, and the files the runs wrote, each only for whoever may
see the body. The portal never opens the DuckDB warehouse: it serves the pages and workbooks the runs write.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from dashboards import accounts
from dashboards.portal_guard import DASHBOARD_CSP
from dashboards.portal_home import body_list, template_choice
from dashboards.portal_site import Site, forbidden, with_states
from sources.reference import body_name

STEM = re.compile(r"^(\d{3})_(\d{4})_(previsione|rendiconto)(_en)?$")
# what the runs write and the portal serves: pages in dashboards/, the workbook and the DUP document in reports/
SERVED = {
    ("dashboards", "html"): "text/html; charset=utf-8",
    ("reports", "xlsx"): "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ("reports", "docx"): "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def reading_routes(site: Site) -> list[Route]:
    """The routes ``/`` (the bodies), ``/body/…`` and ``/files/…``, sharing ``site``."""
    settings, max_bytes, current, page = site.settings, site.max_bytes, site.current, site.page

    async def home(request: Request) -> Response:
        user = current(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        folder = settings.outputs_dir / "dashboards"
        with_data = {p.stem[:3] for p in folder.glob("*.html") if STEM.match(p.stem)} if folder.exists() else set()
        asked = request.query_params if user.role != "officer" else {"tutti": "1", "q": user.body}
        listed = body_list(asked, with_data)
        if user.role == "officer":  # their own body only
            listed = dataclasses.replace(listed, rows=[r for r in listed.rows if r["istat_code"] == user.body])
        history = with_states(settings, accounts.uploads_of(settings, user.body)[:20]) if user.role == "officer" else []
        return page(
            request,
            "home.html",
            "Bilanci",
            listed=listed,
            chosen=template_choice(request.query_params, dt.date.today().year),
            history=history,
            this_year=dt.date.today().year,
            max_mb=max_bytes // 2**20,
        )

    async def body_page(request: Request) -> Response:
        user = current(request)
        body = request.path_params["body"]
        if user is None:
            return RedirectResponse("/login", status_code=303)
        if not re.fullmatch(r"\d{3}", body) or not user.may_see(body):
            return forbidden()
        uploads = with_states(settings, accounts.uploads_of(settings, body))
        folder = settings.outputs_dir / "dashboards"
        stems = sorted(
            p.stem for p in folder.glob(f"{body}_*.html") if STEM.match(p.stem) and not p.stem.endswith("_en")
        )
        return page(request, "body.html", body_name(body), uploads=uploads, stems=stems)

    async def files(request: Request) -> Response:
        user = current(request)
        kind, name = request.path_params["kind"], request.path_params["name"]
        if user is None:
            return RedirectResponse("/login", status_code=303)
        folder = {"dashboards": settings.outputs_dir / "dashboards", "reports": settings.outputs_dir / "reports"}.get(
            kind
        )
        stem, _, suffix = name.rpartition(".")
        match = STEM.match(stem)
        allowed = folder is not None and (kind, suffix) in SERVED
        if name == "vega-bundle.js" and kind == "dashboards":
            return FileResponse(folder / name, media_type="text/javascript")
        if not allowed or match is None or not user.may_see(match.group(1)):
            return forbidden()
        path = folder / name
        if not path.is_file():
            return PlainTextResponse("Non ancora disponibile.", status_code=404)
        headers = {"Content-Security-Policy": DASHBOARD_CSP} if suffix == "html" else {}
        return FileResponse(path, headers=headers, media_type=SERVED[(kind, suffix)])

    return [
        Route("/", home),
        Route("/body/{body:str}", body_page),
        Route("/files/{kind:str}/{name:str}", files),
    ]
