"""The findings of an upload as the officer's own spreadsheet, marked (``dashboards.findings_copy``): the route
``/uploads/{id}/rilievi.xlsx`` (``?lang=en`` in English), for whoever may see the upload's body. The copy is made in an
intake worker, as the check of the file was: a large workbook does not stall the other users' requests."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from dashboards import accounts, findings_copy, intake_worker
from dashboards.portal_site import Site, forbidden

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def findings_routes(site: Site) -> list[Route]:
    settings, current, incoming = site.settings, site.current, site.incoming

    async def marked(request: Request) -> Response:
        user = current(request)
        if user is None:
            return RedirectResponse("/login", status_code=303)
        record = accounts.upload(settings, request.path_params["upload_id"])
        if record is None or not user.may_see(record["body"]):
            return forbidden()
        lang = "en" if request.query_params.get("lang") == "en" else "it"
        try:
            content = await intake_worker.run(findings_copy.for_upload, settings, dict(record), incoming, lang)
        except intake_worker.IntakeFailed:
            return PlainTextResponse("Copia del file non disponibile: riprovare più tardi.", status_code=503)
        name = f"{'findings' if lang == 'en' else 'rilievi'}_{record['body']}_{record['year']}_{record['phase']}.xlsx"
        return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    return [Route("/uploads/{upload_id:str}/rilievi.xlsx", marked)]
