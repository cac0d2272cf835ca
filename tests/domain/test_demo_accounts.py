"""Demo accounts: one per role, grid staff scoped to real towns, loaded idempotently, and the
check (and the way out) that keeps them out of production."""

from __future__ import annotations

import re
from typing import Any

import pytest

from domain.access import ANONYMOUS, Role
from domain.accounts import passwords, queries, service
from domain.accounts.models import RoleAssignment, Session, User
from domain.audit.models import AuditEntry
from domain.audit.service import verify_chain
from domain.errors import PermissionDenied
from domain.grids.codes import GridKind
from domain.people.models import Person
from seeds import load_all
from seeds.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, demo_name, load_demo_accounts
from seeds.pinghu import TOWNS
from tests.accounts import actor_of, make_user
from tests.conftest import SqlLog
from tests.factories import cell

pytestmark = pytest.mark.usefixtures("db")

CHINESE_NAME = re.compile(r"^[\u4e00-\u9fff]{2,3}$")
EXPECTED = {
    "demo.resident": (Role.RESIDENT, None),
    "demo.leader": (Role.MICRO_LEADER, None),
    "demo.organiser": (Role.ORGANISER, None),
    "demo.grid.danghu": (Role.GRID_STAFF, "330482001"),
    "demo.grid.zhapu": (Role.GRID_STAFF, "330482101"),
    "demo.grid.zhongdai": (Role.GRID_STAFF, "330482002"),
    "demo.grid.caoqiao": (Role.GRID_STAFF, "330482003"),
    "demo.grid.xindai": (Role.GRID_STAFF, "330482102"),
    "demo.grid.xincang": (Role.GRID_STAFF, "330482103"),
    "demo.grid.guangchen": (Role.GRID_STAFF, "330482106"),
    "demo.grid.lindai": (Role.GRID_STAFF, "330482107"),
    "demo.grid.dushangang": (Role.GRID_STAFF, "330482108"),
    "demo.clerk": (Role.GRID_STAFF, "330482"),
    "demo.reviewer": (Role.REVIEWER, None),
    "demo.bureau": (Role.BUREAU_STAFF, None),
    "demo.admin": (Role.ADMIN, None),
}


async def _towns() -> None:
    """The nine real towns the demo grid staff work in, under 平湖市."""
    city = await cell(GridKind.CITY, "330482", "平湖市")
    for town in TOWNS:
        await cell(GridKind.TOWN, town.code, town.name, city)


async def _grants() -> dict[str, tuple[Role, str | None]]:
    rows = await RoleAssignment.filter(revoked_at__isnull=True).values("user__username", "role", "cell__code")
    return {row["user__username"]: (Role(row["role"]), row["cell__code"]) for row in rows}


async def _snapshot() -> tuple[list[dict[str, Any]], ...]:
    return (
        await User.all().order_by("id").values(),
        await Person.all().order_by("id").values(),
        await RoleAssignment.all().order_by("id").values(),
        await AuditEntry.all().order_by("seq").values("seq", "hash"),
    )


async def test_one_demo_account_per_role_with_grid_staff_in_real_towns() -> None:
    # GIVEN the towns of the grid seeds
    await _towns()
    # WHEN the demo accounts are loaded
    created = await load_demo_accounts()
    # THEN every role has its account, and only the grid staff are scoped, each to their town
    assert created == len(EXPECTED)
    assert await _grants() == EXPECTED
    assert {account.role for account in DEMO_ACCOUNTS} == set(Role)
    users = await User.all().select_related("person")
    assert all(user.is_demo and user.person.is_demo and user.is_active for user in users)
    assert all(CHINESE_NAME.match(user.person.name) for user in users)
    assert {user.person.name for user in users} == {demo_name(name) for name in EXPECTED}
    assert all(passwords.verify_password(user.password_hash, DEMO_PASSWORD) for user in users)
    # ... and their creation is in the audit chain
    assert await AuditEntry.filter(action__in=["user.create", "role.grant"]).count() == 2 * len(EXPECTED)
    assert (await verify_chain()).ok


async def test_a_demo_account_signs_in_with_the_documented_password() -> None:
    # GIVEN the demo accounts
    await _towns()
    await load_demo_accounts()
    # WHEN the Danghu grid worker signs in with the README's password
    signed = await service.sign_in(actor=ANONYMOUS, identifier="demo.grid.danghu", password=DEMO_PASSWORD)
    # THEN they act as grid staff over 当湖街道 only
    assert signed.actor.roles == {Role.GRID_STAFF}
    (grant,) = signed.actor.grants
    assert grant.cell_path is not None
    assert signed.actor.has_role_over(grant.cell_path, Role.GRID_STAFF)


async def test_loading_again_changes_nothing_and_costs_one_read(sql_log: SqlLog) -> None:
    # GIVEN loaded demo accounts, one of them since disabled by an administrator
    await _towns()
    await load_demo_accounts()
    await User.filter(username="demo.admin").update(is_active=False)
    before = await _snapshot()
    # WHEN the seeds are loaded again
    sql_log.reset()
    created = await load_demo_accounts()
    # THEN nothing is created, re-enabled or re-audited, in a single statement
    assert created == 0
    assert sql_log.count == 1
    assert await _snapshot() == before


async def test_a_taken_username_is_left_alone() -> None:
    # GIVEN a real user who already holds one of the demo usernames
    await _towns()
    await make_user("demo.reviewer", name="真实用户")
    # WHEN the demo accounts are loaded
    created = await load_demo_accounts()
    # THEN that user is not touched, and the rest are created
    assert created == len(EXPECTED) - 1
    reviewer = await User.get(username="demo.reviewer").select_related("person")
    assert (reviewer.is_demo, reviewer.person.name) == (False, "真实用户")
    assert "demo.reviewer" not in await _grants()


async def test_without_the_grid_towns_nothing_is_created() -> None:
    # GIVEN a database without the grid seeds
    # WHEN the demo accounts are loaded
    with pytest.raises(LookupError, match="请先加载网格种子"):
        await load_demo_accounts()
    # THEN no account, person or audit row was written
    assert not await User.exists()
    assert not await Person.exists()
    assert not await AuditEntry.exists()


async def test_load_all_adds_the_accounts_after_the_grid_tree() -> None:
    # WHEN every seed is loaded twice
    first = await load_all()
    second = await load_all()
    # THEN the first load reports the demo accounts and the second reports nothing new
    assert first.accounts == len(EXPECTED)
    assert f"demo accounts created: {len(DEMO_ACCOUNTS)}" in str(first)
    assert (second.accounts, second.inserted) == (0, 0)
    assert "demo accounts: all present" in str(second)
    grants = await _grants()
    experts = {name: grant for name, grant in grants.items() if name.startswith("demo.expert.")}
    assert {name: grant for name, grant in grants.items() if name not in experts} == EXPECTED
    # the funding seed's other eleven demo experts (no password: they cannot sign in)
    assert set(experts.values()) == {(Role.REVIEWER, None)}
    assert len(experts) == 11


# --- keeping them out of production -----------------------------------------------------------


async def test_active_demo_accounts_are_found_until_disabled() -> None:
    # GIVEN the demo accounts, and an ordinary administrator
    await _towns()
    await load_demo_accounts()
    await make_user("admin.real", Role.ADMIN)
    signed = await service.sign_in(actor=ANONYMOUS, identifier="demo.admin", password=DEMO_PASSWORD)
    assert await queries.active_demo_usernames() == sorted(EXPECTED)
    # WHEN they are disabled
    disabled = await service.disable_demo_accounts(actor=service.SYSTEM)
    # THEN none is active, their sessions are over, each disabling is audited, the others untouched
    assert disabled == sorted(EXPECTED)
    assert await queries.active_demo_usernames() == []
    assert await service.actor_for_session(signed.session_secret) is None
    assert not await Session.filter(revoked_at__isnull=True).exists()
    assert await AuditEntry.filter(action="user.deactivate").count() == len(EXPECTED)
    assert (await User.get(username="admin.real")).is_active
    assert await service.disable_demo_accounts(actor=service.SYSTEM) == []


async def test_only_user_managers_may_disable_demo_accounts() -> None:
    # GIVEN the demo accounts and a resident
    await _towns()
    await load_demo_accounts()
    resident = await actor_of(await make_user("resident.lu", Role.RESIDENT))
    before = await _snapshot()
    # WHEN the resident tries to disable them
    with pytest.raises(PermissionDenied):
        await service.disable_demo_accounts(actor=resident)
    # THEN nothing changed
    assert await _snapshot() == before
