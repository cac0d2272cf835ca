"""The bureau's venture-funding pages (公益创投管理): rounds and their stages, the eligibility queue,
the allocation over the review's ranking, tranche approvals, payments, reclaims and evaluation
reviews, and the results spreadsheet. Bureau staff only: anyone else signed in gets a 403 page
before anything is read, and nothing changes; an anonymous visitor is sent to sign in."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.access import Actor
from domain.errors import DomainError, ErrorCode, NotFound, PermissionDenied
from domain.funding import allocation, applications, exports, queries, rounds, tranches
from domain.funding import review as funding_review
from domain.funding.models import EDITABLE_STAGES, AppStatus, FundingRound, RoundStage
from domain.funding.money import yuan
from domain.organisations.policy import is_bureau
from domain.review import objections
from domain.review.models import PanelStage
from web import exports as sheets
from web.actor import actor
from web.forms import FORM, field_errors, text
from web.localtime import today_local
from web.pages import funding_staff as pages
from web.pages.organisation_forms import day
from web.render import redirect, render
from web.routes.accounts import sign_in_redirect

BASE = "/funding/manage"
NOTICES = {
    "created": "已新建轮次。",
    "updated": "已保存轮次设置。",
    "moved": "已变更阶段。",
    "decided": "已记录资格审查结论。",
    "allocated": "已按排名分配，结果见下表。",
    "review-finished": "已结束当前评审阶段。",
    "roadshow": "书面评审已结束，进入路演答辩：请在评审组为路演答辩抽取或指定专家。",
    "resolved": "已答复异议。",
    "awarded": "已核定资助金额。",
    "republicised": "已核定资助金额：该项目进入公示，公示期从今天起重新计算，见“公示与异议”。",
    "signed": "已签订资助协议，第 1 期拨付待审批。",
    "approved": "已审批。",
    "first-approved": "已初审，须由另一名工作人员复核。",
    "paid": "已登记拨付。",
    "reclaimed": "已记录追回。",
    "evaluated": "已记录评估结果。",
}
REFUSED = "未保存，请按提示修改后重试。"
RESULT_HEADERS = ["编号", "组织", "项目", "申请金额（元）", "资助金额（元）", "状态"]


def _staff(request: Request) -> Actor | Response:
    """The signed-in bureau staff member, a sign-in redirect, or a 403 (PermissionDenied)."""
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    if not is_bureau(viewer):
        raise PermissionDenied("只有民政局工作人员可以管理公益创投")
    return viewer


def _notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("done", ""))


def _page(request: Request, name: str, context: dict[str, Any], url: str, status: int = 200) -> Response:
    context = {"notice": _notice(request) if status == 200 else None, **context}
    fragment = f"funding/staff/_{name}.html"
    return render(
        request, f"funding/staff/{name}.html", context, fragment=fragment, status_code=status, url=url
    )


def _row_errors(error: DomainError, names: set[str], aliases: dict[str, str] | None = None) -> dict[str, str]:
    """The refusal's errors by input; a missing row or a refused actor is the error page instead."""
    if isinstance(error, PermissionDenied | NotFound):
        raise error
    return field_errors(error, names, aliases)


# --- rounds -------------------------------------------------------------------------------------


async def round_list(request: Request) -> Response:
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    return await _round_list(request)


async def _round_list(request: Request, refused: pages.Refused | None = None) -> Response:
    context = {
        "title": "公益创投管理",
        "rounds": await pages.round_rows(),
        "refused": refused or pages.Refused(),
    }
    return _page(request, "rounds", context, BASE, 422 if refused else 200)


async def _round_form(
    request: Request,
    form: pages.RoundForm,
    errors: dict[str, str],
    funding_round: FundingRound | None,
    status: int = 200,
) -> Response:
    frozen = None
    if funding_round is not None and funding_round.stage not in EDITABLE_STAGES:
        frozen = f"轮次{funding_round.stage.label}，规则已冻结，不能修改。"
    round_id = funding_round.id if funding_round else None
    context = {
        "title": "修改轮次" if round_id else "新建轮次",
        "form": form,
        "errors": errors,
        "labels": pages.ROUND_LABELS,
        "triggers": pages.TRIGGERS,
        "round_id": round_id,
        "frozen": frozen,
    }
    url = f"{BASE}/{round_id}/edit" if round_id else f"{BASE}/new"
    return _page(request, "round_form", context, url, status)


async def new_round(request: Request) -> Response:
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    existing = await queries.staff_rounds()
    next_edition = max((r.edition for r in existing), default=0) + 1
    return await _round_form(request, pages.RoundForm.blank(today_local(), next_edition), {}, None)


async def edit_round(request: Request) -> Response:
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    funding_round = await queries.round_by_id(request.path_params["round_id"])
    return await _round_form(request, pages.RoundForm.of(funding_round), {}, funding_round)


async def save_round(request: Request) -> Response:
    """Create (`POST /funding/manage`) or change (`POST /funding/manage/{id}`) a round: every
    error at once beside its input, nothing saved."""
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    round_id: int | None = request.path_params.get("round_id")
    funding_round = await queries.round_by_id(round_id) if round_id is not None else None
    form = pages.RoundForm.from_form(await request.form())
    data, errors = form.parse()
    try:
        if errors:
            rounds.validate(data)
        elif round_id is None:
            await rounds.create_round(actor=viewer, data=data)
            return redirect(request, f"{BASE}?done=created")
        else:
            await rounds.update_round(actor=viewer, round_id=round_id, data=data)
            return redirect(request, f"{BASE}?done=updated")
    except DomainError as error:
        errors = {**_row_errors(error, set(pages.ROUND_LABELS), pages.ROUND_ALIASES), **errors}
    if funding_round is not None:  # as it is now, for the freeze notice
        funding_round = await queries.round_by_id(funding_round.id)
    return await _round_form(request, form, {FORM: REFUSED, **errors}, funding_round, 422)


async def move_round(request: Request) -> Response:
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    round_id: int = request.path_params["round_id"]
    raw = text(await request.form(), "to", 30)
    try:
        if raw not in RoundStage.__members__:
            raise DomainError(ErrorCode.INVALID, "请选择阶段", ["to"])
        await rounds.move_round(actor=viewer, round_id=round_id, to=RoundStage(raw))
        return redirect(request, f"{BASE}?done=moved")
    except DomainError as error:
        errors = _row_errors(error, set())
    return await _round_list(request, pages.Refused(f"stage-{round_id}", errors))


# --- eligibility --------------------------------------------------------------------------------


async def eligibility(request: Request) -> Response:
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    return await _eligibility(request, request.path_params["round_id"])


async def _eligibility(request: Request, round_id: int, refused: pages.Refused | None = None) -> Response:
    funding_round = await queries.round_by_id(round_id)
    context = {
        "title": f"{funding_round.title} · 资格审查",
        "round": funding_round,
        "queue": await queries.eligibility_queue(funding_round, today_local()),
        "decisions": pages.DECISIONS,
        "refused": refused or pages.Refused(),
        "yuan": yuan,
    }
    return _page(request, "eligibility", context, f"{BASE}/{round_id}/eligibility", 422 if refused else 200)


async def _application_round(application_id: int) -> int:
    """The round of an application the bureau acts on (NotFound when there is none)."""
    found = await queries.applications_by_ids([application_id])
    if application_id not in found:
        raise NotFound("项目申报不存在")
    return found[application_id].round_id


async def _application_post(request: Request) -> tuple[Actor, int, int, FormData] | Response:
    """A bureau post on one application: the viewer, the application, its round and the form
    (or the refusal page for anyone else)."""
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    application_id: int = request.path_params["application_id"]
    round_id = await _application_round(application_id)
    return viewer, application_id, round_id, await request.form()


async def decide_eligibility(request: Request) -> Response:
    got = await _application_post(request)
    if isinstance(got, Response):
        return got
    viewer, application_id, round_id, form = got
    values = {"decision": text(form, "decision", 20), "reason": text(form, "reason", 500)}
    errors: dict[str, str] = {}
    choices = {value for value, _ in pages.DECISIONS}
    if values["decision"] not in choices:
        errors["decision"] = "请选择审查结论"
    try:
        if not errors:
            to = AppStatus(values["decision"])
            await applications.staff_move(
                actor=viewer,
                application_id=application_id,
                to=to,
                reason=values["reason"],
                today=today_local(),
            )
            return redirect(request, f"{BASE}/{round_id}/eligibility?done=decided")
        if not values["reason"].strip():
            errors["reason"] = "请填写理由"
    except DomainError as error:
        errors = {**_row_errors(error, set(values), {"status": "decision"}), **errors}
    return await _eligibility(request, round_id, pages.Refused(f"elig-{application_id}", errors, values))


# --- allocation ---------------------------------------------------------------------------------


async def allocation_page(request: Request) -> Response:
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    return await _allocation(request, request.path_params["round_id"])


async def _allocation(request: Request, round_id: int, refused: pages.Refused | None = None) -> Response:
    view = await pages.allocation_view(round_id)
    context = {
        "title": f"{view.round.title} · 排名与分配",
        "view": view,
        "refused": refused or pages.Refused(),
        "yuan": yuan,
        "today": today_local().isoformat(),
    }
    return _page(request, "allocation", context, f"{BASE}/{round_id}/allocation", 422 if refused else 200)


async def allocate(request: Request) -> Response:
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    round_id: int = request.path_params["round_id"]
    view = await pages.allocation_view(round_id)
    try:
        ranking = [a.id for a in view.awardable]
        await allocation.allocate(actor=viewer, round_id=round_id, ranking=ranking)
        return redirect(request, f"{BASE}/{round_id}/allocation?done=allocated")
    except DomainError as error:
        errors = _row_errors(error, set())
    return await _allocation(request, round_id, pages.Refused("allocate", errors))


async def finish_review(request: Request) -> Response:
    """Close the panel's current review stage (`domain.funding.review.finish_review`)."""
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    round_id: int = request.path_params["round_id"]
    await request.form()
    try:
        panel = await funding_review.finish_review(actor=viewer, round_id=round_id)
        done = "roadshow" if panel.stage is PanelStage.ROADSHOW else "review-finished"
        return redirect(request, f"{BASE}/{round_id}/allocation?done={done}")
    except DomainError as error:
        errors = _row_errors(error, set())
    return await _allocation(request, round_id, pages.Refused("finish", errors))


async def award(request: Request) -> Response:
    got = await _application_post(request)
    if isinstance(got, Response):
        return got
    viewer, application_id, round_id, form = got
    values = {"amount": text(form, "amount", 30), "reason": text(form, "reason", 500)}
    errors: dict[str, str] = {}
    amount = pages.fen_from_yuan(values["amount"])
    if amount is None:
        errors["amount"] = "请填写资助金额（元，最多两位小数）"
    try:
        if amount is not None:
            awarded = await allocation.award(
                actor=viewer, application_id=application_id, amount_fen=amount, reason=values["reason"]
            )
            done = "republicised" if awarded.status is AppStatus.PUBLICIZING else "awarded"
            return redirect(request, f"{BASE}/{round_id}/allocation?done={done}")
    except DomainError as error:
        errors = {**_row_errors(error, set(values), {"amountFen": "amount"}), **errors}
    return await _allocation(request, round_id, pages.Refused(f"award-{application_id}", errors, values))


async def sign_agreement(request: Request) -> Response:
    """签订协议: an approved (立项) application's agreement, which makes its tranches."""
    got = await _application_post(request)
    if isinstance(got, Response):
        return got
    viewer, application_id, round_id, form = got
    values = {"number": text(form, "number", 100), "signed_on": text(form, "signed_on", 20)}
    errors: dict[str, str] = {}
    signed_on = day(values["signed_on"], "signed_on", errors, required=True)
    try:
        if signed_on is not None:
            await tranches.sign_agreement(
                actor=viewer,
                application_id=application_id,
                number=values["number"],
                signed_on=signed_on,
                today=today_local(),
            )
            return redirect(request, f"{BASE}/{round_id}/allocation?done=signed")
        if not values["number"].strip():
            errors["number"] = "请填写协议编号"
    except DomainError as error:
        errors = {**_row_errors(error, set(values), {"signedOn": "signed_on"}), **errors}
    return await _allocation(request, round_id, pages.Refused(f"sign-{application_id}", errors, values))


# --- the publicity and its objections -------------------------------------------------------------

DECISIONS = [("DISMISSED", "异议不成立"), ("UPHELD", "异议成立")]


async def publicity_page(request: Request) -> Response:
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    return await _publicity(request, request.path_params["round_id"])


async def _publicity(request: Request, round_id: int, refused: pages.Refused | None = None) -> Response:
    """The round's publicity period and every objection with the objector's full contact: six
    statements (the session, its roles, the round, its panel, the objections, the applications)."""
    funding_round = await queries.round_by_id(round_id)
    panel = await funding_review.panel_of(funding_round)
    rows = await funding_review.round_objections(funding_round)
    titles = {a.id: a.project_name for a in await queries.applications_in(round_id, queries.RANKED_STATUSES)}
    context = {
        "title": f"{funding_round.title} · 公示与异议",
        "round": funding_round,
        "panel": panel,
        "rows": [(o, titles.get(app) if app else None) for o, app in rows],
        "decisions": DECISIONS,
        "refused": refused or pages.Refused(),
    }
    return _page(request, "publicity", context, f"{BASE}/{round_id}/publicity", 422 if refused else 200)


async def resolve(request: Request) -> Response:
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    objection_id: int = request.path_params["objection_id"]
    round_id = await funding_review.objection_round(objection_id)
    form = await request.form()
    values = {"decision": text(form, "decision", 20), "answer": text(form, "answer", 2000)}
    errors: dict[str, str] = {}
    if values["decision"] not in {value for value, _ in DECISIONS}:
        errors["decision"] = "请选择处理结论"
    try:
        if not errors:
            await objections.resolve_objection(
                actor=viewer,
                objection_id=objection_id,
                upheld=values["decision"] == "UPHELD",
                answer=values["answer"],
            )
            return redirect(request, f"{BASE}/{round_id}/publicity?done=resolved")
        if not values["answer"].strip():
            errors["answer"] = "请填写书面答复"
    except DomainError as error:
        errors = {**_row_errors(error, set(values)), **errors}
    return await _publicity(request, round_id, pages.Refused(f"objection-{objection_id}", errors, values))


# --- tranches, reclaims, evaluations -------------------------------------------------------------


async def tranche_page(request: Request) -> Response:
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    return await _tranches(request, viewer)


async def _tranches(request: Request, viewer: Actor, refused: pages.Refused | None = None) -> Response:
    context = {
        "title": "拨付审批与评估",
        "queue": await pages.tranche_queue(viewer.user_id),
        "refused": refused or pages.Refused(),
        "today": today_local().isoformat(),
        "yuan": yuan,
    }
    return _page(request, "tranches", context, f"{BASE}/tranches", 422 if refused else 200)


async def _tranche_post(
    request: Request, names: tuple[str, ...]
) -> tuple[Actor, FormData, dict[str, str]] | Response:
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    form = await request.form()
    return viewer, form, {name: text(form, name, 500) for name in names}


async def approve(request: Request) -> Response:
    got = await _tranche_post(request, ())
    if isinstance(got, Response):
        return got
    viewer, _, _ = got
    tranche_id: int = request.path_params["tranche_id"]
    try:
        tranche = await tranches.approve_tranche(actor=viewer, tranche_id=tranche_id)
        done = "approved" if tranche.status.value == "APPROVED" else "first-approved"
        return redirect(request, f"{BASE}/tranches?done={done}")
    except DomainError as error:
        errors = _row_errors(error, set())
    return await _tranches(request, viewer, pages.Refused(f"approve-{tranche_id}", errors))


async def pay(request: Request) -> Response:
    got = await _tranche_post(request, ("paid_on", "reference"))
    if isinstance(got, Response):
        return got
    viewer, _, values = got
    tranche_id: int = request.path_params["tranche_id"]
    errors: dict[str, str] = {}
    paid_on = day(values["paid_on"], "paid_on", errors, required=True)
    try:
        if paid_on is not None:
            await tranches.pay_tranche(
                actor=viewer,
                tranche_id=tranche_id,
                paid_on=paid_on,
                reference=values["reference"],
                today=today_local(),
            )
            return redirect(request, f"{BASE}/tranches?done=paid")
    except DomainError as error:
        errors = {**_row_errors(error, set(values), {"paidOn": "paid_on"}), **errors}
    return await _tranches(request, viewer, pages.Refused(f"pay-{tranche_id}", errors, values))


async def reclaim(request: Request) -> Response:
    got = await _tranche_post(request, ("amount", "reason"))
    if isinstance(got, Response):
        return got
    viewer, _, values = got
    application_id: int = request.path_params["application_id"]
    errors: dict[str, str] = {}
    amount = pages.fen_from_yuan(values["amount"])
    if amount is None:
        errors["amount"] = "请填写追回金额（元，最多两位小数）"
    try:
        if amount is not None:
            await tranches.reclaim(
                actor=viewer,
                application_id=application_id,
                amount_fen=amount,
                reason=values["reason"],
                on=today_local(),
            )
            return redirect(request, f"{BASE}/tranches?done=reclaimed")
    except DomainError as error:
        errors = {**_row_errors(error, set(values), {"amountFen": "amount"}), **errors}
    return await _tranches(request, viewer, pages.Refused(f"reclaim-{application_id}", errors, values))


async def evaluate(request: Request) -> Response:
    got = await _tranche_post(request, ("score", "comment"))
    if isinstance(got, Response):
        return got
    viewer, _, values = got
    evaluation_id: int = request.path_params["evaluation_id"]
    errors: dict[str, str] = {}
    raw = values["score"].strip()
    score = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 3 else None
    if score is None:
        errors["score"] = "请填写得分（0–100 的整数）"
    try:
        if score is not None:
            await tranches.review_evaluation(
                actor=viewer,
                evaluation_id=evaluation_id,
                score=score,
                comment=values["comment"],
                on=today_local(),
            )
            return redirect(request, f"{BASE}/tranches?done=evaluated")
    except DomainError as error:
        errors = {**_row_errors(error, set(values)), **errors}
    return await _tranches(request, viewer, pages.Refused(f"eval-{evaluation_id}", errors, values))


# --- the results spreadsheet --------------------------------------------------------------------


def _yuan_number(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


async def results_export(request: Request) -> Response:
    """The round's results (`exports.export_results`: bureau only, capped, audited), with a total row."""
    fmt: str = request.path_params["fmt"]
    if fmt not in sheets.FORMATS:
        raise NotFound("页面不存在")
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    results = await exports.export_results(actor=viewer, round_id=request.path_params["round_id"])
    rows: list[list[Any]] = [
        [
            a.id,
            a.organisation.name,
            a.project_name,
            _yuan_number(a.requested_fen),
            _yuan_number(results.awarded(a)),
            a.status.label,
        ]
        for a in results.applications
    ]
    total = [
        "合计",
        f"{len(rows)} 项",
        "",
        _yuan_number(results.requested_fen),
        _yuan_number(results.awarded_fen),
        "",
    ]
    name = f"{results.funding_round.title}-结果-{today_local().strftime('%Y%m%d')}"
    if fmt == "csv":
        return sheets.download(sheets.as_csv(RESULT_HEADERS, [*rows, total]), f"{name}.csv", sheets.CSV)
    body = sheets.as_xlsx("评审结果", RESULT_HEADERS, rows, total)
    return sheets.download(body, f"{name}.xlsx", sheets.XLSX)


def routes() -> list[Route]:
    one = f"{BASE}/{{round_id:id}}"
    app = f"{BASE}/applications/{{application_id:id}}"
    return [
        Route(BASE, round_list, methods=["GET"], name="funding_manage"),
        Route(BASE, save_round, methods=["POST"], name="funding_create_round"),
        Route(f"{BASE}/new", new_round, methods=["GET"], name="funding_new_round"),
        Route(f"{BASE}/tranches", tranche_page, methods=["GET"], name="funding_tranches"),
        Route(f"{BASE}/tranches/{{tranche_id:id}}/approve", approve, methods=["POST"]),
        Route(f"{BASE}/tranches/{{tranche_id:id}}/pay", pay, methods=["POST"]),
        Route(f"{BASE}/evaluations/{{evaluation_id:id}}/review", evaluate, methods=["POST"]),
        Route(one, save_round, methods=["POST"], name="funding_update_round"),
        Route(f"{one}/edit", edit_round, methods=["GET"], name="funding_edit_round"),
        Route(f"{one}/stage", move_round, methods=["POST"]),
        Route(f"{one}/eligibility", eligibility, methods=["GET"], name="funding_eligibility"),
        Route(f"{one}/allocation", allocation_page, methods=["GET"], name="funding_allocation"),
        Route(f"{one}/allocate", allocate, methods=["POST"]),
        Route(f"{one}/finish-review", finish_review, methods=["POST"]),
        Route(f"{one}/publicity", publicity_page, methods=["GET"], name="funding_publicity"),
        Route(f"{BASE}/objections/{{objection_id:id}}/resolve", resolve, methods=["POST"]),
        Route(f"{one}/results.{{fmt}}", results_export, methods=["GET"], name="funding_results_export"),
        Route(f"{app}/eligibility", decide_eligibility, methods=["POST"]),
        Route(f"{app}/award", award, methods=["POST"]),
        Route(f"{app}/agreement", sign_agreement, methods=["POST"]),
        Route(f"{app}/reclaim", reclaim, methods=["POST"]),
    ]
