"""Social work (社会工作): the social-worker directory and supervisors' logs."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.socialwork import queries
from web.actor import actor
from web.localtime import today_local
from web.pages import socialwork as pages
from web.render import redirect, render
from web.routes.accounts import sign_in_redirect


async def workers(request: Request) -> Response:
    view = await pages.workers(actor(request), dict(request.query_params))
    context = {"title": "社工", "view": view, "levels": pages.LEVELS}
    return render(request, "socialwork/workers.html", context, fragment="socialwork/_workers.html")


async def agencies(request: Request) -> Response:
    view = await pages.agencies()
    context = {"title": "社工机构与社工站", "view": view}
    return render(request, "socialwork/agencies.html", context, fragment="socialwork/_agencies.html")


async def my_supervision(request: Request) -> Response:
    """A supervisor's own log; staff start from the directory's supervisors."""
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    own = await queries.supervisor_of_person(viewer.person_id)
    if own is not None:
        return redirect(request, f"/supervision/{own.id}")
    return redirect(request, "/social-workers?supervisors=1")


async def supervision(request: Request) -> Response:
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    year = today_local().year
    view = await pages.supervision(viewer, request.path_params["worker_id"], year)
    context = {"title": f"督导记录 {view.person.name}", "view": view}
    return render(request, "socialwork/supervision.html", context, fragment="socialwork/_supervision.html")


def routes() -> list[Route]:
    return [
        Route("/social-workers", workers, methods=["GET"], name="social_workers"),
        Route("/agencies", agencies, methods=["GET"], name="agencies"),
        Route("/supervision", my_supervision, methods=["GET"], name="my_supervision"),
        Route("/supervision/{worker_id:id}", supervision, methods=["GET"], name="supervision"),
    ]
