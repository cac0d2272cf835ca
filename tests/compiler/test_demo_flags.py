"""`isDemo` on cohorts, micro-leaders, training sessions, activities and people: the compiled read
path answers what the resolvers answer, in one statement, for every kind of reader (the flag is
visible to whoever sees the object: it says nothing personal)."""

from __future__ import annotations

from typing import Any

from domain.leaders.models import Cohort
from tests.api.graphql import global_id
from tests.compiler.conftest import App, build_world
from tests.compiler.test_differential import ACTORS, check
from tests.conftest import SqlLog
from tests.factories_leaders import make_session

DEMO = """
query ($real: ID!, $demo: ID!, $leader: ID!, $otherLeader: ID!) {
  activities(first: 40) { nodes { title isDemo leader { isDemo person { isDemo } } } }
  microLeaders(first: 10) { nodes { name isDemo person { name masked isDemo } cohort { name isDemo } } }
  cohorts { name yearUnverified isDemo }
  real: trainingSession(id: $real) { title isDemo cohort { name isDemo } }
  demo: trainingSession(id: $demo) { title isDemo cohort { name isDemo } }
  leader: microLeader(id: $leader) { isDemo person { isDemo } }
  other: microLeader(id: $otherLeader) { isDemo person { isDemo } }
  nodes(ids: [$real, $demo, $leader, $otherLeader]) {
    ... on TrainingSession { isDemo } ... on MicroLeader { isDemo }
  }
}
"""


async def test_is_demo_matches_on_both_paths_and_tells_demo_from_real(app: App, sql_log: SqlLog) -> None:
    # GIVEN the world (the other leader, their person and two of their records are demo data),
    # a generated cohort with a generated session, and a real session in the real cohort
    world = await build_world()
    cast = world.cast
    real_cohort = await Cohort.get(id=cast.leader_row.cohort_id)  # type: ignore[attr-defined]
    demo_cohort = await Cohort.create(name="演示第一期", year=2019, is_demo=True)
    real = await make_session(real_cohort, title="真实场次")
    demo = await make_session(demo_cohort, title="演示场次")
    await demo.filter(id=demo.id).update(is_demo=True)
    variables: dict[str, Any] = {
        "real": global_id("TrainingSession", real.id),
        "demo": global_id("TrainingSession", demo.id),
        "leader": global_id("MicroLeader", cast.leader_row.id),
        "otherLeader": global_id("MicroLeader", cast.other_leader_row.id),
    }
    # WHEN every actor reads them on both paths THEN (in `check`) the answers agree, in one statement
    await check(app, sql_log, world, DEMO, variables)
    # AND every reader, anonymous included, sees which objects are generated
    for actor in ACTORS:
        data = (await app.post(DEMO, variables, **world.headers[actor]))["data"]
        assert data["real"] == {
            "title": "真实场次",
            "isDemo": False,
            "cohort": {"name": "测试第一期", "isDemo": False},
        }
        assert data["demo"] == {
            "title": "演示场次",
            "isDemo": True,
            "cohort": {"name": "演示第一期", "isDemo": True},
        }
        assert {c["name"]: c["isDemo"] for c in data["cohorts"]} == {"演示第一期": True, "测试第一期": False}
        assert data["leader"] == {"isDemo": False, "person": {"isDemo": False}}
        assert data["other"] == {"isDemo": True, "person": {"isDemo": True}}
        assert [n["isDemo"] for n in data["nodes"]] == [False, True, False, True]
        titles = {n["title"]: n["isDemo"] for n in data["activities"]["nodes"]}
        assert titles["第二网格"] is True  # the other leader's published record
        assert titles.get("草稿", False) is False  # real (absent for those who may not see it)
