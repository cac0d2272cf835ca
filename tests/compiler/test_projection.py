"""A root connection's page CTE carries only the columns its readers name (`planner.Projection`):
PostgreSQL materializes, sorts and copies each page row once per reader, so a wide row (an
activity's narrative, an application's plan and JSON columns) cost every read its full width.
The answer stays the resolvers' answer."""

from __future__ import annotations

import re

from api.compiler.planner import Projection
from tests.api.graphql import global_id
from tests.compiler.conftest import RESOLVERS, App, build_world, canonical
from tests.conftest import SqlLog

NARROW = """query Narrow($subtree: ID!) {
  activities(filter: {subtree: $subtree}, first: 5) { nodes { id title } pageInfo { endCursor } }
}"""
WIDE = """query Wide($subtree: ID!) {
  activities(filter: {subtree: $subtree}, first: 5) { edges { cursor node { id title narrative } } }
}"""


def page_columns(statement: str) -> list[str]:
    match = re.search(r"WITH c\d+ AS MATERIALIZED \(SELECT (.*?) FROM activity ", statement)
    assert match is not None, statement[:300]
    return [column.split(".", 1)[1] for column in match.group(1).split(", ")]


async def test_the_page_carries_the_columns_its_readers_name(app: App, sql_log: SqlLog) -> None:
    world = await build_world()
    variables = {"subtree": global_id("GridCell", world.cast.tree.community.id)}
    cases = ((NARROW, {"title"}, {"narrative"}), (WIDE, {"title", "narrative"}, set()))
    for query, wanted, unwanted in cases:
        sql_log.reset()
        body = await app.post(query, variables, **world.headers["bureau"])
        assert body["extensions"]["readPath"] == "compiled"
        [compiled] = [s for s in sql_log.statements if s.startswith("WITH")]
        columns = page_columns(compiled)
        # the keyset first (the cursor and both orders), then what the selection and rules read
        assert columns[:2] == ["started_at", "id"]
        assert wanted <= set(columns)
        assert not unwanted & set(columns)
        assert "*" not in columns
        assert len(columns) == len(set(columns))
        resolvers = await app.post(query, variables, **world.headers["bureau"], **RESOLVERS)
        assert canonical(body) == canonical(resolvers)
        assert body["data"]["activities"]["edges" if query is WIDE else "nodes"]


def test_a_reference_it_cannot_read_keeps_every_column() -> None:
    cte = "WITH c2 AS MATERIALIZED (SELECT t1.* FROM x t1 WHERE t1.a = 1)"
    statement = cte + " SELECT t3.b, t30.c, t4.d FROM c2 t3"
    projection = Projection("t1", ("id",), ["t3", "t4"])
    narrowed = cte.replace("t1.*", "t1.id, t1.b, t1.d")
    assert projection.project(statement) == narrowed + " SELECT t3.b, t30.c, t4.d FROM c2 t3"
    for unreadable in ("t3.*", 't3."b"'):
        kept = statement.replace("t3.b", unreadable)
        assert Projection("t1", ("id",), ["t3"]).project(kept) == kept
