"""The activity log (民情日志): "记一笔" and my records for those who log, the verification
queue for grid staff, a grid cell's feed, and the photos."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from domain.access import Actor, require_signed_in
from domain.activities import held, policy, queries, service, validation
from domain.activities.models import Activity, ActivityPhoto
from domain.errors import DomainError, NotFound, ValidationError, ValidationErrors
from domain.grids import queries as grid_queries
from domain.grids.models import GridCell
from web import exports
from web.actor import actor
from web.forms import FORM, field_errors, texts
from web.localtime import today_local
from web.pages import activities as pages
from web.render import redirect, render
from web.routes.accounts import sign_in_redirect
from web.routes.grids import MAX_CODE_LENGTH

MY_ACTIVITIES = "/me/activities"
NOTICES = {
    "saved": "已保存草稿。可以继续修改，准备好后提交审核。",
    "submitted": "已提交审核。网格员核实后，记录按其选择的公开范围显示。",
}
REVIEW_NOTICES = {
    "verified": "已核实，记录已公开。",
    "verified_private": "已核实。记录不公开，只有记录人和辖区工作人员可以看到。",
    "returned": "已退回，记录人会在“我的记录”中看到原因。",
}
ACTIVITY_NOTICES = {"publicity": "已更新公开范围。"}
PHOTO_HEADERS = {"cache-control": "private, max-age=300"}
HELD = "held_photo"  # the form's input carrying the token of a photo held from an earlier try


def _is_code(raw: str) -> bool:
    return raw.isascii() and raw.isdigit() and len(raw) <= MAX_CODE_LENGTH


def _signed_in(request: Request) -> Actor | None:
    viewer = actor(request)
    return None if viewer.is_anonymous else viewer


# --- 记一笔: the form -------------------------------------------------------------------------


async def _log_form(
    request: Request,
    viewer: Actor,
    filled: pages.ActivityForm,
    *,
    activity: Activity | None = None,
    errors: dict[str, str] | None = None,
    photo_errors: list[tuple[str, str]] | None = None,
    held: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    cells = await pages.log_cells(viewer)
    existing = await _photos(activity)
    context = {
        "title": "修改记录" if activity else "记一笔",
        "form": filled,
        "activity": activity,
        "cells": cells,
        "types": pages.TYPES,
        "outcomes": pages.OUTCOMES,
        "categories": pages.CATEGORIES,
        "errors": errors or {},
        "photo_errors": photo_errors or [],
        "photos": existing,
        "held": held or [],
        "room": pages.MAX_PHOTOS - len(existing) - len(held or []),
        "max_photos": pages.MAX_PHOTOS,
        "labels": pages.FORM_LABELS,
        "today": today_local().isoformat(),
    }
    url = f"{MY_ACTIVITIES}/{activity.id}/edit" if activity else "/me/log/new"
    return render(
        request,
        "activities/log.html",
        context,
        fragment="activities/_log.html",
        status_code=status_code,
        url=url,
    )


async def _photos(activity: Activity | None) -> list[ActivityPhoto]:
    return (await queries.photos_of([activity.id])).get(activity.id, []) if activity else []


async def new_activity(request: Request) -> Response:
    viewer = _signed_in(request)
    if viewer is None:
        return sign_in_redirect(request)
    cells = await pages.log_cells(viewer)
    filled = pages.ActivityForm.blank(cells[0].cell.id if cells else None, today_local())
    return await _log_form(request, viewer, filled)


async def type_fields(request: Request) -> Response:
    """The inputs of the chosen type, swapped in when the type changes (values kept)."""
    filled = pages.ActivityForm.from_form(request.query_params)
    context = {"form": filled, "errors": {}, "outcomes": pages.OUTCOMES, "categories": pages.CATEGORIES}
    return render(request, "activities/_type_fields.html", context)


def _parse(form: FormData) -> tuple[pages.ActivityForm, dict[str, Any], dict[str, str]]:
    """The form as typed, its values, and the inputs that do not parse together with the
    domain's errors about the inputs checked on their own, so every error shows at once."""
    filled = pages.ActivityForm.from_form(form)
    values, errors = filled.parse()
    if errors:
        standalone = validation.standalone_errors(
            title=filled.title,
            narrative=filled.narrative,
            place=filled.place,
            follow_up=filled.follow_up,
            participants=values["participants"],
            households_reached=values["households_reached"],
        )
        if standalone:
            errors = {**_errors(ValidationErrors(standalone)), **errors}
    return filled, values, errors


async def create_activity(request: Request) -> Response:
    viewer = actor(request)
    require_signed_in(viewer)
    form = await request.form()
    filled, values, errors = _parse(form)
    if errors:
        return await _refused(request, viewer, form, filled, errors)
    try:
        activity = await service.create_activity(actor=viewer, **values)
    except (ValidationError, NotFound) as error:
        return await _refused(request, viewer, form, filled, _errors(error))
    return await _after_save(request, viewer, activity, form, filled)


async def _refused(
    request: Request,
    viewer: Actor,
    form: FormData,
    filled: pages.ActivityForm,
    errors: dict[str, str],
    activity: Activity | None = None,
) -> Response:
    """The form again with every error; the photos chosen are held for the next try."""
    kept, refused = await _hold_photos(viewer, form, len(await _photos(activity)))
    if not errors.get(FORM):
        message = "记录未保存，请按提示修改后重试。"
        if kept:
            message += "已选择的照片已为您保留，无需重新选择。"
        errors = {FORM: message, **errors}
    return await _log_form(
        request,
        viewer,
        filled,
        activity=activity,
        errors=errors,
        photo_errors=refused,
        held=kept,
        status_code=422,
    )


async def _hold_photos(
    viewer: Actor, form: FormData, attached: int
) -> tuple[list[str], list[tuple[str, str]]]:
    """The tokens of the photos held for the form (those still held, then the new uploads, as
    many as the record has room for), and the uploads refused with why."""
    kept: list[str] = []
    for token in _held_tokens(form):
        try:
            await service.held_photo_path(actor=viewer, token=token)
        except NotFound:
            continue
        kept.append(token)
    kept = kept[: max(pages.MAX_PHOTOS - attached, 0)]
    refused: list[tuple[str, str]] = []
    for upload in pages.uploads(form):
        name = upload.filename or ""
        if attached + len(kept) >= pages.MAX_PHOTOS:
            refused.append((name, f"每条活动记录最多 {pages.MAX_PHOTOS} 张照片"))
            continue
        try:
            kept.append(await service.hold_photo(actor=viewer, data=await pages.read_upload(upload)))
        except DomainError as error:
            refused.append((name, error.message))
    return kept, refused


def _held_tokens(form: FormData) -> list[str]:
    """The held photos the form carries, each once, no more than a record may have."""
    return list(dict.fromkeys(texts(form, HELD)))[: pages.MAX_PHOTOS]


def _errors(error: DomainError) -> dict[str, str]:
    return field_errors(error, pages.FORM_INPUTS, pages.FIELD_ALIASES)


async def _after_save(
    request: Request, viewer: Actor, activity: Activity, form: FormData, filled: pages.ActivityForm
) -> Response:
    """Photos, one by one (each may be refused on its own: first those held from an earlier
    try, then the new uploads), then the submission if asked for."""
    refused: list[tuple[str, str]] = []
    for token in _held_tokens(form):
        try:
            await service.add_held_photo(actor=viewer, activity_id=activity.id, token=token)
        except DomainError as error:
            refused.append(("已保留的照片", error.message))
    for upload in pages.uploads(form):
        try:
            data = await pages.read_upload(upload)
            await service.add_photo(
                actor=viewer, activity_id=activity.id, data=data, declared_name=upload.filename or ""
            )
        except DomainError as error:
            refused.append((upload.filename or "", error.message))
    if refused:
        message = "记录已保存为草稿，但有照片未能上传：请重新选择这些照片，或直接提交审核。"
        return await _log_form(
            request,
            viewer,
            pages.ActivityForm.of(activity),
            activity=activity,
            errors={FORM: message},
            photo_errors=refused,
            status_code=422,
        )
    if form.get("action") != "submit":
        return redirect(request, f"{MY_ACTIVITIES}?done=saved")
    try:
        await service.submit_activity(actor=viewer, activity_id=activity.id)
    except DomainError as error:
        return await _log_form(
            request, viewer, filled, activity=activity, errors={FORM: error.message}, status_code=422
        )
    return redirect(request, f"{MY_ACTIVITIES}?done=submitted")


async def edit_activity(request: Request) -> Response:
    viewer = _signed_in(request)
    if viewer is None:
        return sign_in_redirect(request)
    activity = await _editable(viewer, request.path_params["activity_id"])
    return await _log_form(request, viewer, pages.ActivityForm.of(activity), activity=activity)


async def _editable(viewer: Actor, activity_id: int) -> Activity:
    activity = await queries.activity_for_viewer(viewer, activity_id)
    policy.require_edit(viewer, activity)
    return activity


async def update_activity(request: Request) -> Response:
    viewer = actor(request)
    require_signed_in(viewer)
    activity = await _editable(viewer, request.path_params["activity_id"])
    form = await request.form()
    filled, values, errors = _parse(form)
    if errors:
        return await _refused(request, viewer, form, filled, errors, activity)
    try:
        activity = await service.update_activity(actor=viewer, activity_id=activity.id, **values)
    except (ValidationError, NotFound) as error:
        return await _refused(request, viewer, form, filled, _errors(error), activity)
    return await _after_save(request, viewer, activity, form, filled)


async def remove_photo(request: Request) -> Response:
    viewer = actor(request)
    activity_id: int = request.path_params["activity_id"]
    photo = await queries.photo_by_id(request.path_params["photo_id"])
    if photo.activity_id != activity_id:
        raise NotFound("照片不存在", ["id"])
    await service.remove_photo(actor=viewer, photo_id=photo.id)
    return redirect(request, f"{MY_ACTIVITIES}/{activity_id}/edit")


# --- my records -------------------------------------------------------------------------------


async def my_activities(request: Request) -> Response:
    viewer = _signed_in(request)
    if viewer is None:
        return sign_in_redirect(request)
    context = {
        "title": "我的记录",
        "view": await pages.my_activities(viewer, request.query_params.get("after", "")),
        "notice": NOTICES.get(request.query_params.get("done", "")),
    }
    return render(request, "activities/mine.html", context, fragment="activities/_mine.html")


# --- the verification queue -------------------------------------------------------------------


async def review_page(request: Request) -> Response:
    viewer = _signed_in(request)
    if viewer is None:
        return sign_in_redirect(request)
    return await _review(request, viewer, notice=REVIEW_NOTICES.get(request.query_params.get("done", "")))


async def _review(
    request: Request,
    viewer: Actor,
    *,
    notice: str | None = None,
    errors: dict[int, str] | None = None,
    reasons: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "title": "审核活动记录",
        "queue": await pages.review_queue(
            viewer, pages.QueueQuery.from_params(request.query_params), request.query_params.get("after", "")
        ),
        "notice": notice,
        "errors": errors or {},
        "reasons": reasons or {},
    }
    return render(
        request,
        "activities/review.html",
        context,
        fragment="activities/_review.html",
        status_code=status_code,
        url="/review",
    )


async def verify(request: Request) -> Response:
    viewer = actor(request)
    public, details_public = pages.publicity_choice(await request.form())
    activity = await service.verify_activity(
        actor=viewer,
        activity_id=request.path_params["activity_id"],
        public=public,
        details_public=details_public,
    )
    return redirect(request, "/review?done=" + ("verified" if activity.is_public else "verified_private"))


# --- one record ---------------------------------------------------------------------------------


async def activity_page(request: Request) -> Response:
    """A record as the viewer may see it; staff who may verify it change who else sees it here."""
    viewer = actor(request)
    row = await pages.activity_page(viewer, request.path_params["activity_id"])
    context = {
        "title": row.activity.title,
        "row": row,
        "may_set_public": row.may_set_public and policy.can_review(viewer, row.activity),
        "notice": ACTIVITY_NOTICES.get(request.query_params.get("done", "")),
    }
    return render(request, "activities/detail.html", context, fragment="activities/_detail.html")


async def set_public(request: Request) -> Response:
    viewer = actor(request)
    activity_id: int = request.path_params["activity_id"]
    public, details_public = pages.publicity_choice(await request.form())
    await service.set_activity_public(
        actor=viewer, activity_id=activity_id, public=bool(public), details_public=bool(details_public)
    )
    return redirect(request, f"/activities/{activity_id}?done=publicity")


async def return_for_changes(request: Request) -> Response:
    viewer = actor(request)
    activity_id: int = request.path_params["activity_id"]
    reason = pages.reason_text(await request.form())
    try:
        await service.return_activity(actor=viewer, activity_id=activity_id, reason=reason)
    except ValidationError as error:
        return await _review(
            request,
            viewer,
            errors={activity_id: error.message},
            reasons={activity_id: reason},
            status_code=422,
        )
    return redirect(request, "/review?done=returned")


# --- a cell's feed ----------------------------------------------------------------------------


async def _feed_cell(request: Request) -> GridCell:
    code: str = request.path_params["code"]
    cell = await grid_queries.cell_by_code(code) if _is_code(code) else None
    if cell is None:
        raise NotFound(f"没有编码为 {code} 的网格单元。")
    return cell


async def cell_feed(request: Request) -> Response:
    cell = await _feed_cell(request)
    viewer = actor(request)
    query = pages.FeedQuery.from_params(request.query_params)
    context = {
        "title": f"{cell.name} · 民情日志",
        "feed": await pages.cell_feed(viewer, cell, query, request.query_params.get("after", "")),
        "errors": query.errors(),
        "types": pages.TYPES,
        "statuses": pages.STATUSES,
        "can_export": policy.can_export(viewer, cell.path),
        "max_export": service.MAX_EXPORT,
    }
    return render(request, "activities/feed.html", context, fragment="activities/_feed.html")


async def feed_export(request: Request) -> Response:
    """The feed as filtered, as a spreadsheet (`service.export_activities`: who, how many, audit)."""
    fmt: str = request.path_params["fmt"]
    if fmt not in exports.FORMATS:
        raise NotFound("页面不存在")
    viewer = actor(request)
    cell = await _feed_cell(request)
    query = pages.FeedQuery.from_params(request.query_params)
    where = query.feed_filter(cell, statuses_allowed=policy.covers(viewer, cell.path))
    activities = await service.export_activities(actor=viewer, cell=cell, where=where)
    rows = await pages.export_rows(viewer, activities)
    name = f"{cell.name}-活动记录-{today_local().strftime('%Y%m%d')}"
    return exports.spreadsheet(fmt, name, "活动记录", pages.EXPORT_HEADERS, rows)


# --- photos -----------------------------------------------------------------------------------


async def photo(request: Request) -> Response:
    path, content_type = await service.photo_for_viewer(
        actor=actor(request), photo_id=request.path_params["photo_id"]
    )
    if not path.is_file():
        raise NotFound("照片不存在", ["id"])
    return FileResponse(path, media_type=content_type, headers=PHOTO_HEADERS)


async def held_photo(request: Request) -> Response:
    """The thumbnail of a photo the viewer holds (no one else's)."""
    token: str = request.path_params["token"]
    path = await service.held_photo_path(actor=actor(request), token=token)
    return FileResponse(path, media_type=held.content_type(token), headers=PHOTO_HEADERS)


def routes() -> list[Route]:
    return [
        Route("/me/log/new", new_activity, methods=["GET"], name="log_activity"),
        Route("/me/log/type-fields", type_fields, methods=["GET"], name="log_type_fields"),
        Route("/me/log", create_activity, methods=["POST"], name="create_activity"),
        Route("/me/log/held/{token}", held_photo, methods=["GET"], name="held_photo"),
        Route("/me/activities", my_activities, methods=["GET"], name="my_activities"),
        Route("/me/activities/{activity_id:id}/edit", edit_activity, methods=["GET"], name="edit_activity"),
        Route("/me/activities/{activity_id:id}", update_activity, methods=["POST"], name="update_activity"),
        Route(
            "/me/activities/{activity_id:id}/photos/{photo_id:id}/remove",
            remove_photo,
            methods=["POST"],
            name="remove_photo",
        ),
        Route("/review", review_page, methods=["GET"], name="review"),
        Route("/review/{activity_id:id}/verify", verify, methods=["POST"], name="verify_activity"),
        Route(
            "/review/{activity_id:id}/return", return_for_changes, methods=["POST"], name="return_activity"
        ),
        Route("/grids/{code}/activities", cell_feed, methods=["GET"], name="cell_activities"),
        Route(
            "/grids/{code}/activities/export.{fmt}",
            feed_export,
            methods=["GET"],
            name="cell_activities_export",
        ),
        Route("/activities/{activity_id:id}", activity_page, methods=["GET"], name="activity"),
        Route(
            "/activities/{activity_id:id}/publicity", set_public, methods=["POST"], name="set_activity_public"
        ),
        Route("/photos/{photo_id:id}", photo, methods=["GET"], name="photo"),
    ]
