"""Social organisations (社会组织): the public directory and each organisation's page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.actor import actor
from web.localtime import today_local
from web.pages import organisations as pages
from web.pages.organisation_forms import can_create
from web.render import render
from web.routes import organisation_forms


async def directory(request: Request) -> Response:
    params = dict(request.query_params)
    query = pages.DirectoryQuery.from_params(params)
    context = {
        "title": "社会组织",
        "view": await pages.directory(query, params.get("after", ""), today_local()),
        "legal_forms": pages.LEGAL_FORMS,
        "org_fields": pages.FIELDS,
        "statuses": pages.STATUSES,
        "ratings": pages.RATINGS,
        "can_create": can_create(actor(request)),
    }
    fragment = "organisations/_directory.html"
    return render(request, "organisations/directory.html", context, fragment=fragment)


def routes() -> list[Route]:
    return [
        Route("/organisations", directory, methods=["GET"], name="organisations"),
        *organisation_forms.routes(),
    ]
