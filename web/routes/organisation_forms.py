"""The registry's staff forms: filing or registering an organisation (`/organisations/new`), and the
small forms of an organisation's page (upgrade, deregister, sanction lists, ratings, members,
annual reports). Each form is offered only to those the policy allows; a post from anyone else is
refused with a 403 page before anything is read, and changes nothing."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.access import Actor
from domain.errors import DomainError, NotFound, PermissionDenied
from domain.funding.money import yuan
from domain.grids import queries as grid_queries
from domain.organisations import members, queries, service
from domain.organisations.models import (
    LegalForm,
    MemberRole,
    Organisation,
    OrgField,
    Rating,
    SanctionList,
)
from domain.organisations.policy import is_bureau
from web.actor import actor
from web.forms import FORM, field_errors, text
from web.localtime import today_local
from web.pages import organisation_forms as forms
from web.pages import organisations as pages
from web.render import redirect, render
from web.routes.accounts import sign_in_redirect

NOTICES = {
    "created": "已保存。",
    "upgraded": "已办理备案转登记。",
    "deregistered": "已注销。",
    "listed": "已列入名录。",
    "lifted": "已移出名录。",
    "rated": "已记录等级评估。",
    "member-added": "已添加成员。",
    "member-ended": "已结束该成员身份。",
    "report-submitted": "已报送年度报告。",
    "report-accepted": "已通过年度报告。",
    "report-returned": "已退回年度报告。",
}
REFUSED = "未保存，请按提示修改后重试。"


# --- /organisations/new -------------------------------------------------------------------------


async def _new_form(
    request: Request, viewer: Actor, filled: forms.NewOrganisationForm, errors: dict[str, str], status: int
) -> Response:
    bureau = is_bureau(viewer)
    context = {
        "title": "新增社会组织",
        "form": filled,
        "errors": errors,
        "labels": forms.NEW_LABELS,
        "legal_forms": [
            (f.value, f.label) for f in (tuple(LegalForm) if bureau else (LegalForm.COMMUNITY_GROUP,))
        ],
        "org_fields": [(f.value, f.label) for f in OrgField],
        "places": await forms.places_for(viewer),
        "today": today_local().isoformat(),
    }
    return render(
        request,
        "organisations/new.html",
        context,
        fragment="organisations/_new.html",
        status_code=status,
        url="/organisations/new",
    )


def _creator(request: Request) -> Actor | Response:
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    if not forms.can_create(viewer):
        raise PermissionDenied("只有民政局工作人员和网格工作人员可以登记或备案社会组织")
    return viewer


async def new_organisation(request: Request) -> Response:
    viewer = _creator(request)
    if isinstance(viewer, Response):
        return viewer
    return await _new_form(request, viewer, forms.NewOrganisationForm.blank(viewer, today_local()), {}, 200)


async def create_organisation(request: Request) -> Response:
    viewer = _creator(request)
    if isinstance(viewer, Response):
        return viewer
    filled = forms.NewOrganisationForm.from_form(await request.form())
    data, errors = filled.parse()
    today = today_local()
    inputs = set(forms.NEW_LABELS)
    try:
        if errors:
            await service.check_organisation(data, today)
        else:
            organisation = await service.create_organisation(actor=viewer, data=data, today=today)
            return redirect(request, f"/organisations/{organisation.id}?done=created")
    except PermissionDenied:
        raise
    except DomainError as error:
        errors = {**field_errors(error, inputs, forms.NEW_ALIASES), **errors}
    return await _new_form(request, viewer, filled, {FORM: REFUSED, **errors}, 422)


# --- an organisation's page ---------------------------------------------------------------------


async def organisation_page(
    request: Request,
    viewer: Actor,
    organisation_id: int,
    *,
    action: str = "",
    errors: dict[str, str] | None = None,
    filled: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    today = today_local()
    view = await pages.organisation_page(viewer, organisation_id, today)
    started = view.organisation.founded_on or view.organisation.filed_on or view.organisation.registered_on
    first_year = started.year if started else today.year - 1
    context = {
        "title": view.organisation.name,
        "view": view,
        "notice": NOTICES.get(request.query_params.get("done", "")) if status_code == 200 else None,
        "action": action,
        "refused_at": _anchor(action) if status_code == 422 else None,
        "errors": errors or {},
        "filled": filled or {},
        "registered_form_options": [(f.value, f.label) for f in forms.REGISTERED_FORMS],
        "sanction_options": [(s.value, s.label) for s in SanctionList],
        "rating_options": [(r.value, r.label) for r in Rating],
        "roles_options": [(r.value, r.label) for r in MemberRole],
        "report_year_options": [
            (y, f"{y} 年度") for y in range(today.year - 1, max(first_year, today.year - 10) - 1, -1)
        ],
        "today": today.isoformat(),
        "yuan": yuan,
    }
    return render(
        request,
        "organisations/organisation.html",
        context,
        fragment="organisations/_organisation.html",
        status_code=status_code,
        url=f"/organisations/{organisation_id}",
    )


def _anchor(action: str) -> str:
    """Where the refused form is on the page (a row's form: its section)."""
    rows = {"end": "members-heading", "lift": "sanctions-heading", "decide": "reports-heading"}
    return rows.get(action.split("-")[0], f"{action}-form")


async def show(request: Request) -> Response:
    return await organisation_page(request, actor(request), request.path_params["organisation_id"])


async def _permitted(request: Request, *, bureau: bool) -> tuple[Actor, Organisation] | Response:
    """The actor and the organisation once the actor may use this form (else sign-in or 403)."""
    viewer = actor(request)
    if viewer.is_anonymous:
        return redirect(request, f"/signin?next=/organisations/{request.path_params['organisation_id']}")
    organisation_id: int = request.path_params["organisation_id"]
    found = await queries.organisations_by_ids([organisation_id])
    if organisation_id not in found:
        raise NotFound("社会组织不存在")
    organisation = found[organisation_id]
    filing = (
        (await grid_queries.cells_by_ids([organisation.filing_cell_id])).get(organisation.filing_cell_id)
        if organisation.filing_cell_id
        else None
    )
    may = forms.maintains(viewer, organisation, filing)
    if not (may.bureau if bureau else may.maintain):
        raise PermissionDenied("您不能办理该社会组织的这项事务")
    return viewer, organisation


def _values(form: FormData, *names: str) -> dict[str, str]:
    return {name: text(form, name, 500) for name in names}


async def _refused(
    request: Request,
    viewer: Actor,
    org: Organisation,
    action: str,
    errors: dict[str, str],
    filled: dict[str, str],
) -> Response:
    return await organisation_page(
        request, viewer, org.id, action=action, errors=errors, filled=filled, status_code=422
    )


def _done(org: Organisation, key: str) -> str:
    return f"/organisations/{org.id}?done={key}"


async def _attempt(
    request: Request, *, bureau: bool, names: tuple[str, ...]
) -> tuple[Actor, Organisation, dict[str, str], dict[str, str]] | Response:
    """The permitted actor, the organisation, the form's values and an empty error dict to fill."""
    permitted = await _permitted(request, bureau=bureau)
    if isinstance(permitted, Response):
        return permitted
    viewer, org = permitted
    return viewer, org, _values(await request.form(), *names), {}


async def upgrade(request: Request) -> Response:
    got = await _attempt(request, bureau=True, names=("legal_form", "uscc", "registered_on"))
    if isinstance(got, Response):
        return got
    viewer, org, values, errors = got
    form = values["legal_form"]
    legal_form = LegalForm(form) if form in LegalForm.__members__ else None
    if legal_form is None:
        errors["legal_form"] = "请选择登记的组织类型"
    on = forms.day(values["registered_on"], "registered_on", errors, required=True)
    try:
        if legal_form is not None and on is not None:
            await service.upgrade_to_registered(
                actor=viewer,
                organisation_id=org.id,
                legal_form=legal_form,
                uscc=values["uscc"],
                registered_on=on,
                today=today_local(),
            )
            return redirect(request, _done(org, "upgraded"))
    except DomainError as error:
        errors = {
            **_errors(error, values, {"legalForm": "legal_form", "registeredOn": "registered_on"}),
            **errors,
        }
    return await _refused(request, viewer, org, "upgrade", errors, values)


def _errors(
    error: DomainError, values: dict[str, str], aliases: dict[str, str] | None = None
) -> dict[str, str]:
    if isinstance(error, PermissionDenied):
        raise error
    return field_errors(error, set(values), aliases)


async def deregister(request: Request) -> Response:
    got = await _attempt(request, bureau=True, names=("on", "reason"))
    if isinstance(got, Response):
        return got
    viewer, org, values, errors = got
    on = forms.day(values["on"], "on", errors, required=True)
    try:
        if on is not None:
            await service.deregister(
                actor=viewer, organisation_id=org.id, on=on, reason=values["reason"], today=today_local()
            )
            return redirect(request, _done(org, "deregistered"))
    except DomainError as error:
        errors = {**_errors(error, values), **errors}
    return await _refused(request, viewer, org, "deregister", errors, values)


async def add_sanction(request: Request) -> Response:
    names = ("list", "reason", "source", "listed_on", "removed_on")
    got = await _attempt(request, bureau=True, names=names)
    if isinstance(got, Response):
        return got
    viewer, org, values, errors = got
    chosen = SanctionList(values["list"]) if values["list"] in SanctionList.__members__ else None
    if chosen is None:
        errors["list"] = "请选择名录"
    listed_on = forms.day(values["listed_on"], "listed_on", errors, required=True)
    removed_on = forms.day(values["removed_on"], "removed_on", errors)
    try:
        if chosen is not None and listed_on is not None and not errors:
            await service.add_sanction(
                actor=viewer,
                organisation_id=org.id,
                sanction_list=chosen,
                reason=values["reason"],
                source=values["source"],
                listed_on=listed_on,
                removed_on=removed_on,
                today=today_local(),
            )
            return redirect(request, _done(org, "listed"))
    except DomainError as error:
        errors = {**_errors(error, values, {"listedOn": "listed_on", "removedOn": "removed_on"}), **errors}
    return await _refused(request, viewer, org, "sanction", errors, values)


async def lift_sanction(request: Request) -> Response:
    got = await _attempt(request, bureau=True, names=("on", "reason"))
    if isinstance(got, Response):
        return got
    viewer, org, values, errors = got
    sanction_id: int = request.path_params["sanction_id"]
    if sanction_id not in {s.id for s in (await queries.sanctions_of([org.id]))[org.id]}:
        raise NotFound("名录记录不存在")
    on = forms.day(values["on"], "on", errors, required=True)
    try:
        if on is not None:
            await service.lift_sanction(
                actor=viewer, sanction_id=sanction_id, on=on, reason=values["reason"], today=today_local()
            )
            return redirect(request, _done(org, "lifted"))
    except DomainError as error:
        errors = {**_errors(error, values), **errors}
    return await _refused(request, viewer, org, f"lift-{sanction_id}", errors, values)


async def rate(request: Request) -> Response:
    got = await _attempt(request, bureau=True, names=("level", "rated_on"))
    if isinstance(got, Response):
        return got
    viewer, org, values, errors = got
    level = Rating(values["level"]) if values["level"] in Rating.__members__ else None
    if level is None:
        errors["level"] = "请选择评估等级"
    rated_on = forms.day(values["rated_on"], "rated_on", errors, required=True)
    try:
        if level is not None and rated_on is not None:
            await service.record_rating(
                actor=viewer, organisation_id=org.id, level=level, rated_on=rated_on, today=today_local()
            )
            return redirect(request, _done(org, "rated"))
    except DomainError as error:
        errors = {**_errors(error, values, {"ratedOn": "rated_on", "id": FORM}), **errors}
    return await _refused(request, viewer, org, "rating", errors, values)


async def add_member(request: Request) -> Response:
    got = await _attempt(request, bureau=False, names=("person_name", "person_mobile", "role", "started_on"))
    if isinstance(got, Response):
        return got
    viewer, org, values, errors = got
    role = MemberRole(values["role"]) if values["role"] in MemberRole.__members__ else None
    if role is None:
        errors["role"] = "请选择身份"
    started_on = forms.day(values["started_on"], "started_on", errors, required=True)
    person = await queries.person_by_name_and_mobile(values["person_name"], values["person_mobile"])
    if person is None:
        errors["person_mobile"] = "没有找到姓名与手机号都相符的人员，请核对"
    try:
        if role is not None and started_on is not None and person is not None:
            await members.add_member(
                actor=viewer,
                organisation_id=org.id,
                person_id=person.id,
                role=role,
                started_on=started_on,
                today=today_local(),
            )
            return redirect(request, _done(org, "member-added"))
    except DomainError as error:
        aliases = {"personId": "person_mobile", "startedOn": "started_on", "organisationId": FORM}
        errors = {**_errors(error, values, aliases), **errors}
    return await _refused(request, viewer, org, "member", errors, values)


async def end_member(request: Request) -> Response:
    got = await _attempt(request, bureau=False, names=("ended_on",))
    if isinstance(got, Response):
        return got
    viewer, org, values, errors = got
    member_id: int = request.path_params["member_id"]
    if member_id not in {m.id for m in (await queries.current_members([org.id]))[org.id]}:
        raise NotFound("成员记录不存在")
    ended_on = forms.day(values["ended_on"], "ended_on", errors, required=True)
    try:
        if ended_on is not None:
            await members.end_member(
                actor=viewer, member_id=member_id, ended_on=ended_on, today=today_local()
            )
            return redirect(request, _done(org, "member-ended"))
    except DomainError as error:
        aliases = {"endedOn": "ended_on", "memberId": FORM, "organisationId": FORM}
        errors = {**_errors(error, values, aliases), **errors}
    return await _refused(request, viewer, org, f"end-{member_id}", errors, values)


async def submit_report(request: Request) -> Response:
    got = await _attempt(request, bureau=False, names=("year",))
    if isinstance(got, Response):
        return got
    viewer, org, values, errors = got
    year = int(values["year"]) if values["year"].isascii() and values["year"].isdigit() else None
    if year is None or len(values["year"]) != 4:
        errors["year"] = "请选择年度"
    try:
        if not errors and year is not None:
            await members.submit_annual_report(
                actor=viewer, organisation_id=org.id, year=year, today=today_local()
            )
            return redirect(request, _done(org, "report-submitted"))
    except DomainError as error:
        errors = {**_errors(error, values, {"organisationId": FORM}), **errors}
    return await _refused(request, viewer, org, "report", errors, values)


async def decide_report(request: Request) -> Response:
    got = await _attempt(request, bureau=True, names=("decision", "note"))
    if isinstance(got, Response):
        return got
    viewer, org, values, errors = got
    report_id: int = request.path_params["report_id"]
    if report_id not in {r.id for r in await queries.annual_reports_of(org.id)}:
        raise NotFound("年度报告不存在")
    if values["decision"] not in ("accept", "return"):
        errors["decision"] = "请选择通过或退回"
    try:
        if not errors:
            accept = values["decision"] == "accept"
            await members.decide_annual_report(
                actor=viewer, report_id=report_id, accept=accept, note=values["note"], today=today_local()
            )
            return redirect(request, _done(org, "report-accepted" if accept else "report-returned"))
    except DomainError as error:
        errors = {**_errors(error, values, {"reportId": FORM}), **errors}
    return await _refused(request, viewer, org, f"decide-{report_id}", errors, values)


def routes() -> list[Route]:
    base = "/organisations/{organisation_id:id}"
    return [
        Route("/organisations/new", new_organisation, methods=["GET"], name="new_organisation"),
        Route("/organisations", create_organisation, methods=["POST"], name="create_organisation"),
        Route(base, show, methods=["GET"], name="organisation"),
        Route(f"{base}/upgrade", upgrade, methods=["POST"]),
        Route(f"{base}/deregister", deregister, methods=["POST"]),
        Route(f"{base}/sanctions", add_sanction, methods=["POST"]),
        Route(f"{base}/sanctions/{{sanction_id:id}}/lift", lift_sanction, methods=["POST"]),
        Route(f"{base}/ratings", rate, methods=["POST"]),
        Route(f"{base}/members", add_member, methods=["POST"]),
        Route(f"{base}/members/{{member_id:id}}/end", end_member, methods=["POST"]),
        Route(f"{base}/reports", submit_report, methods=["POST"]),
        Route(f"{base}/reports/{{report_id:id}}/decide", decide_report, methods=["POST"]),
    ]
