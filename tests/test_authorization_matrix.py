"""Every mutation (and, below, every state-changing page) with every role and anonymous: the
outcome must match docs/permissions.md, and a denied request must change nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from domain.access import ALL_SCOPES, Role
from domain.audit.models import AuditEntry
from domain.grids.models import GridCell
from domain.people.models import Person
from domain.permissions import MATRIX, Access
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id, gql
from tests.factories import Tree, build_tree

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


def _expected(action: str, role: Role | None) -> bool:
    permission = next(p for p in MATRIX if p.action == action)
    return permission.access(role) in {Access.ALLOWED, Access.IN_SCOPE, Access.OWN}


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
