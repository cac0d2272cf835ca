"""Reads of accounts, roles and tokens."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from tortoise.expressions import Q

from domain.access import Grant, Role
from domain.accounts.models import ApiToken, RoleAssignment, User
from domain.errors import NotFound
from domain.grids.models import GridCell
from domain.pagination import Page, PageRequest, keyset_page
from domain.people.models import Person

USER_ORDER = ("id",)


async def user_by_id(user_id: int) -> User:
    user = await User.get_or_none(id=user_id).select_related("person")
    if user is None:
        raise NotFound("用户不存在")
    return user


async def user_id_by_username(username: str) -> int | None:
    user = await User.filter(username=username.strip()).only("id").first()
    return user.id if user else None


async def user_by_identifier(identifier: str) -> User | None:
    """A user by username, or by their sign-in mobile (unique among accounts)."""
    ident = identifier.strip()
    user = await User.get_or_none(username=ident).select_related("person")
    if user is not None or not ident.isdigit():
        return user
    return await User.get_or_none(mobile=ident).select_related("person")


async def active_demo_usernames() -> list[str]:
    """Enabled accounts flagged as demo data. Their password is published in the README, so
    production refuses to start while any exists (whatever its current password)."""
    demo = User.filter(is_demo=True, is_active=True).order_by("username")
    return [str(username) for username in await demo.values_list("username", flat=True)]


async def active_grants(user_ids: Iterable[int]) -> dict[int, list[Grant]]:
    """Each user's unrevoked roles with the materialized path of their scope cell: one query."""
    wanted = list(set(user_ids))
    grouped: dict[int, list[Grant]] = defaultdict(list)
    if not wanted:
        return grouped
    rows = await RoleAssignment.filter(user_id__in=wanted, revoked_at__isnull=True).values(
        "user_id", "role", "cell_id", "cell__path", "organisation_id"
    )
    for row in rows:
        grouped[row["user_id"]].append(
            Grant(
                role=Role(row["role"]),
                cell_id=row["cell_id"],
                cell_path=row["cell__path"],
                organisation_id=row["organisation_id"],
            )
        )
    return grouped


async def roles_of(user_id: int) -> set[Role]:
    """The user's unrevoked roles, whatever their scope."""
    held = RoleAssignment.filter(user_id=user_id, revoked_at__isnull=True)
    return {Role(str(role)) for role in await held.values_list("role", flat=True)}


async def duty_violations(data_roles: Iterable[Role]) -> list[str]:
    """Usernames of accounts holding ADMIN together with one of `data_roles` (separation of duties;
    the rule is enforced at every grant, this finds what was granted before it was)."""
    admins = RoleAssignment.filter(role=Role.ADMIN, revoked_at__isnull=True).values_list("user_id", flat=True)
    both = RoleAssignment.filter(
        user_id__in=list(await admins), role__in=list(data_roles), revoked_at__isnull=True
    ).values_list("user__username", flat=True)
    return sorted({str(name) for name in await both})


@dataclass(frozen=True)
class MobileClash:
    """Accounts whose people share one mobile number."""

    mobile: str
    usernames: list[str]


@dataclass(frozen=True)
class MobileCheck:
    clashes: list[MobileClash]  # none of these accounts signs in by the shared number
    unsynced: list[str]  # other accounts whose sign-in mobile is not their person's

    @property
    def clean(self) -> bool:
        return not self.clashes and not self.unsynced


async def check_mobiles() -> MobileCheck:
    """Mobiles that the people of more than one account have (made before the rule held at every
    change), with the accounts, by mobile; and the accounts whose sign-in mobile differs from their
    person's (migration 0011 leaves a shared number to none of its accounts: once the clash is
    resolved, saving the remaining account's mobile makes it its sign-in mobile again)."""
    rows = await User.all().values_list("username", "mobile", "person__mobile")
    holders: dict[str, list[str]] = defaultdict(list)
    for username, _, mobile in rows:
        if mobile:
            holders[str(mobile)].append(str(username))
    clashes = [MobileClash(m, sorted(names)) for m, names in sorted(holders.items()) if len(names) > 1]
    clashing = {name for clash in clashes for name in clash.usernames}
    unsynced = [
        str(username)
        for username, mobile, person_mobile in rows
        if (mobile or None) != (person_mobile or None) and username not in clashing
    ]
    return MobileCheck(clashes, sorted(unsynced))


@dataclass(frozen=True)
class UserFilter:
    search: str | None = None
    role: Role | None = None


async def users_page(f: UserFilter, request: PageRequest) -> Page[User]:
    qs = User.all().select_related("person")
    if f.search:
        term = f.search.strip()
        qs = qs.filter(Q(username__icontains=term) | Q(person__name__contains=term) | Q(person__mobile=term))
    if f.role:
        qs = qs.filter(role_assignments__role=f.role, role_assignments__revoked_at__isnull=True).distinct()
    return await keyset_page(qs, USER_ORDER, request)


async def assignments_of(user_id: int) -> list[RoleAssignment]:
    return (
        await RoleAssignment.filter(user_id=user_id, revoked_at__isnull=True)
        .select_related("cell", "organisation")
        .order_by("granted_at", "id")
    )


async def assignments_of_users(user_ids: Iterable[int]) -> dict[int, list[RoleAssignment]]:
    """Each user's unrevoked role assignments with their scope cell, in grant order: one query."""
    wanted = list(set(user_ids))
    grouped: dict[int, list[RoleAssignment]] = defaultdict(list)
    if not wanted:
        return grouped
    rows = RoleAssignment.filter(user_id__in=wanted, revoked_at__isnull=True).select_related(
        "cell", "organisation"
    )
    for assignment in await rows.order_by("granted_at", "id"):
        grouped[assignment.user_id].append(assignment)
    return grouped


async def tokens_of(user_id: int) -> list[ApiToken]:
    return await ApiToken.filter(user_id=user_id).order_by("-created_at", "-id")


async def assignment_by_id(assignment_id: int) -> RoleAssignment:
    found = await RoleAssignment.get_or_none(id=assignment_id).select_related("cell", "organisation")
    if found is None:
        raise NotFound("角色授权不存在")
    return found


async def token_by_id(token_id: int) -> ApiToken:
    found = await ApiToken.get_or_none(id=token_id)
    if found is None:
        raise NotFound("令牌不存在")
    return found


async def person_by_id(person_id: int) -> Person:
    found = await Person.get_or_none(id=person_id)
    if found is None:
        raise NotFound("人员不存在")
    return found


async def cell_paths_headed_by(person_id: int) -> list[str]:
    rows = await GridCell.filter(head_id=person_id).values("path")
    return [row["path"] for row in rows]
