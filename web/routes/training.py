"""The staff's 培训 pages: cohorts (list, new, edit), sessions (new, edit), nominating leaders,
certifying and withdrawing them with a reason, certificates (list and printable 结业证书), roster
and attendance exports, and a leader joining a full session's waiting list. Every form re-renders
with what was typed and every error at once, each beside its input, with the API's messages."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.access import require_signed_in
from domain.accounts import queries as account_queries
from domain.accounts.models import User
from domain.errors import DomainError, NotFound, PermissionDenied
from domain.grids import queries as grid_queries
from domain.leaders import policy, queries, service, training
from domain.leaders.models import Cohort, MicroLeader
from domain.people.policy import view_for
from web.actor import actor
from web.exports import CSV, FORMATS, XLSX, as_csv, as_xlsx, download
from web.forms import FORM
from web.pages import leaders as leader_pages
from web.pages import training as pages
from web.render import redirect, render
from web.routes.accounts import sign_in_redirect
from web.routes.leaders import render_my_training

REFUSED = "未保存，请按提示修改后重试。"
UNPROCESSABLE = 422


def _with_form_error(errors: dict[str, str]) -> dict[str, str]:
    return errors if errors.get(FORM) else {FORM: REFUSED, **errors}


# --- the cohorts list -------------------------------------------------------------------------


async def cohorts(request: Request) -> Response:
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    view = await pages.cohort_list(viewer)
    notice = "培训期已保存。" if request.query_params.get("done") == "saved" else None
    context = {"title": "培训", "view": view, "notice": notice}
    return render(request, "leaders/cohorts.html", context, fragment="leaders/_cohorts.html")


# --- cohort forms -----------------------------------------------------------------------------


async def _cohort_form(
    request: Request,
    form: pages.CohortForm,
    *,
    cohort: Cohort | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    status_code = UNPROCESSABLE if errors else 200
    context = {
        "title": f"修改 {cohort.name}" if cohort else "新建培训期",
        "form": form,
        "cohort": cohort,
        "errors": errors or {},
    }
    url = f"/training/cohorts/{cohort.id}/edit" if cohort else "/training/cohorts/new"
    return render(
        request,
        "leaders/cohort_form.html",
        context,
        fragment="leaders/_cohort_form.html",
        status_code=status_code,
        url=url,
    )


async def new_cohort(request: Request) -> Response:
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    policy.require_manage_training(viewer)
    return await _cohort_form(request, pages.CohortForm())


async def edit_cohort(request: Request) -> Response:
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    policy.require_manage_training(viewer)
    cohort = await queries.cohort_by_id(request.path_params["cohort_id"])
    return await _cohort_form(request, pages.CohortForm.of(cohort), cohort=cohort)


def _cohort_checks(values: dict[str, Any], errors: dict[str, str]) -> None:
    """The domain's own refusals of the inputs that parsed, added beside the page's."""
    _, found = training.cohort_errors(
        name=values["name"],
        min_attendance_share=values["min_attendance_share"],
        min_hours=values["min_hours"],
    )
    for one in found:
        name = one.field[-1] if one.field else FORM
        errors.setdefault(pages.COHORT_ALIASES.get(name, name), one.message)


async def _save_or_check(
    viewer: Any, cohort: Cohort, values: dict[str, Any], errors: dict[str, str]
) -> Cohort | None:
    """Update the cohort unless the page already found an error (then only the domain's checks
    run, through `cohort_errors`, so every error shows at once)."""
    if errors:
        _cohort_checks(values, errors)
        return None
    return await training.update_cohort(actor=viewer, cohort_id=cohort.id, **values)


async def create_cohort(request: Request) -> Response:
    viewer = actor(request)
    policy.require_manage_training(viewer)
    form = pages.CohortForm.from_form(await request.form())
    values, errors = form.parse()
    if errors:
        _cohort_checks(values, errors)
        return await _cohort_form(request, form, errors=_with_form_error(errors))
    try:
        cohort = await training.create_cohort(actor=viewer, **values)
    except (PermissionDenied, NotFound):
        raise
    except DomainError as error:
        found = pages.errors_of(error, pages.COHORT_INPUTS, pages.COHORT_ALIASES)
        return await _cohort_form(request, form, errors=_with_form_error(found))
    return redirect(request, f"/training/cohorts/{cohort.id}?done=saved")


async def update_cohort(request: Request) -> Response:
    viewer = actor(request)
    policy.require_manage_training(viewer)
    cohort = await queries.cohort_by_id(request.path_params["cohort_id"])
    form = pages.CohortForm.from_form(await request.form())
    values, errors = form.parse()
    try:
        saved = await _save_or_check(viewer, cohort, values, errors)
    except (PermissionDenied, NotFound):
        raise
    except DomainError as error:
        found = pages.errors_of(error, pages.COHORT_INPUTS, pages.COHORT_ALIASES)
        return await _cohort_form(request, form, cohort=cohort, errors=_with_form_error(found))
    if saved is None:
        return await _cohort_form(request, form, cohort=cohort, errors=_with_form_error(errors))
    return redirect(request, f"/training/cohorts/{cohort.id}?done=saved")


# --- session forms ----------------------------------------------------------------------------


async def _session_form(
    request: Request,
    form: pages.SessionForm,
    cohort: Cohort,
    *,
    session_id: int | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    status_code = UNPROCESSABLE if errors else 200
    context = {
        "title": "修改培训场次" if session_id else "新建培训场次",
        "form": form,
        "cohort": cohort,
        "session_id": session_id,
        "types": pages.SESSION_TYPES,
        "errors": errors or {},
        "one_to_one_message": training.ONE_TO_ONE_MESSAGE,
    }
    url = (
        f"/training/sessions/{session_id}/edit"
        if session_id
        else f"/training/cohorts/{cohort.id}/sessions/new"
    )
    return render(
        request,
        "leaders/session_form.html",
        context,
        fragment="leaders/_session_form.html",
        status_code=status_code,
        url=url,
    )


async def new_session(request: Request) -> Response:
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    policy.require_manage_training(viewer)
    cohort = await queries.cohort_by_id(request.path_params["cohort_id"])
    kind = request.query_params.get("type", "")
    form = pages.SessionForm(session_type=kind, capacity="1" if kind == "CASE_COACHING" else "")
    return await _session_form(request, form, cohort)


async def edit_session(request: Request) -> Response:
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    policy.require_manage_training(viewer)
    session = await queries.session_by_id(request.path_params["session_id"])
    cohort = await queries.cohort_by_id(session.cohort_id)
    user = await User.get_or_none(id=session.facilitator_user_id) if session.facilitator_user_id else None
    form = pages.SessionForm.of(session, user.username if user else None)
    return await _session_form(request, form, cohort, session_id=session.id)


async def _facilitator(form: pages.SessionForm, errors: dict[str, str]) -> int | None:
    if not form.facilitator_username:
        return None
    user_id = await account_queries.user_id_by_username(form.facilitator_username)
    if user_id is None:
        errors["facilitator_username"] = "该账号不存在"
    return user_id


def _domain_checks(values: dict[str, Any], errors: dict[str, str]) -> None:
    """The domain's own refusals of the inputs that parsed, added beside the page's."""
    _, found = training.session_errors(
        session_type=values.get("session_type"),
        title=values["title"],
        starts_at=values.get("starts_at"),
        ends_at=values.get("ends_at"),
        venue=values["venue"],
        facilitator=values["facilitator"],
        capacity=values.get("capacity"),
        hours=values["hours"],
    )
    for one in found:
        name = one.field[-1] if one.field else FORM
        errors.setdefault(pages.SESSION_ALIASES.get(name, name), one.message)


async def create_session(request: Request) -> Response:
    viewer = actor(request)
    policy.require_manage_training(viewer)
    cohort = await queries.cohort_by_id(request.path_params["cohort_id"])
    form = pages.SessionForm.from_form(await request.form())
    values, errors = form.parse()
    facilitator_user_id = await _facilitator(form, errors)
    if errors:
        _domain_checks(values, errors)
        return await _session_form(request, form, cohort, errors=_with_form_error(errors))
    try:
        session = await training.create_session(
            actor=viewer, cohort_id=cohort.id, facilitator_user_id=facilitator_user_id, **values
        )
    except (PermissionDenied, NotFound):
        raise
    except DomainError as error:
        found = pages.errors_of(error, pages.SESSION_INPUTS, pages.SESSION_ALIASES)
        return await _session_form(request, form, cohort, errors=_with_form_error(found))
    return redirect(request, f"/training/sessions/{session.id}?done=saved")


async def update_session(request: Request) -> Response:
    viewer = actor(request)
    policy.require_manage_training(viewer)
    session = await queries.session_by_id(request.path_params["session_id"])
    cohort = await queries.cohort_by_id(session.cohort_id)
    form = pages.SessionForm.from_form(await request.form())
    values, errors = form.parse()
    facilitator_user_id = await _facilitator(form, errors)
    if errors:
        _domain_checks(values, errors)
        return await _session_form(
            request, form, cohort, session_id=session.id, errors=_with_form_error(errors)
        )
    try:
        await training.update_session(
            actor=viewer, session_id=session.id, facilitator_user_id=facilitator_user_id, **values
        )
    except (PermissionDenied, NotFound):
        raise
    except DomainError as error:
        found = pages.errors_of(error, pages.SESSION_INPUTS, pages.SESSION_ALIASES)
        return await _session_form(
            request, form, cohort, session_id=session.id, errors=_with_form_error(found)
        )
    return redirect(request, f"/training/sessions/{session.id}?done=saved")


# --- nominating -------------------------------------------------------------------------------


async def _nominate_form(
    request: Request,
    form: pages.NominateForm,
    cohort: Cohort,
    *,
    errors: dict[str, str] | None = None,
) -> Response:
    status_code = UNPROCESSABLE if errors else 200
    context = {
        "title": f"提名微领袖 · {cohort.name}",
        "form": form,
        "cohort": cohort,
        "roles": pages.SOURCE_ROLES,
        "errors": errors or {},
    }
    return render(
        request,
        "leaders/nominate.html",
        context,
        fragment="leaders/_nominate.html",
        status_code=status_code,
        url=f"/training/cohorts/{cohort.id}/nominate",
    )


async def nominate_page(request: Request) -> Response:
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    policy.require_open_training(viewer)
    cohort = await queries.cohort_by_id(request.path_params["cohort_id"])
    return await _nominate_form(request, pages.NominateForm(), cohort)


async def nominate(request: Request) -> Response:
    viewer = actor(request)
    # Only staff nominate: nobody else is told anything about the form's inputs.
    policy.require_open_training(viewer)
    cohort = await queries.cohort_by_id(request.path_params["cohort_id"])
    form = pages.NominateForm.from_form(await request.form())
    values, errors = form.parse()
    cell = await grid_queries.cell_by_code(form.cell_code) if form.cell_code else None
    if form.cell_code and cell is None:
        errors["cell_code"] = f"没有编码为 {form.cell_code} 的网格单元"
    if cell is not None:
        # The scope is checked before anything else is told (as the API does).
        policy.require_nominate(viewer, cell.path)
    if errors or cell is None:
        return await _nominate_form(request, form, cohort, errors=_with_form_error(errors))
    try:
        leader = await _nominate(viewer, cohort.id, cell.id, values)
    except (PermissionDenied, NotFound) as error:
        if isinstance(error, NotFound) and error.field == ["personId"]:
            found = {"person_id": error.message}
            return await _nominate_form(request, form, cohort, errors=_with_form_error(found))
        raise
    except DomainError as error:
        found = pages.errors_of(error, pages.NOMINATE_INPUTS, pages.NOMINATE_ALIASES)
        return await _nominate_form(request, form, cohort, errors=_with_form_error(found))
    return redirect(request, f"/leaders/{leader.id}?done=nominated")


async def _nominate(viewer: Any, cohort_id: int, cell_id: int, values: dict[str, Any]) -> MicroLeader:
    if values.get("person_id"):
        return await service.nominate_leader(
            actor=viewer,
            person_id=values["person_id"],
            cohort_id=cohort_id,
            home_cell_id=cell_id,
            source_role=values["source_role"],
        )
    return await service.nominate_new_person(
        actor=viewer,
        name=values["name"],
        mobile=values["mobile"],
        cohort_id=cohort_id,
        home_cell_id=cell_id,
        source_role=values["source_role"],
    )


# --- certifying and withdrawing with a reason -------------------------------------------------

DECISIONS = {
    "certify": ("结业认证", "认证后将生成结业证书。人工认证不受结业条件限制，原因会记入审计日志。"),
    "withdraw": ("办理退出", "退出后，尚未开始的报名与候补会取消，名额自动递补给候补学员。"),
}


async def _decision_form(
    request: Request,
    kind: str,
    *,
    reason: str = "",
    errors: dict[str, str] | None = None,
) -> Response:
    status_code = UNPROCESSABLE if errors else 200
    viewer = actor(request)
    view = await leader_pages.profile(viewer, request.path_params["leader_id"])
    title, hint = DECISIONS[kind]
    context = {
        "title": f"{title}：{view.row.person.name}",
        "heading": title,
        "hint": hint,
        "kind": kind,
        "view": view,
        "reason": reason,
        "errors": errors or {},
    }
    return render(
        request,
        "leaders/decision.html",
        context,
        fragment="leaders/_decision.html",
        status_code=status_code,
        url=f"/leaders/{view.row.leader.id}/{kind}",
    )


def _require_decide(viewer: Any, kind: str, leader: MicroLeader) -> None:
    if kind == "certify":
        policy.require_certify(viewer)
    else:
        policy.require_withdraw(viewer, leader)


async def decision_page(request: Request) -> Response:
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    kind = request.path_params["kind"]
    if kind not in DECISIONS:
        raise NotFound("页面不存在")
    _require_decide(viewer, kind, await queries.leader_by_id(request.path_params["leader_id"]))
    return await _decision_form(request, kind)


async def decide(request: Request) -> Response:
    viewer = actor(request)
    kind = request.path_params["kind"]
    if kind not in DECISIONS:
        raise NotFound("页面不存在")
    leader_id: int = request.path_params["leader_id"]
    form = await request.form()
    raw = form.get("reason")
    reason = raw[:400] if isinstance(raw, str) else ""
    change = service.certify_leader if kind == "certify" else service.withdraw_leader
    try:
        await change(actor=viewer, leader_id=leader_id, reason=reason)
    except (PermissionDenied, NotFound):
        raise
    except DomainError as error:
        found = pages.errors_of(error, {"reason"}, {})
        return await _decision_form(request, kind, reason=reason, errors=found)
    return redirect(request, f"/leaders/{leader_id}?done={kind}")


# --- certificates -----------------------------------------------------------------------------


async def cohort_certificates(request: Request) -> Response:
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    policy.require_open_training(viewer)
    cohort = await queries.cohort_by_id(request.path_params["cohort_id"])
    rows = await queries.certificates_of_cohort(cohort.id)
    visible = [c for c in rows if policy.can_view_certificate(viewer, c.leader)]
    people = {c.leader_id: view_for(viewer, c.leader.person) for c in visible}
    context = {
        "title": f"{cohort.name} · 结业证书",
        "cohort": cohort,
        "certificates": visible,
        "people": people,
    }
    return render(request, "leaders/certificates.html", context, fragment="leaders/_certificates.html")


async def certificate(request: Request) -> Response:
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    found = await queries.certificate_by_number(request.path_params["number"])
    policy.require_view_certificate(viewer, found.leader)
    context = {"title": f"结业证书 {found.number}", "certificate": found, "person": found.leader.person}
    return render(request, "leaders/certificate.html", context, fragment="leaders/_certificate.html")


# --- exports ----------------------------------------------------------------------------------


def _format(request: Request) -> str:
    fmt: str = request.path_params["fmt"]
    if fmt not in FORMATS:
        raise NotFound("页面不存在")
    return fmt


async def roster_export(request: Request) -> Response:
    viewer = actor(request)
    policy.require_open_training(viewer)
    cohort = await queries.cohort_by_id(request.path_params["cohort_id"])
    fmt = _format(request)
    rows = pages.roster_rows(await pages.roster(viewer, cohort))
    name = f"{cohort.name}-学员名单"
    if fmt == "csv":
        return download(as_csv(pages.ROSTER_HEADERS, rows), f"{name}.csv", CSV)
    total = ["合计", f"{len(rows)} 人", "", "", "", "", "", sum(r[7] for r in rows), ""]
    return download(as_xlsx("学员名单", pages.ROSTER_HEADERS, rows, total), f"{name}.xlsx", XLSX)


async def attendance_export(request: Request) -> Response:
    viewer = actor(request)
    session = await queries.session_by_id(request.path_params["session_id"])
    if not policy.can_view_sheet(viewer, session):
        raise PermissionDenied("只有本场培训的主持人、网格员或民政局工作人员可以导出签到表")
    fmt = _format(request)
    sheet = await leader_pages.sheet(viewer, session)
    rows = pages.attendance_rows(sheet.rows, sheet.people)
    name = f"{session.title}-签到表"
    if fmt == "csv":
        return download(as_csv(pages.ATTENDANCE_HEADERS, rows), f"{name}.csv", CSV)
    total = ["合计", f"{len(rows)} 人报名", "", f"{sheet.present} 人出席", "", ""]
    return download(as_xlsx("签到表", pages.ATTENDANCE_HEADERS, rows, total), f"{name}.xlsx", XLSX)


# --- the waiting list, for the leader ---------------------------------------------------------


async def join_waitlist(request: Request) -> Response:
    viewer = actor(request)
    require_signed_in(viewer)
    leader = await queries.leader_of_person(viewer.person_id) if viewer.person_id else None
    if leader is None:
        raise PermissionDenied("只有微领袖本人可以登记候补")
    try:
        enrolment = await training.join_waitlist(
            actor=viewer, session_id=request.path_params["session_id"], leader_id=leader.id
        )
    except (PermissionDenied, NotFound):
        raise
    except DomainError as error:
        return await render_my_training(request, viewer, error=error.message)
    done = "waiting" if enrolment.status.value == "WAITING" else "enrolled"
    return redirect(request, f"/me/training?done={done}")


def routes() -> list[Route]:
    return [
        Route("/training", cohorts, methods=["GET"], name="training"),
        Route("/training/cohorts/new", new_cohort, methods=["GET"], name="new_cohort"),
        Route("/training/cohorts", create_cohort, methods=["POST"], name="create_cohort"),
        Route("/training/cohorts/{cohort_id:id}/edit", edit_cohort, methods=["GET"], name="edit_cohort"),
        Route("/training/cohorts/{cohort_id:id}", update_cohort, methods=["POST"], name="update_cohort"),
        Route(
            "/training/cohorts/{cohort_id:id}/sessions/new", new_session, methods=["GET"], name="new_session"
        ),
        Route(
            "/training/cohorts/{cohort_id:id}/sessions",
            create_session,
            methods=["POST"],
            name="create_session",
        ),
        Route("/training/sessions/{session_id:id}/edit", edit_session, methods=["GET"], name="edit_session"),
        Route("/training/sessions/{session_id:id}", update_session, methods=["POST"], name="update_session"),
        Route(
            "/training/cohorts/{cohort_id:id}/nominate", nominate_page, methods=["GET"], name="nominate_page"
        ),
        Route("/training/cohorts/{cohort_id:id}/nominate", nominate, methods=["POST"], name="nominate"),
        Route(
            "/training/cohorts/{cohort_id:id}/certificates",
            cohort_certificates,
            methods=["GET"],
            name="cohort_certificates",
        ),
        Route(
            "/training/cohorts/{cohort_id:id}/roster.{fmt}",
            roster_export,
            methods=["GET"],
            name="roster_export",
        ),
        Route(
            "/training/sessions/{session_id:id}/attendance.{fmt}",
            attendance_export,
            methods=["GET"],
            name="attendance_export",
        ),
        Route("/certificates/{number}", certificate, methods=["GET"], name="certificate"),
        Route("/leaders/{leader_id:id}/{kind}", decision_page, methods=["GET"], name="decision_page"),
        Route("/leaders/{leader_id:id}/{kind}", decide, methods=["POST"], name="decide"),
        Route(
            "/me/training/sessions/{session_id:id}/waitlist",
            join_waitlist,
            methods=["POST"],
            name="join_waitlist",
        ),
    ]
