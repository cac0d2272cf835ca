"""A cached plan remembers how it rendered a domain rule (`Builder.rule`: per distinct actor and
filter) and how strawberry converted a field's arguments (per distinct values): what one actor's
request left behind never answers another's, and a rule's implicit input (the day a rating is
valid on) is part of what is remembered. Both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from api.compiler.planner import REQUEST_ONLY, Env, frozen
from domain import clock
from domain.access import Actor, Grant
from domain.accounts.models import Role
from domain.activities.models import Activity
from domain.clock import SHANGHAI
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id
from tests.compiler.conftest import RESOLVERS, App, build_world, canonical
from tests.compiler.test_organisations import DIRECTORY, _registry

FEED_AND_MINE = """query Both($subtree: ID!) {
  activities(filter: {subtree: $subtree}, first: 50) { totalCount nodes { id title narrative cell { id } } }
  myActivities(first: 50) { totalCount nodes { id title status } }
  gridCell(id: $subtree) { activities(first: 50) { totalCount nodes { id title } } }
}"""


async def test_a_remembered_rendering_never_answers_another_actor(app: App) -> None:
    # GIVEN the activity world, two leaders with their own records, two grid staff of different
    # grids (one plan variant for both), a resident and bureau staff
    world = await build_world()
    cast = world.cast
    near = await make_user("staff.near", Role.GRID_STAFF, cell=cast.tree.grids[0])
    headers = {
        **{name: world.headers[name] for name in ("resident", "author", "staff", "far_staff", "bureau")},
        "other_leader": await bearer(cast.users["leader.wang"]),
        "near_staff": await bearer(near),
    }
    usernames = {
        "resident": "resident.zhao",
        "author": "leader.li",
        "staff": "staff.zhou",
        "far_staff": "staff.far",
        "bureau": "bureau.chen",
        "other_leader": "leader.wang",
    }
    users = {name: cast.users[username].id for name, username in usernames.items()} | {"near_staff": near.id}
    variables = {"subtree": global_id("GridCell", cast.tree.community.id)}
    answers: dict[str, str] = {}
    owned: dict[str, int] = {}

    # WHEN each of them sends the same document with the same filter, twice, interleaved (every
    # request after the first finds the plan's memo filled by someone else)
    for _ in range(2):
        for actor, given in headers.items():
            body = await app.post(FEED_AND_MINE, variables, **given)
            resolved = await app.post(FEED_AND_MINE, variables, **given, **RESOLVERS)

            # THEN each answer is the compiled one and the resolvers' own
            assert body["extensions"] == {"readPath": "compiled"}, actor
            assert canonical(body) == canonical(resolved), actor
            # ... their own records are theirs alone, all of them
            mine = body["data"]["myActivities"]
            owned[actor] = await Activity.filter(author_user_id=users[actor]).count()
            assert mine["totalCount"] == owned[actor], actor
            assert answers.setdefault(actor, canonical(body)) == canonical(body), actor
    assert owned["author"] > 0
    assert owned["other_leader"] > 0
    # ... and the readers whose rights differ got different answers (grid staff of different
    # grids, the two leaders, a resident and staff), so nobody was answered with another's values
    assert len({answers[a] for a in ("near_staff", "far_staff", "author", "other_leader", "resident")}) == 5
    assert answers["resident"] != answers["staff"]  # (staff over the community see what the bureau sees)
    assert app.read_path.stats.planned < len(headers)  # the plan variants were shared


CELLS = """query Cells($search: String!, $kind: GridKind) {
  gridCells(filter: {search: $search, kind: $kind}, first: 10) { totalCount nodes { code name } }
}"""


async def test_remembered_arguments_follow_every_variable_they_name(app: App) -> None:
    # GIVEN the grid tree, and a document whose filter names variables inside an input object
    world = await build_world()
    tree = world.cast.tree
    asked = [
        {"search": tree.grids[0].code, "kind": "MICRO_GRID"},
        {"search": tree.grids[1].code, "kind": "MICRO_GRID"},
        {"search": tree.grids[1].code},  # an absent variable: no kind filter
        {"search": tree.grids[1].code, "kind": None},  # null: no kind filter either
        {"search": tree.grids[0].code, "kind": "MICRO_GRID"},
    ]
    answers = []
    for variables in asked:
        # WHEN each is sent to the same plan
        body = await app.post(CELLS, variables)
        resolved = await app.post(CELLS, variables, **RESOLVERS)
        # THEN each gets the resolvers' answer for its own values
        assert body["extensions"] == {"readPath": "compiled"}, variables
        assert canonical(body) == canonical(resolved), variables
        answers.append(body["data"]["gridCells"])
    micro = {c.code for c in tree.micro_grids}
    assert {n["code"] for n in answers[0]["nodes"]} < micro
    assert answers[0] != answers[1]
    assert answers[2]["totalCount"] == answers[3]["totalCount"] > answers[1]["totalCount"]
    assert answers[4] == answers[0]
    assert app.read_path.stats.planned == 2  # with a kind filter, and without one


def test_values_equal_but_written_differently_are_different_keys() -> None:
    # GIVEN the same instant in two zones, a number as int, float and bool, and null vs a value
    noon = datetime(2026, 12, 5, 12, tzinfo=UTC)
    # WHEN they are made keys  THEN none is taken for another
    assert frozen({"since": noon}) != frozen({"since": noon.astimezone(SHANGHAI)})
    assert len({frozen(1), frozen(1.0), frozen(True)}) == 3
    assert frozen({"filter": {"kind": None}}) != frozen({"filter": {}})
    assert frozen({"types": ["VISIT"]}) == frozen({"types": ["VISIT"]})


def test_rules_see_the_actor_without_the_requests_own_identifiers() -> None:
    # GIVEN two requests of the same account, and one of another account with the same role
    grant = (Grant(Role.GRID_STAFF, cell_id=7, cell_path="00000001.00000007."),)
    first = Actor(user_id=3, person_id=4, grants=grant, token_id=9, request_id="a", ip="10.0.0.1")
    again = Actor(user_id=3, person_id=4, grants=grant, token_id=9, request_id="b", ip="10.0.0.2")
    other = Actor(user_id=5, person_id=6, grants=grant, token_id=9, request_id="a", ip="10.0.0.1")

    def seen(actor: Actor) -> Actor:
        return Env(None, {}, actor, {}, lambda cell: None).rule_actor  # type: ignore[arg-type]

    # WHEN the rules' view of each is taken
    # THEN the same account gives one value (one memo entry), without the request identifiers
    assert seen(first) == seen(again)
    assert hash(seen(first)) == hash(seen(again))
    assert all(getattr(seen(first), name) is None for name in REQUEST_ONLY)
    # ... and another account is another key
    assert seen(first) != seen(other)


async def test_the_day_a_rating_must_be_valid_on_is_part_of_the_remembered_filter(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an organisation rated A4, valid until 2029-02-28, and the directory filtered on A4
    world = await build_world()
    await _registry(world)
    rated: dict[str, Any] = {"filter": {"rating": "A4"}, "first": 10}

    async def count_on(day: date) -> tuple[int, int]:
        monkeypatch.setattr(clock, "today", lambda: day)
        compiled = await app.post(DIRECTORY, rated)
        resolved = await app.post(DIRECTORY, rated, **RESOLVERS)
        assert compiled["extensions"] == {"readPath": "compiled"}
        return compiled["data"]["organisations"]["totalCount"], resolved["data"]["organisations"][
            "totalCount"
        ]

    # WHEN the same request is sent on the last valid day, the day after, and the last day again
    # THEN the organisation is listed, then not, then again, on both paths, with one plan
    assert await count_on(date(2029, 2, 28)) == (1, 1)
    assert await count_on(date(2029, 3, 1)) == (0, 0)
    assert await count_on(date(2029, 2, 28)) == (1, 1)
    assert app.read_path.stats.planned == 1
