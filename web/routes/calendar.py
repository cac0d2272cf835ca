"""The working-day calendar page (`/funding/manage/calendar`): bureau staff keep the table of
holidays and adjusted working days (调休上班) every publicity period (公示) is counted by, a year
at a time, and preview a period to check it. Bureau staff only (`domain.calendar.policy`):
anyone else signed in gets a 403 page before anything is read; an anonymous visitor is sent to
sign in. A refused change re-renders the page with the Chinese message beside its input."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.access import Actor
from domain.calendar import service
from domain.calendar.policy import can_edit
from domain.errors import DomainError, NotFound, PermissionDenied
from web.actor import actor
from web.forms import field_errors, text
from web.localtime import today_local
from web.pages import calendar as pages
from web.pages.organisation_forms import day as read_day
from web.render import redirect, render
from web.routes.accounts import sign_in_redirect

URL = "/funding/manage/calendar"
NOTICES = {"saved": "已保存。", "removed": "已删除，该日恢复按星期计算。"}


def _staff(request: Request) -> Actor | Response:
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    if not can_edit(viewer):
        raise PermissionDenied("只有民政局工作人员可以维护节假日与调休工作日")
    return viewer


async def _page(
    request: Request,
    year: int,
    form: pages.DayForm,
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    query = request.query_params
    view = await pages.calendar_view(year)
    if not errors and not form.day and (editing := view.row(query.get("edit", ""))) is not None:
        form = pages.DayForm.of(editing)
    context = {
        "title": "工作日历",
        "view": view,
        "form": form,
        "errors": errors,
        "labels": pages.DAY_LABELS,
        "kinds": pages.KINDS,
        "weekday": pages.weekday,
        "preview": await pages.preview(query.get("start"), query.get("days"), today_local()),
        "notice": NOTICES.get(query.get("done", "")) if status == 200 else None,
    }
    return render(
        request,
        "calendar/calendar.html",
        context,
        fragment="calendar/_calendar.html",
        status_code=status,
        url=f"{URL}?year={year}",
    )


async def calendar_page(request: Request) -> Response:
    got = _staff(request)
    if isinstance(got, Response):
        return got
    year = pages.year_of(request.query_params.get("year"), today_local())
    return await _page(request, year, pages.DayForm(), {})


async def save_day(request: Request) -> Response:
    """Set a day (a new one, or change what the table says about it)."""
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    form = pages.DayForm.from_form(await request.form())
    day, kind, errors = form.parse()
    try:
        if day is not None and kind is not None:
            await service.set_calendar_day(viewer, day, kind, form.name)
            return redirect(request, f"{URL}?year={day.year}&done=saved")
        service.check_day(day, kind, form.name)
    except DomainError as error:
        if isinstance(error, PermissionDenied):
            raise
        errors = {**field_errors(error, set(pages.DAY_LABELS)), **errors}
    year = day.year if day is not None else pages.year_of(None, today_local())
    return await _page(request, year, form, errors, 422)


async def remove_day(request: Request) -> Response:
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    raw = text(await request.form(), "day", 20)
    errors: dict[str, str] = {}
    day = read_day(raw, "day", errors, required=True)
    if day is None:
        raise NotFound("日历中没有这一天")
    await service.remove_calendar_day(viewer, day)
    return redirect(request, f"{URL}?year={day.year}&done=removed")


def routes() -> list[Route]:
    return [
        Route(URL, calendar_page, methods=["GET"], name="funding_calendar"),
        Route(URL, save_day, methods=["POST"], name="funding_calendar_save"),
        Route(f"{URL}/remove", remove_day, methods=["POST"], name="funding_calendar_remove"),
    ]
