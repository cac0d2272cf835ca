"""Who may manage accounts, roles, tokens and see personal data unmasked."""

from __future__ import annotations

from domain.access import Actor, Role
from domain.accounts.models import ApiToken
from domain.errors import NotFound, PermissionDenied, Unauthenticated

# Roles a BUREAU_STAFF member may hand out; the two administrative roles are ADMIN's to give.
BUREAU_GRANTABLE = frozenset(Role) - {Role.ADMIN, Role.BUREAU_STAFF}


def require_signed_in(actor: Actor) -> None:
    if actor.is_anonymous:
        raise Unauthenticated()


def require_scope(actor: Actor, scope: str) -> None:
    if not actor.may_use(scope):
        raise PermissionDenied(f"令牌缺少权限范围 {scope}")


def can_manage_users(actor: Actor) -> bool:
    return actor.is_bureau


def require_manage_users(actor: Actor) -> None:
    require_signed_in(actor)
    require_scope(actor, "write:accounts")
    if not can_manage_users(actor):
        raise PermissionDenied("只有民政局工作人员或管理员可以管理用户")


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
    require_signed_in(actor)
    require_scope(actor, "write:accounts")
    if token.user_id != actor.user_id and not actor.has_role(Role.ADMIN):
        raise NotFound("令牌不存在")


def can_create_app_tokens(actor: Actor) -> bool:
    return actor.has_role(Role.ADMIN)


def can_unmask(actor: Actor, headed_paths: list[str]) -> bool:
    """Bureau staff anywhere; grid staff for people who head a cell in their subtree. ADMIN
    runs accounts, not casework, so it does not read personal data (separation of duties)."""
    if actor.has_role(Role.BUREAU_STAFF):
        return True
    return any(actor.has_role_over(path, Role.GRID_STAFF) for path in headed_paths)


def can_see_full_names(actor: Actor) -> bool:
    """Names are masked for the public; staff working with people see them."""
    return actor.is_staff
