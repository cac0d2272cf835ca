"""The 工作台: where everyone lands after signing in."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.workbench.queries import workbench
from web.actor import actor
from web.pages.organisation_forms import my_organisations, organised_ids
from web.render import redirect, render
from web.routes.accounts import sign_in_redirect

PATH = "/workbench"


async def workbench_page(request: Request) -> Response:
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    context = {
        "title": "工作台",
        "view": await workbench(viewer),
        "my_organisations": await my_organisations(viewer),
    }
    return render(request, "workbench/workbench.html", context, fragment="workbench/_workbench.html")


async def my_organisation(request: Request) -> Response:
    """An ORGANISER's organisation page (their workbench lists several)."""
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    ids = organised_ids(viewer)
    return redirect(request, f"/organisations/{ids[0]}" if len(ids) == 1 else f"{PATH}#my-organisations")


def routes() -> list[Route]:
    return [
        Route(PATH, workbench_page, methods=["GET"], name="workbench"),
        Route("/me/organisation", my_organisation, methods=["GET"], name="my_organisation"),
    ]
