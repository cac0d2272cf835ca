"""The 工作台: where everyone lands after signing in."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.workbench.queries import workbench
from web.actor import actor
from web.render import render
from web.routes.accounts import sign_in_redirect

PATH = "/workbench"


async def workbench_page(request: Request) -> Response:
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    context = {"title": "工作台", "view": await workbench(viewer)}
    return render(request, "workbench/workbench.html", context, fragment="workbench/_workbench.html")


def routes() -> list[Route]:
    return [Route(PATH, workbench_page, methods=["GET"], name="workbench")]
