"""Venture funding (公益创投) pages: the public rounds (`/funding`, `/funding/{id}`), needs collection,
and the organiser's applications (我的申报, the application form with its live budget check,
submission and withdrawal, attachments uploaded one at a time on the application's page). An
attachment's file is served at `/funding/attachments/{id}` to whoever may read it
(`domain.funding.attachments`; anyone else gets a 404). The staff's pages are
`web.routes.funding_staff`."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from domain.access import Actor
from domain.errors import DomainError, NotFound, PermissionDenied, ValidationErrors
from domain.funding import applications, attachments, files, needs, policy, queries
from domain.funding import review as funding_review
from domain.funding.applications import ApplicationInput
from domain.funding.errors import FundingCode
from domain.funding.models import WITHDRAWABLE, Application, AppStatus, FundedBy, FundingRound, RoundStage
from domain.funding.money import wan, yuan
from domain.organisations import queries as org_queries
from domain.organisations.policy import acts_for
from domain.review import objections
from web.actor import actor
from web.forms import FORM, field_errors, text, whole_number
from web.localtime import today_local
from web.pages import funding as pages
from web.pages.organisation_forms import Place, organised_ids
from web.render import redirect, render
from web.routes.accounts import sign_in_redirect

NOTICES = {
    "need": "已提交需求，工作人员审核后公开。",
    "saved": "已保存草稿。",
    "submitted": "已提交申报。",
    "withdrawn": "已撤回申报。",
    "objection": "已提交异议，工作人员将书面答复。",
    "attached": "已上传附件。",
    "detached": "已删除附件。",
}
REFUSED = "未保存，请按提示修改后重试。"
EDITABLE = (AppStatus.DRAFT, AppStatus.NEEDS_INFO)


def _helpers() -> dict[str, object]:
    return {
        "yuan": yuan,
        "wan": wan,
        "funded_by": [(f.value, f.label) for f in FundedBy],
    }


# --- public pages -------------------------------------------------------------------------------


async def rounds(request: Request) -> Response:
    context = {"title": "公益创投", "rounds": await pages.public_rounds(), **_helpers()}
    return render(request, "funding/rounds.html", context, fragment="funding/_rounds.html")


async def _round_page(
    request: Request,
    round_id: int,
    *,
    errors: dict[str, str] | None = None,
    filled: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    viewer = actor(request)
    view = await pages.round_page(round_id)
    cells = await org_queries.places() if view.collects_needs and not viewer.is_anonymous else []
    places = [Place(cell, cell.depth == 1) for cell in cells]
    panel = await funding_review.publicity_panel(view.round)
    context = {
        "title": view.round.title,
        "view": view,
        "places": places,
        "publicity": panel if panel and objections.publicity_running(panel, today_local()) else None,
        "publicity_ahead": panel if panel and _ahead(panel.publicity_starts_on) else None,
        "objection_options": [(str(a.id), a.project_name) for a in view.results or []],
        "errors": errors or {},
        "filled": filled or {},
        "notice": NOTICES.get(request.query_params.get("done", "")) if status_code == 200 else None,
        "applies": bool(organised_ids(viewer)),
        **_helpers(),
    }
    return render(
        request,
        "funding/round.html",
        context,
        fragment="funding/_round.html",
        status_code=status_code,
        url=f"/funding/{round_id}",
    )


def _ahead(day: date | None) -> bool:
    """The publicity starts on the next working day: until then its dates are announced."""
    return day is not None and today_local() < day


async def round_page(request: Request) -> Response:
    return await _round_page(request, request.path_params["round_id"])


async def submit_need(request: Request) -> Response:
    viewer = actor(request)
    round_id: int = request.path_params["round_id"]
    if viewer.is_anonymous:
        return redirect(request, f"/signin?next=/funding/{round_id}")
    form = await request.form()
    filled = {"cell": text(form, "cell", 12), "text": text(form, "text", 1000)}
    cell = whole_number(filled["cell"])
    errors = {} if cell is not None else {"cell": "请选择网格单元"}
    try:
        if cell is not None:
            await needs.submit_need(actor=viewer, round_id=round_id, cell_id=cell, text=filled["text"])
            return redirect(request, f"/funding/{round_id}?done=need")
        if not 5 <= len(filled["text"].strip()) <= needs.MAX_TEXT:
            errors["text"] = f"需求描述须为 5–{needs.MAX_TEXT} 个字符"
    except PermissionDenied:
        raise
    except DomainError as error:
        errors = {**field_errors(error, {"cell", "text"}, {"cellId": "cell"}), **errors}
    return await _round_page(
        request, round_id, errors={FORM: REFUSED, **errors}, filled=filled, status_code=422
    )


async def lodge_objection(request: Request) -> Response:
    """提出异议: a signed-in person's written objection while the results are publicised."""
    viewer = actor(request)
    round_id: int = request.path_params["round_id"]
    if viewer.is_anonymous:
        return redirect(request, f"/signin?next=/funding/{round_id}")
    form = await request.form()
    names = {"name": 50, "mobile": 20, "text": 2000, "application": 12}
    filled = {name: text(form, f"objection_{name}", size) for name, size in names.items()}
    application_id = whole_number(filled["application"]) if filled["application"] else None
    errors: dict[str, str] = {}
    if filled["application"] and application_id is None:
        errors["application"] = "请选择公示的项目"
    try:
        if not errors:
            await funding_review.lodge_objection(
                actor=viewer,
                round_id=round_id,
                application_id=application_id,
                name=filled["name"],
                mobile=filled["mobile"],
                text=filled["text"],
            )
            return redirect(request, f"/funding/{round_id}?done=objection")
    except PermissionDenied:
        raise
    except DomainError as error:
        errors = {**field_errors(error, set(filled), {"entryId": "application"}), **errors}
    errors = {f"objection_{k}" if k else FORM: v for k, v in errors.items()}
    filled = {f"objection_{k}": v for k, v in filled.items()}
    return await _round_page(
        request, round_id, errors={FORM: REFUSED, **errors}, filled=filled, status_code=422
    )


# --- the organiser's pages ----------------------------------------------------------------------


async def my_applications(request: Request) -> Response:
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    context = {
        "title": "我的申报",
        "rows": await pages.my_applications(viewer),
        "organiser": bool(organised_ids(viewer)),
        **_helpers(),
    }
    return render(request, "funding/applications.html", context, fragment="funding/_applications.html")


async def show_application(request: Request) -> Response:
    return await _application_page(request, request.path_params["application_id"])


async def _application_page(
    request: Request,
    application_id: int,
    *,
    errors: dict[str, str] | None = None,
    filled: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    viewer = actor(request)
    view = await pages.application_page(viewer, application_id)
    acts = acts_for(viewer, view.application.organisation_id)
    context = {
        "title": view.application.project_name,
        "view": view,
        "acts": acts,
        "errors": errors or {},
        "filled": filled or {},
        "notice": NOTICES.get(request.query_params.get("done", "")) if status_code == 200 else None,
        "editable": acts and view.application.status in EDITABLE,
        "withdrawable": acts and view.application.status in WITHDRAWABLE,
        "limits": ATTACHMENT_LIMITS,
        **_helpers(),
    }
    return render(
        request,
        "funding/application.html",
        context,
        fragment="funding/_application.html",
        status_code=status_code,
        url=f"/funding/applications/{application_id}",
    )


def _applicant(request: Request) -> Actor | Response:
    """A signed-in organiser (anyone else: sign in, or a 403 page)."""
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    if not organised_ids(viewer):
        raise PermissionDenied("只有社会组织的组织者可以申报公益创投项目")
    return viewer


async def _own(request: Request) -> tuple[Actor, Application] | Response:
    """The organiser and the application they act for (anyone else: sign-in or 403, nothing read
    further)."""
    viewer = actor(request)
    application_id: int = request.path_params["application_id"]
    if viewer.is_anonymous:
        return redirect(request, f"/signin?next=/funding/applications/{application_id}")
    application = await queries.application_by_id(application_id)
    if application is None:
        raise NotFound("项目申报不存在")
    policy.require_applicant(viewer, application.organisation_id)
    return viewer, application


async def _form_page(
    request: Request,
    viewer: Actor,
    funding_round: FundingRound,
    filled: pages.ApplicationForm,
    errors: dict[str, str],
    *,
    application: Application | None = None,
    status_code: int = 200,
) -> Response:
    choices = await pages.form_choices(viewer, funding_round.id)
    totals, money = pages.check_budget(funding_round, filled)
    action = (
        f"/funding/applications/{application.id}/edit"
        if application
        else f"/funding/{funding_round.id}/apply"
    )
    context = {
        "title": f"编辑申报：{application.project_name}" if application else "项目申报",
        "round": funding_round,
        "application": application,
        "form": filled.padded(),
        "errors": errors,
        "labels": pages.labels_for(errors),
        "choices": choices,
        "totals": totals,
        "money_errors": money,
        "money_labels": pages.labels_for(money),
        "action": action,
        "open": funding_round.stage is RoundStage.OPEN or application is not None,
        **_helpers(),
    }
    return render(
        request,
        "funding/apply.html",
        context,
        fragment="funding/_apply.html",
        status_code=status_code,
        url=action,
    )


async def _public_round(round_id: int) -> FundingRound:
    found = await queries.public_round_by_id(round_id)
    if found is None:
        raise NotFound("公益创投轮次不存在")
    return found


async def new_application(request: Request) -> Response:
    viewer = _applicant(request)
    if isinstance(viewer, Response):
        return viewer
    funding_round = await _public_round(request.path_params["round_id"])
    ids = organised_ids(viewer)
    blank = pages.ApplicationForm(organisation=str(ids[0]) if len(ids) == 1 else "")
    return await _form_page(request, viewer, funding_round, blank, {})


async def create_application(request: Request) -> Response:
    viewer = _applicant(request)
    if isinstance(viewer, Response):
        return viewer
    funding_round = await _public_round(request.path_params["round_id"])
    return await _save(request, viewer, funding_round, None)


async def edit_application(request: Request) -> Response:
    own = await _own(request)
    if isinstance(own, Response):
        return own
    viewer, application = own
    if application.status not in EDITABLE:
        return redirect(request, f"/funding/applications/{application.id}")
    lines = (await queries.budget_lines_of([application.id]))[application.id]
    filled = pages.ApplicationForm.of(application, lines)
    return await _form_page(request, viewer, application.round, filled, {}, application=application)


async def update_application(request: Request) -> Response:
    own = await _own(request)
    if isinstance(own, Response):
        return own
    viewer, application = own
    return await _save(request, viewer, application.round, application)


async def _save(
    request: Request, viewer: Actor, funding_round: FundingRound, application: Application | None
) -> Response:
    """Save (`op=save`) or save and submit (`op=submit`) once every rule holds, else every error
    at once and nothing written; the add-row and remove-row buttons only redraw the form."""
    form = await request.form()
    filled = pages.ApplicationForm.from_form(form)
    op = text(form, "op", 30)
    if op not in ("save", "submit"):
        return await _form_page(
            request, viewer, funding_round, filled.for_editing(op), {}, application=application
        )
    org_id = application.organisation_id if application else whole_number(filled.organisation) or 0
    if org_id:
        policy.require_applicant(viewer, org_id)
    data, errors = filled.parse(org_id, await pages.sponsor_id_of(filled))
    if not org_id:
        errors["organisation"] = "请选择申报组织"
    today = today_local()
    problems = await queries.application_problems(
        funding_round, data, application, submitting=op == "submit", today=today
    )
    try:
        if problems:
            raise ValidationErrors(problems)
        if not errors:
            saved = await _write(viewer, funding_round, application, data)
            if op == "submit":
                await applications.submit(actor=viewer, application_id=saved.id, today=today)
            done = "submitted" if op == "submit" else "saved"
            return redirect(request, f"/funding/applications/{saved.id}?done={done}")
    except PermissionDenied:
        raise
    except DomainError as error:
        errors = {**pages.errors_of(error), **errors}
    return await _form_page(
        request,
        viewer,
        funding_round,
        filled,
        {FORM: REFUSED, **errors},
        application=application,
        status_code=422,
    )


async def _write(
    viewer: Actor, funding_round: FundingRound, application: Application | None, data: ApplicationInput
) -> Application:
    if application is None:
        return await applications.create_application(actor=viewer, round_id=funding_round.id, data=data)
    return await applications.update_application(actor=viewer, application_id=application.id, data=data)


async def check_budget(request: Request) -> Response:
    """The budget's live totals and money errors as typed: the form's HTMX check, nothing saved."""
    viewer = _applicant(request)
    if isinstance(viewer, Response):
        return viewer
    funding_round = await _public_round(request.path_params["round_id"])
    filled = pages.ApplicationForm.from_form(await request.form())
    totals, money = pages.check_budget(funding_round, filled)
    context = {
        "round": funding_round,
        "totals": totals,
        "money_errors": money,
        "money_labels": pages.labels_for(money),
        **_helpers(),
    }
    return render(request, "funding/_budget_check.html", context)


async def submit_application(request: Request) -> Response:
    own = await _own(request)
    if isinstance(own, Response):
        return own
    viewer, application = own
    try:
        await applications.submit(actor=viewer, application_id=application.id, today=today_local())
        return redirect(request, f"/funding/applications/{application.id}?done=submitted")
    except PermissionDenied:
        raise
    except DomainError as error:
        errors = {FORM: "未能提交，请修改申报后重试。", **_lead(error)}
    return await _application_page(request, application.id, errors=errors, status_code=422)


def _lead(error: DomainError) -> dict[str, str]:
    """A refusal on the application's page: each problem as its own line of the summary."""
    found = pages.errors_of(error)
    return {name if name else "problem": message for name, message in found.items()}


async def withdraw_application(request: Request) -> Response:
    own = await _own(request)
    if isinstance(own, Response):
        return own
    viewer, application = own
    reason = text(await request.form(), "reason", 500)
    try:
        await applications.withdraw(actor=viewer, application_id=application.id, reason=reason)
        return redirect(request, f"/funding/applications/{application.id}?done=withdrawn")
    except PermissionDenied:
        raise
    except DomainError as error:
        errors = {FORM: "未撤回。", **field_errors(error, {"reason"})}
    return await _application_page(
        request, application.id, errors=errors, filled={"reason": reason}, status_code=422
    )


# --- attachments --------------------------------------------------------------------------------

ATTACHMENT_LIMITS = (
    f"PDF 不超过 {files.MAX_PDF_BYTES // files.MB} MB，JPEG、PNG 或 WebP 图片不超过 "
    f"{files.MAX_IMAGE_BYTES // files.MB} MB；每份申报最多 {attachments.MAX_ATTACHMENTS} 个，合计不超过 "
    f"{attachments.MAX_TOTAL_BYTES // files.MB} MB。文件类型按内容识别，图片中的位置等信息会被去除。"
)
DOWNLOAD_HEADERS = {
    "x-content-type-options": "nosniff",
    "cache-control": "private, no-store",
    "content-security-policy": "default-src 'none'; sandbox",
}


async def upload_attachment(request: Request) -> Response:
    """上传附件: one file, checked by its content; a refusal shows the page again, nothing kept."""
    own = await _own(request)
    if isinstance(own, Response):
        return own
    viewer, application = own
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise DomainError(FundingCode.NO_FILE, "请选择要上传的文件", ["file"])
        data = await upload.read(files.MAX_PDF_BYTES + 1)  # one byte past the limit says "too large"
        await attachments.add_attachment(
            actor=viewer, application_id=application.id, data=data, declared_name=upload.filename
        )
        return redirect(request, f"/funding/applications/{application.id}?done=attached")
    except PermissionDenied:
        raise
    except DomainError as error:
        errors = {FORM: "未上传附件。", "file": error.message}
    finally:
        await form.close()
    return await _application_page(request, application.id, errors=errors, status_code=422)


async def remove_attachment(request: Request) -> Response:
    own = await _own(request)
    if isinstance(own, Response):
        return own
    viewer, application = own
    attachment_id: int = request.path_params["attachment_id"]
    shown = await attachments.visible_attachments(viewer, application)
    if attachment_id not in {a.id for a in shown}:
        raise NotFound("附件不存在")
    try:
        await attachments.remove_attachment(actor=viewer, attachment_id=attachment_id)
        return redirect(request, f"/funding/applications/{application.id}?done=detached")
    except PermissionDenied:
        raise
    except DomainError as error:
        errors = {FORM: "未删除附件。", "file": error.message}
    return await _application_page(request, application.id, errors=errors, status_code=422)


async def download_attachment(request: Request) -> Response:
    """The file, as a download under its shown name, for whoever may read it (else 404)."""
    path, shown = await attachments.file_for_reader(
        actor=actor(request), attachment_id=request.path_params["attachment_id"]
    )
    if not path.is_file():
        raise NotFound("附件不存在")
    fallback = f"attachment.{files.extension_of(shown.name)}"
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(shown.name)}"
    headers = {**DOWNLOAD_HEADERS, "content-disposition": disposition}
    return FileResponse(path, media_type=shown.content_type, headers=headers)


def routes() -> list[Route]:
    one = "/funding/applications/{application_id:id}"
    return [
        Route("/funding", rounds, methods=["GET"], name="funding"),
        Route("/funding/applications", my_applications, methods=["GET"], name="my_applications_funding"),
        Route("/funding/{round_id:id}", round_page, methods=["GET"], name="funding_round"),
        Route("/funding/{round_id:id}/needs", submit_need, methods=["POST"]),
        Route("/funding/{round_id:id}/objections", lodge_objection, methods=["POST"]),
        Route("/funding/{round_id:id}/apply", new_application, methods=["GET"], name="apply"),
        Route("/funding/{round_id:id}/apply", create_application, methods=["POST"]),
        Route("/funding/{round_id:id}/apply/check", check_budget, methods=["POST"]),
        Route(one, show_application, methods=["GET"], name="funding_application"),
        Route(f"{one}/edit", edit_application, methods=["GET"]),
        Route(f"{one}/edit", update_application, methods=["POST"]),
        Route(f"{one}/submit", submit_application, methods=["POST"]),
        Route(f"{one}/withdraw", withdraw_application, methods=["POST"]),
        Route(f"{one}/attachments", upload_attachment, methods=["POST"]),
        Route(f"{one}/attachments/{{attachment_id:id}}/remove", remove_attachment, methods=["POST"]),
        Route(
            "/funding/attachments/{attachment_id:id}",
            download_attachment,
            methods=["GET"],
            name="funding_attachment",
        ),
    ]
