"""Review panels (`/panels/...`; `/review` is the activity review queue): a reviewer's tasks and
score sheet, scored one criterion a step with a draft saved at each; the staff's overview,
assignment board (draw with a seed, assign, unassign, record conflicts) and score matrix (reopen a
sheet, export). A reviewer reaches only their own live assignments on entries they are not
conflicted with (`queries.own_sheet`: anything else is a 404); staff pages answer 403 to anyone
but bureau staff, and send the anonymous to sign in."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.access import Actor
from domain.accounts import queries as accounts
from domain.errors import DomainError, NotFound, PermissionDenied, every_error
from domain.review import policy, queries, service
from domain.review.models import ConflictReason, Expert, MemberSource, PanelStage, ScoreSheet
from web import exports
from web.actor import actor
from web.forms import FORM, field_errors, text, whole_number
from web.pages import review_panels as pages
from web.render import redirect, render
from web.routes.accounts import sign_in_redirect

NOTICES = {
    "conflict": "已申报利益冲突：您不再评审该项目，它已从您的评审任务中移除。",
    "submitted": "评分已提交。",
    "drawn": "已随机抽取评审专家。",
    "assigned": "已指定评审专家。",
    "unassigned": "已取消该评审分配，评分表已作废。",
    "conflict-recorded": "已登记利益冲突，相关分配已取消。",
    "reopened": "已退回评分表，专家可修改后重新提交。",
    "member-added": "已添加评审组成员。",
}
REFUSED = "未保存，请按提示修改后重试。"


def _signed_in(request: Request) -> Actor | Response:
    viewer = actor(request)
    return sign_in_redirect(request) if viewer.is_anonymous else viewer


def _staff(request: Request) -> Actor | Response:
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    if not policy.is_staff(viewer):
        raise PermissionDenied("只有民政局工作人员可以管理评审")
    return viewer


def _notice(request: Request, status: int) -> str | None:
    return NOTICES.get(request.query_params.get("done", "")) if status == 200 else None


# --- reviewers ---------------------------------------------------------------------------------


async def mine(request: Request) -> Response:
    viewer = _signed_in(request)
    if isinstance(viewer, Response):
        return viewer
    context = {"title": "我的评审任务", "groups": await pages.mine(viewer), "notice": _notice(request, 200)}
    return render(request, "panels/mine.html", context, fragment="panels/_mine.html")


async def _own(request: Request) -> tuple[Actor, ScoreSheet] | Response:
    viewer = _signed_in(request)
    if isinstance(viewer, Response):
        return viewer
    sheet = await queries.own_sheet(viewer, request.path_params["assignment_id"])
    if sheet is None:
        raise NotFound("评审任务不存在")
    return viewer, sheet


async def _sheet_page(
    request: Request,
    viewer: Actor,
    sheet: ScoreSheet,
    *,
    step: int | None = None,
    errors: dict[str, str] | None = None,
    filled: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    view = await pages.sheet_view(viewer, sheet)
    wanted = step if step is not None else whole_number(request.query_params.get("step", ""))
    current = wanted if wanted and 1 <= wanted <= view.total_steps else view.first_open_step()
    url = f"/panels/assignments/{sheet.assignment_id}"
    context = {
        "title": f"评分：{view.entry.title}",
        "view": view,
        "step": current,
        "errors": errors or {},
        "filled": filled or {},
        "notice": _notice(request, status),
        "reasons": pages.CONFLICT_REASONS,
        "figure": pages.figure,
        "url": url,
    }
    return render(
        request,
        "panels/sheet.html",
        context,
        fragment="panels/_sheet.html",
        status_code=status,
        url=f"{url}?step={current}",
    )


async def sheet(request: Request) -> Response:
    got = await _own(request)
    if isinstance(got, Response):
        return got
    return await _sheet_page(request, *got)


def _score(raw: str, errors: dict[str, str]) -> int | None:
    value = raw.strip()
    if not value:
        return None
    number = (
        int(value)
        if value.lstrip("-").isascii() and value.lstrip("-").isdigit() and len(value) <= 6
        else None
    )
    if number is None:
        errors["score"] = "请输入整数分数"
    return number


async def save_step(request: Request) -> Response:
    """Save one criterion's score and comment as a draft, then go to the previous or next step."""
    got = await _own(request)
    if isinstance(got, Response):
        return got
    viewer, sheet = got
    form = await request.form()
    view = await pages.sheet_view(viewer, sheet)
    step = whole_number(text(form, "step")) or 0
    if not 1 <= step <= len(view.steps):
        raise NotFound("评分项不存在")
    key = view.steps[step - 1].criterion.key
    filled = {"score": text(form, "score", 10), "comment": text(form, "comment", 2000)}
    errors: dict[str, str] = {}
    score = _score(filled["score"], errors)
    forward = text(form, "go") != "prev"
    if score is None and not errors and (forward or filled["comment"].strip()):
        errors["score"] = f"请打分（{view.rubric.score_min}–{view.rubric.score_max} 分）"
    try:
        if not errors and score is not None:
            scores = {key: (score, filled["comment"])}
            await service.save_scores(
                actor=viewer,
                assignment_id=sheet.assignment_id,
                scores=scores,
                overall_comment=sheet.overall_comment,
            )
        if not errors:
            return redirect(
                request, f"/panels/assignments/{sheet.assignment_id}?step={step + (1 if forward else -1)}"
            )
    except PermissionDenied:
        raise
    except DomainError as error:
        aliases = {f"scores.{key}": "score", f"scores.{key}.comment": "comment"}
        errors = {**field_errors(error, set(filled), aliases), **errors}
    return await _sheet_page(
        request, viewer, sheet, step=step, errors={FORM: REFUSED, **errors}, filled=filled, status=422
    )


async def submit(request: Request) -> Response:
    """The final step: save the overall comment and, when confirmed, submit the sheet."""
    got = await _own(request)
    if isinstance(got, Response):
        return got
    viewer, sheet = got
    form = await request.form()
    filled = {"overall_comment": text(form, "overall_comment", 4000), "confirm": text(form, "confirm")}
    submitting = text(form, "action") == "submit"
    errors: dict[str, str] = {}
    if submitting and filled["confirm"] != "1":
        errors["confirm"] = "请确认评分无误后再提交"
    final = len(sheet.assignment.panel.parsed_rubric.criteria) + 1
    try:
        await service.save_scores(
            actor=viewer,
            assignment_id=sheet.assignment_id,
            scores={},
            overall_comment=filled["overall_comment"],
        )
        sheet.overall_comment = filled["overall_comment"].strip()
        if submitting and not errors:
            await service.submit_sheet(actor=viewer, sheet_id=sheet.id)
            return redirect(request, f"/panels/assignments/{sheet.assignment_id}?done=submitted")
        if not submitting:
            return redirect(request, f"/panels/assignments/{sheet.assignment_id}?step={final}")
    except PermissionDenied:
        raise
    except DomainError as error:
        errors = {**_sheet_errors(error), **errors}
    return await _sheet_page(
        request, viewer, sheet, step=final, errors={FORM: REFUSED, **errors}, filled=filled, status=422
    )


def _sheet_errors(error: DomainError) -> dict[str, str]:
    """The submission's errors by path: `scores.<key>`, `scores.<key>.comment`, `overallComment`."""
    found: dict[str, str] = {}
    for one in every_error(error):
        path = one.field[-1] if one.field else FORM
        name = "overall_comment" if path == "overallComment" else path if path.startswith("scores.") else FORM
        found.setdefault(name, one.message)
    return found


async def declare_conflict(request: Request) -> Response:
    got = await _own(request)
    if isinstance(got, Response):
        return got
    viewer, sheet = got
    form = await request.form()
    filled = {"reason": text(form, "reason", 40), "note": text(form, "note", 1000)}
    errors: dict[str, str] = {}
    reason = ConflictReason(filled["reason"]) if filled["reason"] in ConflictReason.__members__ else None
    if reason is None:
        errors["reason"] = "请选择利益冲突的情形"
    try:
        if reason is not None:
            entry_id = sheet.assignment.entry_id
            await service.declare_conflict(
                actor=viewer, entry_id=entry_id, reason=reason, note=filled["note"]
            )
            return redirect(request, "/panels/mine?done=conflict")
    except PermissionDenied:
        raise
    except DomainError as error:
        errors = {**field_errors(error, set(filled)), **errors}
    errors = {f"conflict_{k}" if k else FORM: v for k, v in errors.items()}
    filled = {f"conflict_{k}": v for k, v in filled.items()}
    return await _sheet_page(
        request, viewer, sheet, errors={FORM: REFUSED, **errors}, filled=filled, status=422
    )


# --- staff -------------------------------------------------------------------------------------


async def index(request: Request) -> Response:
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    context = {"title": "评审组", "panels": await queries.panels(viewer)}
    return render(request, "panels/index.html", context, fragment="panels/_index.html")


async def overview(request: Request) -> Response:
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    return await _overview_page(request, viewer)


async def _overview_page(
    request: Request,
    viewer: Actor,
    *,
    errors: dict[str, str] | None = None,
    filled: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    panel_id: int = request.path_params["panel_id"]
    view = await pages.overview(viewer, panel_id)
    context = {
        "title": view.panel.title,
        "view": view,
        "figure": pages.figure,
        "errors": errors or {},
        "filled": filled or {"source": MemberSource.POOL.value},
        "notice": _notice(request, status),
        "sources": [(s.value, s.label) for s in MemberSource],
    }
    return render(
        request,
        "panels/overview.html",
        context,
        fragment="panels/_overview.html",
        status_code=status,
        url=f"/panels/{panel_id}",
    )


async def _join(viewer: Actor, panel_id: int, user_id: int, source: MemberSource) -> None:
    """A reviewer account joins the pool first (if it was never in it), then the panel."""
    if source is MemberSource.POOL and not await Expert.exists(user_id=user_id):
        await service.add_expert(actor=viewer, user_id=user_id)
    await service.add_member(actor=viewer, panel_id=panel_id, user_id=user_id, source=source)


async def add_member(request: Request) -> Response:
    """Staff add a member by the account's exact username: a pool expert or a member of staff."""
    got = await _staff_form(request, "username", "source")
    if isinstance(got, Response):
        return got
    viewer, values = got
    panel = await queries.panel(viewer, request.path_params["panel_id"])
    source = MemberSource(values["source"]) if values["source"] in MemberSource.__members__ else None
    errors: dict[str, str] = {}
    user_id = await accounts.user_id_by_username(values["username"]) if values["username"].strip() else None
    if not values["username"].strip():
        errors["username"] = "请填写账号用户名"
    elif user_id is None:
        errors["username"] = "没有这个用户名的账号"
    if source is None:
        errors["source"] = "请选择成员来源"
    if panel.stage is PanelStage.CLOSED:
        errors[FORM] = "评审已结束，不能再添加成员"
    try:
        if not errors and user_id is not None and source is not None:
            await _join(viewer, panel.id, user_id, source)
            return redirect(request, f"/panels/{panel.id}?done=member-added")
    except DomainError as error:
        errors = {**_domain_errors(error, values, {"userId": "username"}), **errors}
    return await _overview_page(request, viewer, errors={FORM: REFUSED, **errors}, filled=values, status=422)


async def _board_page(
    request: Request,
    viewer: Actor,
    *,
    form: str = "",
    errors: dict[str, str] | None = None,
    filled: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    panel_id: int = request.path_params["panel_id"]
    view = await pages.board(viewer, panel_id)
    context = {
        "title": f"评审分配：{view.panel.title}",
        "view": view,
        "form": form,
        "errors": errors or {},
        "filled": filled or {},
        "notice": _notice(request, status),
        "reasons": pages.CONFLICT_REASONS,
        "entry_options": [(e.id, e.title) for e in view.open_entries],
        "member_options": [(m.user_id, m.name) for m in view.members],
        "live_options": [(c.assignment_id, f"{e.title} · {m.name}") for c, e, m in view.live()],
    }
    return render(
        request,
        "panels/board.html",
        context,
        fragment="panels/_board.html",
        status_code=status,
        url=f"/panels/{panel_id}/assignments",
    )


async def assignments(request: Request) -> Response:
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    return await _board_page(request, viewer)


async def _staff_form(request: Request, *names: str) -> tuple[Actor, dict[str, str]] | Response:
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    posted: FormData = await request.form()
    await queries.panel(viewer, request.path_params["panel_id"])
    return viewer, {name: text(posted, name, 500) for name in names}


def _board_url(request: Request, done: str) -> str:
    return f"/panels/{request.path_params['panel_id']}/assignments?done={done}"


def _domain_errors(error: DomainError, values: dict[str, str], aliases: dict[str, str]) -> dict[str, str]:
    if isinstance(error, PermissionDenied):
        raise error
    return field_errors(error, set(values), aliases)


async def draw(request: Request) -> Response:
    got = await _staff_form(request, "seed")
    if isinstance(got, Response):
        return got
    viewer, values = got
    seed = whole_number(values["seed"])
    errors: dict[str, str] = {} if seed is not None else {"seed": "随机种子须为非负整数"}
    try:
        if seed is not None:
            panel = await queries.panel(viewer, request.path_params["panel_id"])
            await service.draw_reviewers(
                actor=viewer, panel_id=panel.id, seed=seed, stage=pages.current_stage(panel)
            )
            return redirect(request, _board_url(request, "drawn"))
    except DomainError as error:
        errors = {**_domain_errors(error, values, {}), **errors}
    return await _board_page(
        request, viewer, form="draw", errors={FORM: REFUSED, **errors}, filled=values, status=422
    )


async def _entry_of_panel(viewer: Actor, panel_id: int, raw: str) -> int | None:
    entry_id = whole_number(raw)
    ids = {e.id for e in await queries.entries(viewer, panel_id)}
    return entry_id if entry_id in ids else None


async def assign(request: Request) -> Response:
    got = await _staff_form(request, "entry", "reviewer")
    if isinstance(got, Response):
        return got
    viewer, values = got
    panel = await queries.panel(viewer, request.path_params["panel_id"])
    entry_id = await _entry_of_panel(viewer, panel.id, values["entry"])
    reviewer_id = whole_number(values["reviewer"])
    errors: dict[str, str] = {}
    if entry_id is None:
        errors["entry"] = "请选择项目"
    if reviewer_id is None:
        errors["reviewer"] = "请选择评审专家"
    try:
        if entry_id is not None and reviewer_id is not None:
            stage = pages.current_stage(panel)
            await service.assign_reviewer(
                actor=viewer, entry_id=entry_id, reviewer_id=reviewer_id, stage=stage
            )
            return redirect(request, _board_url(request, "assigned"))
    except DomainError as error:
        errors = {**_domain_errors(error, values, {"entryId": "entry", "reviewerId": "reviewer"}), **errors}
    return await _board_page(
        request, viewer, form="assign", errors={FORM: REFUSED, **errors}, filled=values, status=422
    )


async def unassign(request: Request) -> Response:
    got = await _staff_form(request, "assignment", "reason")
    if isinstance(got, Response):
        return got
    viewer, values = got
    panel_id: int = request.path_params["panel_id"]
    live = {
        c.assignment_id
        for c in await queries.board(
            viewer, panel_id, pages.current_stage(await queries.panel(viewer, panel_id))
        )
    }
    assignment_id = whole_number(values["assignment"])
    errors: dict[str, str] = {}
    if assignment_id not in live:
        errors["assignment"] = "请选择要取消的评审分配"
    try:
        if assignment_id is not None and assignment_id in live:
            await service.unassign(actor=viewer, assignment_id=assignment_id, reason=values["reason"])
            return redirect(request, _board_url(request, "unassigned"))
    except DomainError as error:
        errors = {**_domain_errors(error, values, {"assignmentId": "assignment"}), **errors}
    return await _board_page(
        request, viewer, form="unassign", errors={FORM: REFUSED, **errors}, filled=values, status=422
    )


async def record_conflict(request: Request) -> Response:
    got = await _staff_form(request, "entry", "reviewer", "reason", "note")
    if isinstance(got, Response):
        return got
    viewer, values = got
    panel_id: int = request.path_params["panel_id"]
    entry_id = await _entry_of_panel(viewer, panel_id, values["entry"])
    members = {m.user_id for m in await queries.members(viewer, panel_id)}
    reviewer_id = whole_number(values["reviewer"])
    reason = ConflictReason(values["reason"]) if values["reason"] in ConflictReason.__members__ else None
    errors: dict[str, str] = {}
    if entry_id is None:
        errors["entry"] = "请选择项目"
    if reviewer_id not in members:
        errors["reviewer"] = "请选择评审专家"
    if reason is None:
        errors["reason"] = "请选择利益冲突的情形"
    try:
        if entry_id is not None and reviewer_id is not None and reviewer_id in members and reason is not None:
            await service.declare_conflict(
                actor=viewer, entry_id=entry_id, reason=reason, note=values["note"], reviewer_id=reviewer_id
            )
            return redirect(request, _board_url(request, "conflict-recorded"))
    except DomainError as error:
        aliases = {"entryId": "entry", "reviewerId": "reviewer"}
        errors = {**_domain_errors(error, values, aliases), **errors}
    return await _board_page(
        request, viewer, form="conflict", errors={FORM: REFUSED, **errors}, filled=values, status=422
    )


async def _matrix_page(
    request: Request,
    viewer: Actor,
    *,
    errors: dict[str, str] | None = None,
    filled: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    panel_id: int = request.path_params["panel_id"]
    view = await pages.matrix(viewer, panel_id, request.query_params.get("stage"))
    context = {
        "title": f"评分汇总：{view.panel.title}",
        "view": view,
        "errors": errors or {},
        "filled": filled or {},
        "notice": _notice(request, status),
        "figure": pages.figure,
        "sheet_options": [(c.sheet_id, f"{e.title} · {m.name}") for c, e, m in view.submitted],
    }
    return render(
        request,
        "panels/scores.html",
        context,
        fragment="panels/_scores.html",
        status_code=status,
        url=f"/panels/{panel_id}/scores",
    )


async def scores(request: Request) -> Response:
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    return await _matrix_page(request, viewer)


async def reopen(request: Request) -> Response:
    got = await _staff_form(request, "sheet", "reason")
    if isinstance(got, Response):
        return got
    viewer, values = got
    panel_id: int = request.path_params["panel_id"]
    panel = await queries.panel(viewer, panel_id)
    cells = await queries.score_matrix(viewer, panel, pages.current_stage(panel))
    sheet_id = whole_number(values["sheet"])
    errors: dict[str, str] = {}
    if sheet_id not in {c.sheet_id for c in cells}:
        errors["sheet"] = "请选择要退回的评分表"
    try:
        if not errors and sheet_id is not None:
            await service.reopen_sheet(actor=viewer, sheet_id=sheet_id, reason=values["reason"])
            return redirect(request, f"/panels/{panel_id}/scores?done=reopened")
    except DomainError as error:
        errors = {**_domain_errors(error, values, {"sheetId": "sheet"}), **errors}
    return await _matrix_page(request, viewer, errors={FORM: REFUSED, **errors}, filled=values, status=422)


async def export(request: Request) -> Response:
    viewer = _staff(request)
    if isinstance(viewer, Response):
        return viewer
    fmt: str = request.path_params["fmt"]
    if fmt not in exports.FORMATS:
        raise NotFound("不支持的导出格式")
    view = await pages.matrix(viewer, request.path_params["panel_id"], request.query_params.get("stage"))
    headers, rows = pages.export_table(view)
    await service.export_scores(actor=viewer, panel_id=view.panel.id, fmt=fmt, rows=len(rows))
    return exports.spreadsheet(fmt, f"评分汇总-{view.panel.title}", "评分汇总", headers, rows)


def routes() -> list[Route]:
    own = "/panels/assignments/{assignment_id:id}"
    base = "/panels/{panel_id:id}"
    return [
        Route("/panels", index, methods=["GET"], name="panels"),
        Route("/panels/mine", mine, methods=["GET"], name="my_panels"),
        Route(own, sheet, methods=["GET"], name="panel_assignment"),
        Route(f"{own}/step", save_step, methods=["POST"]),
        Route(f"{own}/submit", submit, methods=["POST"]),
        Route(f"{own}/conflict", declare_conflict, methods=["POST"]),
        Route(base, overview, methods=["GET"], name="panel"),
        Route(f"{base}/members", add_member, methods=["POST"]),
        Route(f"{base}/assignments", assignments, methods=["GET"], name="panel_assignments"),
        Route(f"{base}/draw", draw, methods=["POST"]),
        Route(f"{base}/assign", assign, methods=["POST"]),
        Route(f"{base}/unassign", unassign, methods=["POST"]),
        Route(f"{base}/conflicts", record_conflict, methods=["POST"]),
        Route(f"{base}/scores", scores, methods=["GET"], name="panel_scores"),
        Route(f"{base}/reopen", reopen, methods=["POST"]),
        Route(f"{base}/scores.{{fmt}}", export, methods=["GET"], name="panel_scores_export"),
    ]
