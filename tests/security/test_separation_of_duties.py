"""Separation of duties, held at every change (not only at start-up): no account holds ADMIN
together with a data role; only an ADMIN manages an ADMIN's account; production never enables
(or creates, or signs in) a demo account. Both databases, and `linzhi check-accounts` for what
was granted before the rule held."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from domain.access import ANONYMOUS, Role
from domain.accounts import config, service
from domain.accounts.models import RoleAssignment, User
from domain.accounts.service import SYSTEM
from domain.audit.models import AuditEntry
from domain.errors import DomainError, ErrorCode, PermissionDenied
from domain.people.models import Person
from domain.permissions import DATA_ROLES
from tests.accounts import PASSWORD, actor_of, make_user
from tests.factories import build_tree
from tests.test_cli_accounts import PASSWORD as ADMIN_PASSWORD
from tests.test_cli_accounts import _cli, _execute
from tests.web.session import signed_in


async def _held(user: User) -> list[Role]:
    held = RoleAssignment.filter(user_id=user.id, revoked_at__isnull=True)
    return sorted(Role(str(role)) for role in await held.values_list("role", flat=True))


@pytest.mark.usefixtures("db")
@pytest.mark.parametrize("role", sorted(DATA_ROLES), ids=str)
async def test_an_admin_cannot_take_a_data_role_nor_a_data_role_holder_become_admin(role: Role) -> None:
    # GIVEN an administrator, and a member of staff holding a data role (grid staff over a town)
    town = (await build_tree(grids=1, micro_grids_per_grid=0)).town if role is Role.GRID_STAFF else None
    admin = await make_user("admin.li", Role.ADMIN)
    staff = await make_user("staff.wang", role, cell=town)
    # WHEN the administrator grants itself the data role, or the staff member ADMIN (even the
    # command line, which acts as ADMIN), THEN both are refused
    with pytest.raises(PermissionDenied):
        await service.grant_role(
            actor=await actor_of(admin), user_id=admin.id, role=role, cell_id=town.id if town else None
        )
    with pytest.raises(PermissionDenied):
        await service.grant_role(actor=SYSTEM, user_id=staff.id, role=Role.ADMIN)
    assert (await _held(admin)) == [Role.ADMIN]
    assert (await _held(staff)) == [role]


@pytest.mark.usefixtures("db")
async def test_an_admin_may_still_be_a_resident() -> None:
    admin = await make_user("admin.li", Role.ADMIN)
    await service.grant_role(actor=SYSTEM, user_id=admin.id, role=Role.RESIDENT)
    assert (await _held(admin)) == [Role.ADMIN, Role.RESIDENT]


async def test_an_admin_cannot_grant_itself_bureau_staff_on_the_page_and_so_cannot_unmask(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN an administrator signed in, and a grid head with a mobile number
    admin = await make_user("admin.li", Role.ADMIN)
    head = await Person.create(name="周建国", mobile="13900001111")
    browser = await signed_in(client, "admin.li")
    await browser.open(f"/admin/users/{admin.id}")
    # WHEN they grant themselves BUREAU_STAFF
    response = await browser.submit(f"/admin/users/{admin.id}/roles", {"role": Role.BUREAU_STAFF.value})
    # THEN it is refused with the reason, and they still cannot unmask anyone
    assert response.status_code == 403
    assert "职责分离" in response.text
    assert (await _held(admin)) == [Role.ADMIN]
    with pytest.raises(PermissionDenied):
        await service.unmask_person(actor=await actor_of(admin), person_id=head.id, reason="核实")


@pytest.mark.usefixtures("db")
async def test_two_grants_at_once_cannot_join_admin_and_a_data_role() -> None:
    # GIVEN a plain resident
    user = await make_user("resident.zhao", Role.RESIDENT)

    async def grant(role: Role) -> tuple[float, float, bool]:
        started = time.perf_counter()
        try:
            await service.grant_role(actor=SYSTEM, user_id=user.id, role=role)
            granted = True
        except PermissionDenied:
            granted = False
        return started, time.perf_counter(), granted

    # WHEN ADMIN and BUREAU_STAFF are granted at the same moment, many times over
    for _ in range(3):
        await RoleAssignment.filter(user_id=user.id).exclude(role=Role.RESIDENT).delete()
        outcomes = await asyncio.gather(grant(Role.ADMIN), grant(Role.BUREAU_STAFF))
        # THEN the two really overlapped, and exactly one of them was granted
        assert max(o[0] for o in outcomes) < min(o[1] for o in outcomes)
        assert sum(o[2] for o in outcomes) == 1
        held = set(await _held(user))
        assert not (Role.ADMIN in held and held & DATA_ROLES)


@pytest.mark.usefixtures("db")
async def test_bureau_staff_cannot_manage_an_admin_account_but_an_admin_can() -> None:
    # GIVEN an administrator, a second one, and bureau staff
    admin = await make_user("admin.li", Role.ADMIN)
    other = await make_user("admin.zhou", Role.ADMIN)
    bureau = await actor_of(await make_user("bureau.chen", Role.BUREAU_STAFF))
    admin_role = await RoleAssignment.get(user_id=admin.id, role=Role.ADMIN)
    # WHEN bureau staff disable the administrator, grant them a role or revoke theirs
    attempts = [
        service.set_user_active(actor=bureau, user_id=admin.id, active=False),
        service.grant_role(actor=bureau, user_id=admin.id, role=Role.RESIDENT),
        service.revoke_role(actor=bureau, assignment_id=admin_role.id),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            await attempt
    # THEN nothing changed; and another administrator may do it
    assert (await User.get(id=admin.id)).is_active
    assert (await _held(admin)) == [Role.ADMIN]
    await service.set_user_active(actor=await actor_of(other), user_id=admin.id, active=False)
    assert not (await User.get(id=admin.id)).is_active


@pytest.fixture
def production() -> Iterator[None]:
    config.configure_production(True)
    yield
    config.configure_production(False)


async def _demo_user() -> User:
    user = await service.create_user(
        actor=SYSTEM, name="演示居民", username="demo.resident", password=PASSWORD, is_demo=True
    )
    await service.set_user_active(actor=SYSTEM, user_id=user.id, active=False)
    return user


@pytest.mark.usefixtures("db")
async def test_outside_production_a_demo_account_can_be_enabled() -> None:
    user = await _demo_user()
    await service.set_user_active(actor=SYSTEM, user_id=user.id, active=True)
    assert (await User.get(id=user.id)).is_active


@pytest.mark.usefixtures("production")
async def test_production_never_enables_creates_or_signs_in_a_demo_account(client: httpx.AsyncClient) -> None:
    # GIVEN production, with a disabled demo account (from before), and an administrator
    config.configure_production(False)
    user = await _demo_user()
    config.configure_production(True)
    await make_user("admin.li", Role.ADMIN)
    browser = await signed_in(client, "admin.li")
    await browser.open(f"/admin/users/{user.id}")
    # WHEN the administrator enables it on the page, or the command line does
    response = await browser.submit(f"/admin/users/{user.id}/active", {"active": "1"})
    assert response.status_code == 403
    assert "生产环境中不能启用演示账号" in response.text
    with pytest.raises(PermissionDenied):
        await service.set_user_active(actor=SYSTEM, user_id=user.id, active=True)
    # THEN it stays disabled; no new demo account can be made either
    assert not (await User.get(id=user.id)).is_active
    with pytest.raises(PermissionDenied):
        await service.create_user(
            actor=SYSTEM, name="演示", username="demo.two", password=PASSWORD, is_demo=True
        )
    # AND a demo account enabled behind the application's back still cannot sign in
    await User.filter(id=user.id).update(is_active=True)
    with pytest.raises(DomainError) as refused:
        await service.sign_in(actor=ANONYMOUS, identifier="demo.resident", password=PASSWORD)
    assert refused.value.code is ErrorCode.BAD_CREDENTIALS
    failed = await AuditEntry.get(action="auth.sign_in_failed", object_id=str(user.id))
    assert failed.summary["reason"] == "demo_in_production"


@pytest.mark.usefixtures("db")
async def test_violations_granted_before_the_rule_are_found() -> None:
    from domain.accounts import queries

    admin = await make_user("admin.li", Role.ADMIN)
    await make_user("bureau.chen", Role.BUREAU_STAFF)
    assert await queries.duty_violations(DATA_ROLES) == []
    await RoleAssignment.create(user_id=admin.id, role=Role.REVIEWER)  # as an old release allowed
    assert await queries.duty_violations(DATA_ROLES) == ["admin.li"]


def test_check_accounts_reports_an_admin_holding_a_data_role(tmp_path: Path) -> None:
    # GIVEN a migrated database with an administrator
    database = tmp_path / "linzhi.sqlite3"
    assert _cli(database, "migrate").returncode == 0
    created = _cli(
        database,
        "createadmin",
        "--username",
        "admin.li",
        "--name",
        "李管理",
        "--password-stdin",
        stdin=ADMIN_PASSWORD,
    )
    assert created.returncode == 0, created.stderr
    assert _cli(database, "check-accounts").returncode == 0
    # WHEN an old release had also made them bureau staff
    _execute(
        database,
        "INSERT INTO role_assignment (user_id, role, granted_at) "
        "SELECT id, 'BUREAU_STAFF', CURRENT_TIMESTAMP FROM app_user WHERE username = 'admin.li'",
    )
    # THEN the check names the account and fails
    result = _cli(database, "check-accounts")
    assert result.returncode == 1
    assert "admin.li" in result.stderr
    assert "职责分离" in result.stderr
