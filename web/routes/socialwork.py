"""Social work (社会工作): the social-worker directory and supervisors' logs."""

from __future__ import annotations

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.access import Actor
from domain.errors import DomainError, PermissionDenied, ValidationErrors
from domain.organisations.policy import is_bureau
from domain.socialwork import queries, service
from domain.socialwork.models import SocialWorker
from web.actor import actor
from web.forms import FORM, field_errors, text, whole_number
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
    context = {
        "title": f"督导记录 {view.person.name}",
        "view": view,
        "notice": "已记录督导。" if request.query_params.get("done") == "logged" else None,
        "can_log": is_bureau(viewer) or viewer.person_id == view.supervisor.person_id,
    }
    return render(request, "socialwork/supervision.html", context, fragment="socialwork/_supervision.html")


# --- the supervision log form -------------------------------------------------------------------


async def _logger(request: Request) -> tuple[Actor, SocialWorker | None] | Response:
    """Who may use the form: a supervisor (for their own log), the bureau (for any supervisor)."""
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    found = await queries.supervisor_of_person(viewer.person_id)
    own = await queries.supervisor_by_id(found.id) if found else None  # with their person
    if not queries.is_own_supervision(viewer, own):
        own = None  # a supervisor signed in as a resident (or ADMIN) logs nothing as themself
    if own is None and not is_bureau(viewer):
        raise PermissionDenied("只有督导者本人和民政局工作人员可以记录督导")
    return viewer, own


async def _supervisor(
    viewer: Actor, own: SocialWorker | None, filled: pages.SupervisionFilled
) -> SocialWorker | None:
    """The supervisor the record is for: the bureau picks one, a supervisor is themselves."""
    if not is_bureau(viewer):
        return own
    chosen = whole_number(filled.supervisor)
    return await queries.supervisor_by_id(chosen) if chosen else own


async def _supervision_form(
    request: Request,
    viewer: Actor,
    own: SocialWorker | None,
    filled: pages.SupervisionFilled,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    supervisor = await _supervisor(viewer, own, filled)
    context = {
        "title": "记录督导",
        "form": filled,
        "errors": errors,
        "labels": pages.SUPERVISION_LABELS,
        "forms": pages.FORMS,
        "own": own,
        "supervisor": supervisor,
        "supervisors": await queries.supervisors() if is_bureau(viewer) else [],
        "choices": await pages.choices(viewer, filled, supervisor),
        "by_certificate": pages.by_certificate(viewer),
        "today": today_local().isoformat(),
    }
    return render(
        request,
        "socialwork/log.html",
        context,
        fragment="socialwork/_log.html",
        status_code=status_code,
        url="/supervision/new",
    )


async def new_supervision(request: Request) -> Response:
    got = await _logger(request)
    if isinstance(got, Response):
        return got
    viewer, own = got
    chosen = request.query_params.get("supervisor", "")[:9]
    blank = pages.SupervisionFilled(supervisor=chosen, held_on=today_local().isoformat(), minutes="60")
    return await _supervision_form(request, viewer, own, blank, {})


async def supervisee_choices(request: Request) -> Response:
    """The checkbox list again for a search (the checked ones kept first)."""
    got = await _logger(request)
    if isinstance(got, Response):
        return got
    viewer, own = got
    items: list[tuple[str, str | UploadFile]] = list(request.query_params.multi_items())
    filled = pages.SupervisionFilled.from_form(FormData(items))
    supervisor = await _supervisor(viewer, own, filled)
    context = {
        "choices": await pages.choices(viewer, filled, supervisor),
        "form": filled,
        "by_certificate": pages.by_certificate(viewer),
    }
    return render(request, "socialwork/_choices.html", context)


async def log_supervision(request: Request) -> Response:
    got = await _logger(request)
    if isinstance(got, Response):
        return got
    viewer, own = got
    form = await request.form()
    filled = pages.SupervisionFilled.from_form(form)
    if text(form, "action") == "search":
        return await _supervision_form(request, viewer, own, filled, {})
    supervisor = await _supervisor(viewer, own, filled)
    data, errors = filled.parse(supervisor.id if supervisor else None)
    inputs = set(pages.SUPERVISION_LABELS)
    try:
        if errors:
            found = service.check_supervision(data, today_local())
            if found:
                raise ValidationErrors(list(found))
        else:
            record = await service.log_supervision(actor=viewer, data=data, today=today_local())
            return redirect(request, f"/supervision/{record.supervisor_id}?done=logged")
    except PermissionDenied:
        raise
    except DomainError as error:
        errors = {**field_errors(error, inputs, pages.SUPERVISION_ALIASES), **errors}
    return await _supervision_form(
        request, viewer, own, filled, {FORM: "督导记录未保存，请按提示修改后重试。", **errors}, 422
    )


def routes() -> list[Route]:
    return [
        Route("/supervision/new", new_supervision, methods=["GET"], name="new_supervision"),
        Route("/supervision/supervisees", supervisee_choices, methods=["GET"], name="supervisee_choices"),
        Route("/supervision", log_supervision, methods=["POST"], name="log_supervision"),
        Route("/social-workers", workers, methods=["GET"], name="social_workers"),
        Route("/agencies", agencies, methods=["GET"], name="agencies"),
        Route("/supervision", my_supervision, methods=["GET"], name="my_supervision"),
        Route("/supervision/{worker_id:id}", supervision, methods=["GET"], name="supervision"),
    ]
