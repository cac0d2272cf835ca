"""Request values reach a cached plan only through the planner's recorded hooks (`Builder.dyn`,
`decide` and those built on them; the request itself is `Builder._env`, private to the planner):
actors sending the same document share its cache entry, actors of the same shape share one
plan variant, and each still gets their own answer — the one the resolvers give, and the one the
visibility rules of docs/domain.md give, worked out here from the rows themselves."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from api.compiler.planner import Plan
from domain.accounts.models import Role
from domain.activities.models import Activity, ActivityStatus
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id
from tests.compiler.conftest import RESOLVERS, App, build_world, canonical

ROOT = Path(__file__).resolve().parents[2]

SHARED = """query Shared($subtree: ID!) {
  activities(filter: {subtree: $subtree}, first: 50) { totalCount nodes { id title status narrative } }
}"""


def variants(app: App) -> list[Plan]:
    """The plan variants cached for SHARED (exactly one cache entry holds them)."""
    entries = [plans for (_, query, _), plans in app.read_path.plans.items() if query == SHARED]
    assert len(entries) == 1
    return list(entries[0])


def expected(rows: list[Activity], grid_id: int | None = None, sees_all: bool = False) -> dict[str, Any]:
    """The feed by the rules of docs/domain.md: bureau staff see every record; grid staff every
    record of their grid (any status); everyone the verified, published ones, whose narrative only
    when its details are published too. Newest first."""

    def full_view(row: Activity) -> bool:
        return sees_all or (grid_id is not None and row.grid_id == grid_id)

    def published(row: Activity, details: bool = False) -> bool:
        return row.status is ActivityStatus.VERIFIED and row.is_public and (row.details_public or not details)

    seen = sorted(
        (row for row in rows if full_view(row) or published(row)),
        key=lambda row: (row.started_at, row.id),
        reverse=True,
    )
    nodes = [
        {
            "id": global_id("Activity", row.id),
            "title": row.title,
            "status": row.status.name,
            "narrative": row.narrative if full_view(row) or published(row, details=True) else None,
        }
        for row in seen
    ]
    return {"data": {"activities": {"totalCount": len(nodes), "nodes": nodes}}}


async def test_actors_share_the_documents_plans_and_each_gets_their_own_answer(app: App) -> None:
    world = await build_world()
    tree = world.cast.tree
    near_staff = await make_user("staff.near", Role.GRID_STAFF, cell=tree.grids[0])
    headers = {**world.headers, "near_staff": await bearer(near_staff)}
    variables = {"subtree": global_id("GridCell", tree.community.id)}
    rows = await Activity.filter(cell_path__startswith=tree.community.path).order_by("id")
    expectations = {
        "anonymous": expected(rows),
        "bureau": expected(rows, sees_all=True),
        "far_staff": expected(rows, grid_id=tree.grids[1].id),  # staff.far: a grid staff of grid 2
        "near_staff": expected(rows, grid_id=tree.grids[0].id),  # staff.near: the same role, grid 1
    }
    stats = app.read_path.stats

    async def ask(actor: str) -> None:
        body = await app.post(SHARED, variables, **headers[actor])
        assert body["extensions"] == {"readPath": "compiled"}, actor
        resolved = await app.post(SHARED, variables, **headers[actor], **RESOLVERS)
        assert canonical(body) == canonical(resolved), actor
        assert canonical(body) == canonical(expectations[actor]), actor

    await ask("anonymous")
    await ask("bureau")  # the same cache entry; another variant (bureau staff's feed has no filter)
    assert (stats.planned, len(variants(app))) == (2, 2)
    await ask("anonymous")  # anonymous' variant again
    await ask("far_staff")  # grid staff: a third shape
    assert (stats.planned, len(variants(app))) == (3, 3)
    shared = variants(app)
    await ask("near_staff")  # another grid, the same shape: far_staff's plan, with near_staff's values
    await ask("bureau")
    await ask("far_staff")
    assert stats.planned == 3
    assert all(a is b for a, b in zip(variants(app), shared, strict=True))
    # the answers differ where the actors' rights do, so no actor got another's baked-in values
    assert len({canonical(e) for e in expectations.values()}) == 4


def test_the_request_is_read_only_inside_the_planner() -> None:
    """`Builder._env` (the request) is used by `api/compiler/planner.py` alone: mappings reach
    request values through `b.dyn`, `b.decide`, `b.q`, `b.filtered`, `b.arguments` ..."""
    readers = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "api").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and _reads_the_request(node)
    }
    assert readers == {"api/compiler/planner.py"}


def _reads_the_request(node: ast.Attribute) -> bool:
    builder = isinstance(node.value, ast.Name) and node.value.id in ("b", "builder")
    return node.attr == "_env" or (node.attr == "env" and builder)


def test_a_planned_piece_that_reads_the_clock_is_volatile() -> None:
    """A plan's parameters are memoised under the request's variables, its actor and the day
    (`planner.bind_key`): a `dyn` whose function reads the time of day must say `volatile=True`,
    or every later request would get the first one's time."""
    clock_readers = ("now", "utcnow", "time", "monotonic", "perf_counter")
    unmarked = []
    for path in (ROOT / "api").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr != "dyn" or any(k.arg == "volatile" for k in node.keywords):
                continue
            called = {
                inner.func.attr if isinstance(inner.func, ast.Attribute) else getattr(inner.func, "id", "")
                for argument in node.args
                for inner in ast.walk(argument)
                if isinstance(inner, ast.Call)
            }
            if called & set(clock_readers):
                unmarked.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert unmarked == []
