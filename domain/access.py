"""Who is acting, and the shared policy helpers every domain's policy builds on.

One Actor is built per request from a session cookie (pages) or a bearer token (API) by
`domain.accounts.service.actor_for_session` / `actor_for_token`; policies take the actor, never
the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from domain.errors import PermissionDenied, Unauthenticated


class Role(StrEnum):
    RESIDENT = "RESIDENT"
    MICRO_LEADER = "MICRO_LEADER"
    ORGANISER = "ORGANISER"
    GRID_STAFF = "GRID_STAFF"
    REVIEWER = "REVIEWER"
    BUREAU_STAFF = "BUREAU_STAFF"
    ADMIN = "ADMIN"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.RESIDENT: "居民",
    Role.MICRO_LEADER: "微领袖",
    Role.ORGANISER: "组织者",
    Role.GRID_STAFF: "网格员/社区工作者",
    Role.REVIEWER: "评审专家",
    Role.BUREAU_STAFF: "民政局工作人员",
    Role.ADMIN: "系统管理员",
}

# Token scopes. A session acts with every scope of its user; a token only with the ones granted.
# Managing accounts, passwords, roles and tokens has no scope: it needs a signed-in browser session
# (see `domain.accounts.policy.require_session`), so a leaked token can never mint another.
READ = "read"
UNMASK_PEOPLE = "unmask:people"
WRITE_SCOPES: dict[str, str] = {
    "write:grids": "修改网格",
    "write:activities": "记录与审核活动",
    "write:organisations": "管理社会组织与社会工作",
    "write:funding": "公益创投申报与管理",
    "review:funding": "公益创投评审（评审专家）",
    UNMASK_PEOPLE: "查看完整个人信息（留痕）",
}
ALL_SCOPES: tuple[str, ...] = (READ, *WRITE_SCOPES)


@dataclass(frozen=True)
class Grant:
    """A role, optionally limited to a grid subtree (by the root's materialized path) or to an
    organisation. An unscoped grant applies everywhere."""

    role: Role
    cell_id: int | None = None
    cell_path: str | None = None
    organisation_id: int | None = None

    def covers(self, path: str | None) -> bool:
        if self.cell_path is None:
            return True
        return path is not None and path.startswith(self.cell_path)


@dataclass(frozen=True)
class Actor:
    """Who acts. `display_name` is the audit log's label for the actor: the account's username,
    an identifier that stays the same for as long as the account exists and names one account
    (a person's name may change and two people may share one), or 命令行 for the command line.
    Pages greet the actor by `name`, the account's person's name (`shown_name`)."""

    user_id: int | None = None
    person_id: int | None = None
    display_name: str | None = None
    name: str | None = None
    is_demo: bool = False
    must_change_password: bool = False  # a reset password: no role until the account changes it
    grants: tuple[Grant, ...] = ()
    token_id: int | None = None
    token_scopes: frozenset[str] | None = None
    request_id: str | None = None
    ip: str | None = None
    session_id: str | None = field(default=None, repr=False)
    system: bool = False  # the command line and seeds: acts as ADMIN, audited as such

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None and not self.system

    @property
    def shown_name(self) -> str:
        return self.name or self.display_name or ""

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(g.role for g in self.grants)

    def has_role(self, *roles: Role) -> bool:
        return any(g.role in roles for g in self.grants)

    def has_role_over(self, path: str | None, *roles: Role) -> bool:
        """True when a grant of one of `roles` covers the cell at `path`."""
        return any(g.role in roles and g.covers(path) for g in self.grants)

    @property
    def by_token(self) -> bool:
        """Acting through a bearer token (not a browser session, nor the command line)."""
        return self.token_id is not None or self.token_scopes is not None

    def may_use(self, scope: str) -> bool:
        """Sessions carry every scope; tokens only those they were given."""
        return self.token_scopes is None or scope in self.token_scopes

    @property
    def is_staff(self) -> bool:
        return self.has_role(Role.GRID_STAFF, Role.BUREAU_STAFF, Role.ADMIN)

    @property
    def is_bureau(self) -> bool:
        return self.has_role(Role.BUREAU_STAFF, Role.ADMIN)

    def with_request(self, *, request_id: str | None, ip: str | None) -> Actor:
        return replace(self, request_id=request_id, ip=ip)


ANONYMOUS = Actor()


def require_signed_in(actor: Actor) -> None:
    if actor.is_anonymous:
        raise Unauthenticated()


def require_scope(actor: Actor, scope: str) -> None:
    if not actor.may_use(scope):
        raise PermissionDenied(f"令牌缺少权限范围 {scope}")
