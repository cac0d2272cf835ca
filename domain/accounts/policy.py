"""Who may manage accounts, roles, tokens and see personal data unmasked.

Separation of duties (checked at every change, not only at start-up):
- ADMIN runs accounts, not casework: no account holds ADMIN together with a data role;
- only an ADMIN manages an account that holds ADMIN (enable, disable, grant, revoke);
- account management needs a signed-in browser session, never a bearer token.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.access import UNMASK_PEOPLE, Actor, Role, require_signed_in
from domain.accounts.models import ApiToken
from domain.errors import NotFound, PermissionDenied
from domain.permissions import DATA_ROLES

# Roles a BUREAU_STAFF member may hand out; the two administrative roles are ADMIN's to give.
BUREAU_GRANTABLE = frozenset(Role) - {Role.ADMIN, Role.BUREAU_STAFF}


def require_session(actor: Actor) -> None:
    """Accounts, passwords, roles and tokens are managed from a signed-in browser (or the command
    line). A bearer token is refused whatever its scopes: the page's CSRF token proves nothing
    for a caller that holds a token, and a token must never mint another."""
    require_signed_in(actor)
    if actor.by_token:
        raise PermissionDenied("账号、密码、角色与令牌只能在浏览器登录后管理，API 令牌不能执行此操作")


def can_manage_users(actor: Actor) -> bool:
    return actor.is_bureau


def require_manage_users(actor: Actor) -> None:
    require_session(actor)
    if not can_manage_users(actor):
        raise PermissionDenied("只有民政局工作人员或管理员可以管理用户")


def can_manage_account(actor: Actor, target_roles: Iterable[Role]) -> bool:
    """Only an ADMIN manages an account that holds ADMIN."""
    return Role.ADMIN not in set(target_roles) or actor.has_role(Role.ADMIN)


def require_manage_account(actor: Actor, target_roles: Iterable[Role]) -> None:
    require_manage_users(actor)
    if not can_manage_account(actor, target_roles):
        raise PermissionDenied("只有系统管理员可以管理系统管理员的账号")


def roles_conflict(held: Iterable[Role], role: Role) -> bool:
    """Whether holding `role` beside `held` would join ADMIN with a data role."""
    roles = {*held, role}
    return Role.ADMIN in roles and bool(roles & DATA_ROLES)


def require_compatible(held: Iterable[Role], role: Role) -> None:
    if roles_conflict(held, role):
        raise PermissionDenied(
            "职责分离：系统管理员不能同时担任"
            + "、".join(r.label for r in Role if r in DATA_ROLES)
            + "等业务角色"
        )


def can_grant(actor: Actor, role: Role) -> bool:
    if actor.has_role(Role.ADMIN):
        return True
    return actor.has_role(Role.BUREAU_STAFF) and role in BUREAU_GRANTABLE


def require_grant(actor: Actor, role: Role) -> None:
    require_manage_users(actor)
    if not can_grant(actor, role):
        raise PermissionDenied(f"您不能授予或撤销“{role.label}”角色")


def can_view_audit(actor: Actor) -> bool:
    return actor.is_bureau


def require_view_audit(actor: Actor) -> None:
    require_signed_in(actor)
    if not can_view_audit(actor):
        raise PermissionDenied("只有民政局工作人员或管理员可以查看审计日志")


def require_own_token(actor: Actor, token: ApiToken) -> None:
    """Your own tokens, or any token for an ADMIN. Revealed as not found to anyone else."""
    require_session(actor)
    if token.user_id != actor.user_id and not actor.has_role(Role.ADMIN):
        raise NotFound("令牌不存在")


def can_create_app_tokens(actor: Actor) -> bool:
    return actor.has_role(Role.ADMIN)


def can_unmask(actor: Actor, headed_paths: list[str]) -> bool:
    """Bureau staff anywhere; grid staff for people who head a cell in their subtree. ADMIN
    runs accounts, not casework, so it does not read personal data (separation of duties).
    A token needs the `unmask:people` scope."""
    if not actor.may_use(UNMASK_PEOPLE):
        return False
    if actor.has_role(Role.BUREAU_STAFF):
        return True
    return any(actor.has_role_over(path, Role.GRID_STAFF) for path in headed_paths)
