"""User administration for bureau staff and administrators: users, their accounts and roles."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.access import Actor, Role
from domain.accounts import policy, service
from domain.errors import ValidationError
from domain.grids import queries as grids
from domain.organisations import queries as organisations
from web.actor import actor
from web.forms import MAX_PASSWORD, field_errors, text, whole_number
from web.pages import admin as pages
from web.render import redirect, render
from web.routes.accounts import sign_in_redirect

MAX_SEARCH = 100
NOTICES = {
    "created": "用户已创建。可以在下方为其授予角色。",
    "activated": "账号已启用。",
    "updated": "姓名与手机号已保存。",
    "unlocked": "账号已解除锁定，可以立即登录。",
    "not-locked": "账号当前未被锁定，无需解锁。",
    "deactivated": "账号已停用，其所有登录已退出。",
    "granted": "角色已授予。",
    "revoked": "角色已撤销。",
}


def _manager(request: Request) -> Actor | None:
    """The acting bureau staff member or administrator; None when nobody is signed in."""
    viewer = actor(request)
    if viewer.is_anonymous:
        return None
    policy.require_manage_users(viewer)
    return viewer


def _role(raw: str | None) -> Role | None:
    return Role(raw) if raw is not None and raw in Role.__members__ else None


# --- the user list ----------------------------------------------------------------------------


async def users_page(request: Request) -> Response:
    viewer = _manager(request)
    if viewer is None:
        return sign_in_redirect(request)
    return await _users(request, viewer)


async def _users(request: Request, viewer: Actor, *, status_code: int = 200, **extra: Any) -> Response:
    params = request.query_params
    search = params.get("q", "").strip()[:MAX_SEARCH]
    after = whole_number(params.get("after", ""))
    listing = await pages.user_list(viewer, search, _role(params.get("role")), after)
    context = {
        "title": "用户管理",
        "listing": listing,
        "roles": list(Role),
        "new_user": pages.NewUserForm(),
        "errors": {},
        "next_url": _users_url(listing, after=listing.next_after) if listing.next_after else None,
        "first_url": _users_url(listing),
        **extra,
    }
    return render(
        request,
        "admin/users.html",
        context,
        fragment="admin/_users.html",
        status_code=status_code,
        url="/admin/users" if request.method == "POST" else None,
    )


def _users_url(listing: pages.UserList, **extra: object) -> str:
    params = {"q": listing.search, "role": listing.role.value if listing.role else ""} | extra
    query = urlencode({k: v for k, v in params.items() if v})
    return f"/admin/users?{query}" if query else "/admin/users"


async def create_user(request: Request) -> Response:
    viewer = actor(request)
    policy.require_manage_users(viewer)
    form = await request.form()
    filled = pages.NewUserForm(
        name=text(form, "name"), username=text(form, "username"), mobile=text(form, "mobile")
    )
    try:
        user = await service.create_user(
            actor=viewer,
            name=filled.name,
            username=filled.username,
            password=text(form, "password", MAX_PASSWORD),
            mobile=filled.mobile.strip() or None,
        )
    except ValidationError as error:
        errors = field_errors(error, {"name", "username", "mobile", "password"})
        return await _users(request, viewer, new_user=filled, errors=errors, status_code=422)
    return redirect(request, f"/admin/users/{user.id}?done=created")


# --- one user ---------------------------------------------------------------------------------


async def user_page(request: Request) -> Response:
    viewer = _manager(request)
    if viewer is None:
        return sign_in_redirect(request)
    notice = NOTICES.get(request.query_params.get("done", ""))
    return await _user(request, viewer, request.path_params["user_id"], notice=notice)


async def _user(
    request: Request, viewer: Actor, user_id: int, *, status_code: int = 200, **extra: Any
) -> Response:
    detail = await pages.user_detail(viewer, user_id)
    context = {
        "title": f"用户 {detail.user.username}",
        "detail": detail,
        "grant": pages.GrantForm(),
        "edit": pages.EditUserForm(name=detail.person.name),
        "edit_errors": {},
        "temporary_password": None,
        "errors": {},
        "notice": None,
        "error": None,
        **extra,
    }
    return render(
        request,
        "admin/user.html",
        context,
        fragment="admin/_user.html",
        status_code=status_code,
        url=f"/admin/users/{user_id}",
    )


async def set_active(request: Request) -> Response:
    viewer = actor(request)
    policy.require_manage_users(viewer)
    user_id: int = request.path_params["user_id"]
    active = text(await request.form(), "active") == "1"
    try:
        await service.set_user_active(actor=viewer, user_id=user_id, active=active)
    except ValidationError as error:
        return await _user(request, viewer, user_id, error=error.message, status_code=422)
    return redirect(request, f"/admin/users/{user_id}?done={'activated' if active else 'deactivated'}")


async def update_user(request: Request) -> Response:
    viewer = actor(request)
    policy.require_manage_users(viewer)
    user_id: int = request.path_params["user_id"]
    form = await request.form()
    filled = pages.EditUserForm(
        name=text(form, "name"), mobile=text(form, "mobile"), clear_mobile=text(form, "clear_mobile") == "1"
    )
    try:
        await service.update_user(
            actor=viewer,
            user_id=user_id,
            name=filled.name,
            mobile=filled.mobile.strip() or None,
            clear_mobile=filled.clear_mobile,
        )
    except ValidationError as error:
        errors = field_errors(error, {"name", "mobile"})
        return await _user(request, viewer, user_id, edit=filled, edit_errors=errors, status_code=422)
    return redirect(request, f"/admin/users/{user_id}?done=updated")


async def reset_password(request: Request) -> Response:
    """The temporary password is shown on this response only (no redirect, never stored)."""
    viewer = actor(request)
    policy.require_manage_users(viewer)
    user_id: int = request.path_params["user_id"]
    try:
        temporary = await service.reset_password(actor=viewer, user_id=user_id)
    except ValidationError as error:
        return await _user(request, viewer, user_id, error=error.message, status_code=422)
    return await _user(request, viewer, user_id, temporary_password=temporary)


async def unlock(request: Request) -> Response:
    viewer = actor(request)
    policy.require_manage_users(viewer)
    user_id: int = request.path_params["user_id"]
    unlocked = await service.unlock_user(actor=viewer, user_id=user_id)
    return redirect(request, f"/admin/users/{user_id}?done={'unlocked' if unlocked else 'not-locked'}")


async def grant_role(request: Request) -> Response:
    viewer = actor(request)
    policy.require_manage_users(viewer)
    user_id: int = request.path_params["user_id"]
    form = await request.form()
    filled = pages.GrantForm(
        role=text(form, "role"),
        cell=text(form, "cell").strip(),
        organisation=text(form, "organisation").strip(),
    )
    role, cell_id = _role(filled.role), await _cell_id(filled.cell)
    organisation = await organisations.by_name_or_code(filled.organisation)
    errors = _grant_errors(filled, role, cell_id, organisation_found=organisation is not None)
    if role is not None and not errors:
        try:
            await service.grant_role(
                actor=viewer,
                user_id=user_id,
                role=role,
                cell_id=cell_id,
                organisation_id=organisation.id if organisation else None,
            )
        except ValidationError as error:
            renamed = {"cellId": "cell", "organisationId": "organisation"}
            errors = field_errors(error, {"role", "cell", "organisation"}, renamed)
    if errors:
        return await _user(request, viewer, user_id, grant=filled, errors=errors, status_code=422)
    return redirect(request, f"/admin/users/{user_id}?done=granted")


def _grant_errors(
    filled: pages.GrantForm, role: Role | None, cell_id: int | None, *, organisation_found: bool
) -> dict[str, str]:
    """What the form itself gets wrong: no role, an unknown cell code, an organisation not found."""
    errors = {}
    if role is None:
        errors["role"] = "请选择角色"
    if filled.cell and cell_id is None:
        errors["cell"] = f"没有编码为 {filled.cell} 的网格单元"
    if filled.organisation and not organisation_found:
        errors["organisation"] = (
            f"名录中没有名称、统一社会信用代码或备案编号为“{filled.organisation}”的在册组织"
        )
    return errors


async def organisation_options(request: Request) -> Response:
    """The grant form's organisation suggestions (a datalist's options), for administrators."""
    policy.require_manage_users(actor(request))
    found = await organisations.suggestions(request.query_params.get("organisation", ""))
    return render(request, "admin/_organisation_options.html", {"organisations": found})


async def _cell_id(code: str) -> int | None:
    """The cell with this code; no query for an empty or non-numeric code."""
    cell = await grids.cell_by_code(code) if code.isascii() and code.isdigit() else None
    return cell.id if cell else None


async def revoke_role(request: Request) -> Response:
    assignment = await service.revoke_role(
        actor=actor(request), assignment_id=request.path_params["assignment_id"]
    )
    return redirect(request, f"/admin/users/{assignment.user_id}?done=revoked")


def routes() -> list[Route]:
    return [
        Route("/admin/users", users_page, methods=["GET"], name="users"),
        Route("/admin/users", create_user, methods=["POST"], name="create_user"),
        Route("/admin/users/{user_id:id}", user_page, methods=["GET"], name="user"),
        Route("/admin/users/{user_id:id}", update_user, methods=["POST"], name="update_user"),
        Route("/admin/users/{user_id:id}/active", set_active, methods=["POST"], name="set_user_active"),
        Route("/admin/users/{user_id:id}/password", reset_password, methods=["POST"], name="reset_password"),
        Route("/admin/users/{user_id:id}/unlock", unlock, methods=["POST"], name="unlock_user"),
        Route("/admin/users/{user_id:id}/roles", grant_role, methods=["POST"], name="grant_role"),
        Route(
            "/admin/organisations/options", organisation_options, methods=["GET"], name="organisation_options"
        ),
        Route("/admin/roles/{assignment_id:id}/revoke", revoke_role, methods=["POST"], name="revoke_role"),
    ]
