"""Micro-leaders (微领袖): the public directory and profiles, my training with enrolment and
check-in by code, and the staff's cohort and session pages (check-in code, QR, live sheet)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.access import Actor, require_signed_in
from domain.errors import DomainError, NotFound, PermissionDenied, ValidationError
from domain.leaders import checkin, policy, queries, training
from web.actor import actor
from web.forms import field_errors, text, whole_number
from web.pages import leaders as pages
from web.render import redirect, render
from web.routes.accounts import sign_in_redirect

MY_TRAINING = "/me/training"
TRAINING_NOTICES = {
    "enrolled": "报名成功。",
    "cancelled": "已取消，名额已释放（如有候补，已自动递补）。",
    "waiting": "已登记候补。有人取消时，名额按登记顺序自动递补。",
}
COHORT_NOTICES = {"saved": "培训期已保存。"}
PROFILE_NOTICES = {
    "nominated": "已提名。",
    "certify": "已结业认证，结业证书已生成。",
    "withdraw": "已办理退出，未开始的报名与候补已取消。",
}
SESSION_NOTICES = {
    "saved": "培训场次已保存。",
    "opened": "签到已开放。请向学员展示签到码或二维码。",
    "closed": "签到已关闭。",
    "corrected": "签到表已更正。",
}
MAX_CODE = 20


# --- the directory and profiles ---------------------------------------------------------------


async def directory(request: Request) -> Response:
    params = dict(request.query_params)
    query = pages.DirectoryQuery.from_params(params)
    context = {
        "title": "微领袖",
        "view": await pages.directory(actor(request), query, params.get("after", "")),
        "statuses": pages.STATUSES,
    }
    return render(request, "leaders/directory.html", context, fragment="leaders/_directory.html")


async def profile(request: Request) -> Response:
    view = await pages.profile(actor(request), request.path_params["leader_id"])
    notice = PROFILE_NOTICES.get(request.query_params.get("done", ""))
    context = {"title": f"微领袖 {view.row.person.name}", "view": view, "notice": notice}
    return render(request, "leaders/profile.html", context, fragment="leaders/_profile.html")


# --- my training ------------------------------------------------------------------------------


async def my_training(request: Request) -> Response:
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    return await render_my_training(
        request, viewer, notice=TRAINING_NOTICES.get(request.query_params.get("done", ""))
    )


async def render_my_training(
    request: Request,
    viewer: Actor,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {"title": "我的培训", "view": await pages.my_training(viewer), "notice": notice, "error": error}
    return render(
        request,
        "leaders/training.html",
        context,
        fragment="leaders/_training.html",
        status_code=status_code,
        url=MY_TRAINING,
    )


async def _enrolment(request: Request, *, cancel: bool) -> Response:
    viewer = actor(request)
    require_signed_in(viewer)
    leader = await queries.leader_of_person(viewer.person_id) if viewer.person_id else None
    if leader is None:
        raise PermissionDenied("只有微领袖本人可以报名培训")
    change = training.cancel_enrolment if cancel else training.enrol
    try:
        await change(actor=viewer, session_id=request.path_params["session_id"], leader_id=leader.id)
    except (PermissionDenied, NotFound):
        raise
    except DomainError as error:
        return await render_my_training(request, viewer, error=error.message, status_code=422)
    return redirect(request, f"{MY_TRAINING}?done={'cancelled' if cancel else 'enrolled'}")


async def enrol(request: Request) -> Response:
    return await _enrolment(request, cancel=False)


async def cancel_enrolment(request: Request) -> Response:
    return await _enrolment(request, cancel=True)


# --- check-in by code -------------------------------------------------------------------------


def _session_id(request: Request) -> int:
    session_id = pages.session_id_of(request.path_params["ref"])
    if session_id is None:
        raise NotFound("培训场次不存在")
    return session_id


async def _check_in_form(
    request: Request,
    session_id: int,
    *,
    code: str = "",
    errors: dict[str, str] | None = None,
    done: bool = False,
    status_code: int = 200,
) -> Response:
    session = await queries.session_by_id(session_id)
    context: dict[str, Any] = {
        "title": "培训签到",
        "session": session,
        "open": pages.check_in_open(session),
        "code": code,
        "errors": errors or {},
        "done": done,
        "digits": checkin.CODE_DIGITS,
    }
    url = f"/training/sessions/{request.path_params['ref']}/check-in"
    return render(
        request,
        "leaders/check_in.html",
        context,
        fragment="leaders/_check_in.html",
        status_code=status_code,
        url=url,
    )


async def check_in_page(request: Request) -> Response:
    if actor(request).is_anonymous:
        return sign_in_redirect(request)
    return await _check_in_form(request, _session_id(request))


async def check_in(request: Request) -> Response:
    viewer = actor(request)
    require_signed_in(viewer)
    session_id = _session_id(request)
    code = text(await request.form(), "code", MAX_CODE)
    try:
        await training.check_in(actor=viewer, session_id=session_id, code=code)
    except (PermissionDenied, NotFound):
        raise
    except DomainError as error:
        errors = field_errors(error, {"code"})
        return await _check_in_form(request, session_id, code=code, errors=errors, status_code=422)
    return await _check_in_form(request, session_id, done=True)


# --- staff: cohorts and sessions --------------------------------------------------------------


async def cohort(request: Request) -> Response:
    view = await pages.cohort_page(actor(request), request.path_params["cohort_id"])
    notice = COHORT_NOTICES.get(request.query_params.get("done", ""))
    context = {"title": f"{view.cohort.name} · 培训计划", "view": view, "notice": notice}
    return render(request, "leaders/cohort.html", context, fragment="leaders/_cohort.html")


async def _session(
    request: Request,
    *,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    viewer = actor(request)
    session_id: int = request.path_params["session_id"]
    view = await pages.session_page(viewer, session_id)
    qr = None
    if view.can_run_check_in and view.check_in_open:
        url = str(request.base_url).rstrip("/") + f"/training/sessions/{view.ref}/check-in"
        qr = checkin.checkin_qr_svg(url)
    context = {
        "title": view.session.title,
        "view": view,
        "qr": qr,
        "notice": notice,
        "errors": errors or {},
    }
    return render(
        request,
        "leaders/session.html",
        context,
        fragment="leaders/_session.html",
        status_code=status_code,
        url=f"/training/sessions/{session_id}",
    )


async def session_page(request: Request) -> Response:
    return await _session(request, notice=SESSION_NOTICES.get(request.query_params.get("done", "")))


async def attendance_sheet(request: Request) -> Response:
    """The sheet alone, polled by the session page every few seconds."""
    viewer = actor(request)
    session = await queries.session_by_id(request.path_params["session_id"])
    if not policy.can_view_sheet(viewer, session):
        raise PermissionDenied("只有本场培训的主持人、网格员或民政局工作人员可以查看签到表")
    view = await pages.sheet(viewer, session)
    context = {"sheet": view, "can_run_check_in": policy.can_run_check_in(viewer, session)}
    return render(request, "leaders/_sheet.html", context)


async def open_check_in(request: Request) -> Response:
    session_id: int = request.path_params["session_id"]
    minutes = whole_number(text(await request.form(), "minutes", 3)) or 0
    try:
        await training.open_check_in(actor=actor(request), session_id=session_id, minutes=minutes)
    except ValidationError as error:
        return await _session(request, errors=field_errors(error, {"minutes"}), status_code=422)
    return redirect(request, f"/training/sessions/{session_id}?done=opened")


async def close_check_in(request: Request) -> Response:
    session_id: int = request.path_params["session_id"]
    await training.close_check_in(actor=actor(request), session_id=session_id)
    return redirect(request, f"/training/sessions/{session_id}?done=closed")


async def _correction_form(
    request: Request,
    *,
    present: str = "",
    reason: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    viewer = actor(request)
    session = await queries.session_by_id(request.path_params["session_id"])
    if not policy.can_run_check_in(viewer, session):
        raise PermissionDenied("只有本场培训的主持人或民政局工作人员可以更正签到表")
    view = await pages.sheet(viewer, session)
    leader_id: int = request.path_params["leader_id"]
    row = next((row for row in view.rows if row.leader.id == leader_id), None)
    if row is None:
        raise NotFound("该微领袖未报名本场培训")
    context = {
        "title": "更正签到",
        "session": session,
        "row": row,
        "person": view.people[leader_id],
        "present": present or ("absent" if row.present else "present"),
        "reason": reason,
        "errors": errors or {},
    }
    return render(
        request,
        "leaders/correction.html",
        context,
        fragment="leaders/_correction.html",
        status_code=status_code,
        url=f"/training/sessions/{session.id}/attendance/{leader_id}",
    )


async def correction_page(request: Request) -> Response:
    if actor(request).is_anonymous:
        return sign_in_redirect(request)
    return await _correction_form(request)


async def correct_attendance(request: Request) -> Response:
    form = await request.form()
    present, reason = text(form, "present", 10), text(form, "reason", 400)
    session_id: int = request.path_params["session_id"]
    if present not in ("present", "absent"):
        return await _correction_form(
            request, reason=reason, errors={"present": "请选择出席或缺席"}, status_code=422
        )
    try:
        await training.correct_attendance(
            actor=actor(request),
            session_id=session_id,
            leader_id=request.path_params["leader_id"],
            present=present == "present",
            reason=reason,
        )
    except (PermissionDenied, NotFound):
        raise
    except DomainError as error:
        errors = field_errors(error, {"reason", "present"})
        return await _correction_form(request, present=present, reason=reason, errors=errors, status_code=422)
    return redirect(request, f"/training/sessions/{session_id}?done=corrected")


def routes() -> list[Route]:
    return [
        Route("/leaders", directory, methods=["GET"], name="leaders"),
        Route("/leaders/{leader_id:id}", profile, methods=["GET"], name="leader"),
        Route("/me/training", my_training, methods=["GET"], name="my_training"),
        Route("/me/training/sessions/{session_id:id}/enrol", enrol, methods=["POST"], name="enrol"),
        Route(
            "/me/training/sessions/{session_id:id}/cancel",
            cancel_enrolment,
            methods=["POST"],
            name="cancel_enrolment",
        ),
        Route("/training/cohorts/{cohort_id:id}", cohort, methods=["GET"], name="cohort"),
        Route("/training/sessions/{session_id:id}", session_page, methods=["GET"], name="session"),
        Route("/training/sessions/{session_id:id}/sheet", attendance_sheet, methods=["GET"], name="sheet"),
        Route(
            "/training/sessions/{session_id:id}/check-in/open",
            open_check_in,
            methods=["POST"],
            name="open_check_in",
        ),
        Route(
            "/training/sessions/{session_id:id}/check-in/close",
            close_check_in,
            methods=["POST"],
            name="close_check_in",
        ),
        Route(
            "/training/sessions/{session_id:id}/attendance/{leader_id:id}",
            correction_page,
            methods=["GET"],
            name="attendance_correction",
        ),
        Route(
            "/training/sessions/{session_id:id}/attendance/{leader_id:id}",
            correct_attendance,
            methods=["POST"],
            name="correct_attendance",
        ),
        Route("/training/sessions/{ref}/check-in", check_in_page, methods=["GET"], name="check_in"),
        Route("/training/sessions/{ref}/check-in", check_in, methods=["POST"], name="check_in_submit"),
    ]
