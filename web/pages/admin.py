"""User administration: the user list and one user's account and roles, in a fixed number of
statements however many rows a page lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from domain.access import Actor, Role
from domain.accounts import policy, queries
from domain.accounts.models import RoleAssignment, User
from domain.accounts.queries import UserFilter
from domain.pagination import PageRequest
from domain.people.policy import PersonView, view_for

USERS_PAGE_SIZE = 20


@dataclass(frozen=True)
class UserRow:
    user: User
    person: PersonView
    assignments: list[RoleAssignment]


@dataclass(frozen=True)
class UserList:
    search: str
    role: Role | None
    rows: list[UserRow]
    next_after: int | None
    is_first_page: bool

    @property
    def filtered(self) -> bool:
        return bool(self.search or self.role)


async def user_list(actor: Actor, search: str, role: Role | None, after: int | None) -> UserList:
    """Users in creation order, with their person (masked for the actor) and roles."""
    page = await queries.users_page(
        UserFilter(search=search or None, role=role),
        PageRequest(first=USERS_PAGE_SIZE, after=(after,) if after is not None else None),
    )
    roles = await queries.assignments_of_users(user.id for user in page.items)
    rows = [UserRow(user, view_for(actor, user.person), roles.get(user.id, [])) for user in page.items]
    next_after = page.items[-1].id if page.has_next else None
    return UserList(search, role, rows, next_after, is_first_page=after is None)


@dataclass(frozen=True)
class NewUserForm:
    name: str = ""
    username: str = ""
    mobile: str = ""


@dataclass(frozen=True)
class EditUserForm:
    name: str = ""
    mobile: str = ""  # empty: keep the current one
    clear_mobile: bool = False


@dataclass(frozen=True)
class GrantForm:
    role: str = ""
    cell: str = ""
    organisation: str = ""


@dataclass(frozen=True)
class AssignmentRow:
    assignment: RoleAssignment
    can_revoke: bool


@dataclass(frozen=True)
class UserDetail:
    user: User
    person: PersonView
    assignments: list[AssignmentRow]
    grantable: list[Role]
    locked_until: datetime | None
    is_self: bool
    manages: bool  # may edit, reset the password of, unlock and enable or disable this account

    @property
    def can_reset_password(self) -> bool:
        return self.manages and not self.is_self and not self.user.is_app


async def user_detail(actor: Actor, user_id: int) -> UserDetail:
    user = await queries.user_by_id(user_id)
    assignments = await queries.assignments_of(user.id)
    held = {a.role for a in assignments}
    manages = policy.can_manage_account(actor, held)
    rows = [AssignmentRow(a, manages and policy.can_grant(actor, a.role)) for a in assignments]
    grantable = [
        role
        for role in Role
        if manages and policy.can_grant(actor, role) and not policy.roles_conflict(held, role)
    ]
    now = datetime.now(UTC)
    locked = user.locked_until if user.locked_until and user.locked_until > now else None
    is_self = user.id == actor.user_id
    return UserDetail(user, view_for(actor, user.person), rows, grantable, locked, is_self, manages)
