"""Every mutation (and, below, every state-changing page) with every role and anonymous: the
outcome must match docs/permissions.md, and a denied request must change nothing."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.routing import Route

from domain.access import ALL_SCOPES, Role
from domain.accounts import service
from domain.accounts.models import ApiToken, RoleAssignment, Session, User
from domain.accounts.service import SYSTEM
from domain.audit.models import AuditEntry
from domain.grids.models import GridCell
from domain.people.models import Person
from domain.permissions import MATRIX, Access, Permission
from tests.accounts import PASSWORD, actor_of, make_user
from tests.api.graphql import bearer, global_id, gql
from tests.factories import Tree, build_tree
from tests.web.session import Browser, signed_in
from web.app import web_routes

ACTORS: list[Role | None] = [None, *Role]


@dataclass
class World:
    tree: Tree
    head: Person


async def _world() -> World:
    tree = await build_tree(grids=1, micro_grids_per_grid=1, households=40)
    head = await Person.create(name="周建国", mobile="13900001111")
    await GridCell.filter(id=tree.grids[0].id).update(head_id=head.id)
    return World(tree, head)


async def _headers(role: Role | None, world: World) -> dict[str, str]:
    if role is None:
        return {}
    scope = world.tree.community if role is Role.GRID_STAFF else None
    user = await make_user(f"matrix.{role.value.lower()}", role, cell=scope)
    return await bearer(user, *ALL_SCOPES)


async def _snapshot(world: World) -> tuple[object, ...]:
    grid = await GridCell.get(id=world.tree.grids[0].id)
    audit = await AuditEntry.exclude(action__in=["user.create", "role.grant", "token.create"]).count()
    return grid.name, grid.households, audit


GRID_UPDATE = """mutation ($input: GridCellUpdateInput!) {
  gridCellUpdate(input: $input) { gridCell { name } userErrors { code } } }"""

UNMASK = """mutation ($input: PersonUnmaskInput!) {
  personUnmask(input: $input) { person { mobile } userErrors { code } } }"""


async def _grid_update(client: httpx.AsyncClient, headers: dict[str, str], world: World) -> bool:
    cell = global_id("GridCell", world.tree.grids[0].id)
    body = await gql(client, GRID_UPDATE, headers=headers, input={"id": cell, "name": "改名网格"})
    return bool(body["data"] and body["data"]["gridCellUpdate"]["gridCell"])


async def _unmask(client: httpx.AsyncClient, headers: dict[str, str], world: World) -> bool:
    person = global_id("Person", world.head.id)
    body = await gql(client, UNMASK, headers=headers, input={"id": person, "reason": "权限矩阵测试"})
    return bool(body["data"] and body["data"]["personUnmask"]["person"])


Operation = Callable[[httpx.AsyncClient, dict[str, str], World], Awaitable[bool]]
GRAPHQL_OPERATIONS: dict[str, Operation] = {"grid.update": _grid_update, "person.unmask": _unmask}


def _expected(action: str, role: Role | None, *, limited_allowed: bool = False) -> bool:
    """Whether the matrix allows it; `部分` (LIMITED) cells say which part in the test case."""
    access = next(p for p in MATRIX if p.action == action).access(role)
    return access in {Access.ALLOWED, Access.IN_SCOPE, Access.OWN} or (
        access is Access.LIMITED and limited_allowed
    )


async def test_unmasking_with_a_token_needs_its_scope(client: httpx.AsyncClient) -> None:
    # GIVEN bureau staff (allowed to unmask anyone) with a token of every scope but unmask:people
    world = await _world()
    staff = await make_user("matrix.bureau", Role.BUREAU_STAFF)
    others = [scope for scope in ALL_SCOPES if scope != "unmask:people"]
    # WHEN they unmask with it, THEN it is refused; with the scope it is allowed
    assert not await _unmask(client, await bearer(staff, *others), world)
    assert not await AuditEntry.filter(action="person.unmask").exists()
    assert await _unmask(client, await bearer(staff, "unmask:people"), world)


@pytest.mark.parametrize("action", sorted(GRAPHQL_OPERATIONS))
@pytest.mark.parametrize("role", ACTORS, ids=lambda r: "anonymous" if r is None else r.value)
async def test_graphql_mutations_follow_the_matrix(
    client: httpx.AsyncClient, action: str, role: Role | None
) -> None:
    # GIVEN a grid with a head, and an actor of `role` (grid staff scoped over that grid)
    world = await _world()
    headers = await _headers(role, world)
    before = await _snapshot(world)
    # WHEN the actor attempts the mutation
    allowed = await GRAPHQL_OPERATIONS[action](client, headers, world)
    # THEN the outcome is the documented one, and a refusal changed nothing
    assert allowed is _expected(action, role)
    if not allowed:
        assert await _snapshot(world) == before


# ---------- state-changing page routes ----------


@dataclass
class PageWorld:
    """A resident to act on (with a reviewer role and a token), an administrator's role to try to
    revoke, and the acting browser: signed in through the sign-in page, or anonymous with the
    CSRF token of that page's form."""

    browser: Browser
    actor: User | None
    own_token: ApiToken | None
    target: User
    target_token: ApiToken
    reviewer_role: RoleAssignment
    admin_role: RoleAssignment
    plain: User
    """A resident without any data role: one an ADMIN role may be granted to."""
    other_admin: User


async def _page_world(client: httpx.AsyncClient, role: Role | None) -> PageWorld:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    target = await make_user("matrix.target", Role.RESIDENT)
    target_token = (await service.create_token(actor=await actor_of(target), name="居民的令牌")).token
    reviewer_role = await service.grant_role(actor=SYSTEM, user_id=target.id, role=Role.REVIEWER)
    other_admin = await make_user("matrix.admin.other", Role.ADMIN)
    admin_role = await RoleAssignment.get(user_id=other_admin.id)
    plain = await make_user("matrix.plain", Role.RESIDENT)
    people = (target, target_token, reviewer_role, admin_role, plain, other_admin)
    if role is None:
        browser = Browser(client)
        await browser.open("/signin")
        return PageWorld(browser, None, None, *people)
    actor = await make_user(
        f"matrix.{role.value.lower()}", role, cell=tree.community if role is Role.GRID_STAFF else None
    )
    own_token = (await service.create_token(actor=await actor_of(actor), name="本人令牌")).token
    browser = await signed_in(client, actor.username)
    await browser.open("/account")
    return PageWorld(browser, actor, own_token, *people)


async def _page_snapshot(world: PageWorld) -> tuple[object, ...]:
    actor = await User.get(id=world.actor.id) if world.actor else None
    return (
        await User.all().count(),
        await Session.filter(revoked_at__isnull=True).count(),
        await ApiToken.all().count(),
        await ApiToken.filter(revoked_at__isnull=True).count(),
        await RoleAssignment.filter(revoked_at__isnull=True).count(),
        (await User.get(id=world.target.id)).is_active,
        (await User.get(id=world.other_admin.id)).is_active,
        actor.password_hash if actor else None,
        await AuditEntry.all().count(),
    )


async def _sign_out(world: PageWorld) -> bool:
    await world.browser.submit("/signout")
    return (
        world.actor is not None
        and await Session.filter(user_id=world.actor.id, revoked_at__isnull=False).exists()
    )


async def _change_password(world: PageWorld) -> bool:
    new = "Matrix-Pass-2026"
    await world.browser.submit("/account/password", {"current": PASSWORD, "new": new, "confirm": new})
    return (
        world.actor is not None
        and (await User.get(id=world.actor.id)).password_hash != world.actor.password_hash
    )


async def _create_token(world: PageWorld) -> bool:
    await world.browser.submit("/account/tokens", {"name": "矩阵令牌", "days": "30"})
    return await ApiToken.filter(name="矩阵令牌").exists()


async def _revoke_token(world: PageWorld) -> bool:
    token = world.own_token or world.target_token
    await world.browser.submit(f"/account/tokens/{token.id}/revoke")
    return (await ApiToken.get(id=token.id)).revoked_at is not None


async def _create_user(world: PageWorld) -> bool:
    form = {"name": "矩阵新用户", "username": "matrix.new", "password": "Matrix-Pass-2026"}
    await world.browser.submit("/admin/users", form)
    return await User.filter(username="matrix.new").exists()


def _disable(who: str) -> Callable[[PageWorld], Awaitable[bool]]:
    async def disable(world: PageWorld) -> bool:
        user: User = getattr(world, who)
        await world.browser.submit(f"/admin/users/{user.id}/active", {"active": "0"})
        return not (await User.get(id=user.id)).is_active

    return disable


def _edit(who: str) -> Callable[[PageWorld], Awaitable[bool]]:
    async def edit(world: PageWorld) -> bool:
        user: User = getattr(world, who)
        await world.browser.submit(f"/admin/users/{user.id}", {"name": "改后的名字", "mobile": ""})
        return (await Person.get(id=user.person_id)).name == "改后的名字"

    return edit


def _reset_password(who: str) -> Callable[[PageWorld], Awaitable[bool]]:
    async def reset(world: PageWorld) -> bool:
        user: User = getattr(world, who)
        await world.browser.submit(f"/admin/users/{user.id}/password")
        return (await User.get(id=user.id)).must_change_password

    return reset


def _unlock(who: str) -> Callable[[PageWorld], Awaitable[bool]]:
    async def unlock(world: PageWorld) -> bool:
        user: User = getattr(world, who)
        await User.filter(id=user.id).update(locked_until=datetime.now(UTC) + timedelta(minutes=15))
        await world.browser.submit(f"/admin/users/{user.id}/unlock")
        return (await User.get(id=user.id)).locked_until is None

    return unlock


def _grant(role: Role, to: str = "target") -> Callable[[PageWorld], Awaitable[bool]]:
    async def grant(world: PageWorld) -> bool:
        user: User = getattr(world, to)
        await world.browser.submit(f"/admin/users/{user.id}/roles", {"role": role.value})
        return await RoleAssignment.filter(user_id=user.id, role=role, revoked_at__isnull=True).exists()

    return grant


def _revoke(which: str) -> Callable[[PageWorld], Awaitable[bool]]:
    async def revoke(world: PageWorld) -> bool:
        assignment: RoleAssignment = getattr(world, which)
        await world.browser.submit(f"/admin/roles/{assignment.id}/revoke")
        return (await RoleAssignment.get(id=assignment.id)).revoked_at is not None

    return revoke


@dataclass(frozen=True)
class PageCase:
    action: str
    attempt: Callable[[PageWorld], Awaitable[bool]]
    limited_allowed: bool = False
    """For a `部分` cell: whether this case is inside the part that is allowed."""


# Every state-changing page route (tests/web checks that this is all of them), by matrix action.
PAGE_ROUTES: dict[str, PageCase] = {
    "POST /signout": PageCase("account.sign_out", _sign_out),
    "POST /account/password": PageCase("account.password", _change_password),
    "POST /account/tokens": PageCase("token.manage", _create_token),
    "POST /account/tokens/{id}/revoke": PageCase("token.manage", _revoke_token),
    "POST /admin/users": PageCase("user.manage", _create_user, limited_allowed=True),
    "POST /admin/users/{id}/active": PageCase("user.manage", _disable("target"), limited_allowed=True),
    # Only an ADMIN manages an ADMIN's account (the part of user.manage bureau staff lack).
    "POST /admin/users/{id}/active (an ADMIN)": PageCase("user.manage", _disable("other_admin")),
    "POST /admin/users/{id}": PageCase("user.manage", _edit("target"), limited_allowed=True),
    "POST /admin/users/{id} (an ADMIN)": PageCase("user.manage", _edit("other_admin")),
    "POST /admin/users/{id}/password": PageCase(
        "user.manage", _reset_password("target"), limited_allowed=True
    ),
    "POST /admin/users/{id}/password (an ADMIN)": PageCase("user.manage", _reset_password("other_admin")),
    "POST /admin/users/{id}/unlock": PageCase("user.manage", _unlock("target"), limited_allowed=True),
    "POST /admin/users/{id}/unlock (an ADMIN)": PageCase("user.manage", _unlock("other_admin")),
    "POST /admin/users/{id}/roles (ORGANISER)": PageCase(
        "role.grant", _grant(Role.ORGANISER), limited_allowed=True
    ),
    "POST /admin/users/{id}/roles (ADMIN)": PageCase("role.grant", _grant(Role.ADMIN, "plain")),
    "POST /admin/users/{id}/roles (RESIDENT to an ADMIN)": PageCase(
        "role.grant", _grant(Role.RESIDENT, "other_admin")
    ),
    "POST /admin/roles/{id}/revoke (REVIEWER)": PageCase(
        "role.grant", _revoke("reviewer_role"), limited_allowed=True
    ),
    "POST /admin/roles/{id}/revoke (ADMIN)": PageCase("role.grant", _revoke("admin_role")),
}


@pytest.mark.parametrize("route", list(PAGE_ROUTES))
@pytest.mark.parametrize("role", ACTORS, ids=lambda r: "anonymous" if r is None else r.value)
async def test_page_routes_follow_the_matrix(
    client: httpx.AsyncClient, route: str, role: Role | None
) -> None:
    # GIVEN an actor of `role` in a browser signed in through the sign-in page (or anonymous)
    case = PAGE_ROUTES[route]
    world = await _page_world(client, role)
    before = await _page_snapshot(world)
    # WHEN they post the route's form, with the page's CSRF token
    allowed = await case.attempt(world)
    # THEN the outcome is the documented one, and a refusal changed nothing
    assert allowed is _expected(case.action, role, limited_allowed=case.limited_allowed)
    answer = world.browser.last
    assert answer is not None
    assert answer.status_code < 500
    assert "请求已过期" not in answer.text  # refused by the policy, not by the CSRF check
    if not allowed:
        assert await _page_snapshot(world) == before


def _permission(action: str) -> Permission:
    return next(p for p in MATRIX if p.action == action)


SESSION_ONLY_ROUTES = [route for route, case in PAGE_ROUTES.items() if _permission(case.action).session_only]


@pytest.mark.parametrize("route", SESSION_ONLY_ROUTES)
async def test_session_only_page_routes_refuse_bearer_tokens(client: httpx.AsyncClient, route: str) -> None:
    # GIVEN an administrator (allowed every one of these in a browser) whose browser holds the
    # page's CSRF cookie and token, but who acts with an API token carrying every scope
    case = PAGE_ROUTES[route]
    world = await _page_world(client, Role.ADMIN)
    assert world.actor is not None
    client.headers["authorization"] = (await bearer(world.actor, *ALL_SCOPES))["authorization"]
    client.cookies.delete("linzhi_session")
    before = await _page_snapshot(world)
    # WHEN they post the route's form
    allowed = await case.attempt(world)
    # THEN it is refused (not by the CSRF check), and nothing changed
    answer = world.browser.last
    assert answer is not None
    assert (allowed, answer.status_code) == (False, 403)
    assert "请求已过期" not in answer.text
    assert await _page_snapshot(world) == before


def _route_shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def test_the_walk_covers_every_state_changing_page_route() -> None:
    # Signing in is open to everyone by design (rate-limited and audited), so it is not walked.
    posting = {
        _route_shape(route.path)
        for route in web_routes()
        if isinstance(route, Route) and "POST" in (route.methods or set())
    }
    from tests.test_authorization_matrix_funding_pages import FUNDING_PAGE_ROUTES
    from tests.test_authorization_matrix_funding_staff_pages import ROUTES as FUNDING_STAFF_PAGE_ROUTES
    from tests.test_authorization_matrix_leader_pages import LEADER_PAGE_ROUTES
    from tests.test_authorization_matrix_organisation_pages import ORGANISATION_PAGE_ROUTES
    from tests.test_authorization_matrix_panel_pages import PANEL_PAGE_ROUTES

    pages = [
        *PAGE_ROUTES,
        *LEADER_PAGE_ROUTES,
        *ORGANISATION_PAGE_ROUTES,
        *PANEL_PAGE_ROUTES,
        *FUNDING_PAGE_ROUTES,
        *FUNDING_STAFF_PAGE_ROUTES,
    ]
    walked = {_route_shape(name.split()[1]) for name in pages}
    assert posting - {"/signin"} == walked
