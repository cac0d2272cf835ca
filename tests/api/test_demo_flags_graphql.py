"""`isDemo` through GraphQL on the resolver-only fields (a cohort's plan, a session's enrolled
leaders, a person looked up by ID): generated objects say so, real ones do not, and every reader
who sees the object sees the flag (it is not personal data)."""

from __future__ import annotations

import httpx

from domain.access import Role
from domain.leaders.models import Cohort, MicroLeader, TrainingSession
from domain.people.models import Person
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id, gql
from tests.factories import build_tree
from tests.factories_leaders import build_training, enrol

RESOLVERS = {"x-linzhi-read-path": "resolvers"}

PLAN = """
query ($cohort: ID!, $session: ID!) {
  cohort(id: $cohort) { name isDemo sessions { title isDemo } }
  trainingSession(id: $session) { enrolledLeaders { name isDemo person { isDemo } } }
}
"""

PERSON = "query ($id: ID!) { node(id: $id) { ... on Person { name masked isDemo } } }"


async def test_generated_cohorts_sessions_leaders_and_people_say_so_to_every_reader(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a real cohort and a generated one, each with a session and an enrolled leader
    tree = await build_tree(grids=1, micro_grids_per_grid=2)
    real = await build_training(tree, leaders=1, required=1, elective=0)
    demo = await build_training(tree, leaders=1, required=1, elective=0)
    await enrol(real.sessions[0], real.leaders[0].leader)
    await enrol(demo.sessions[0], demo.leaders[0].leader)
    await Cohort.filter(id=demo.cohort.id).update(is_demo=True)
    await TrainingSession.filter(id=demo.sessions[0].id).update(is_demo=True)
    await MicroLeader.filter(id=demo.leaders[0].leader.id).update(is_demo=True)
    await Person.filter(id=demo.leaders[0].leader.person_id).update(is_demo=True)
    bureau = await bearer(await make_user("bureau.demo", Role.BUREAU_STAFF))
    for headers in ({}, bureau):
        # WHEN anonymous readers and bureau staff read both plans
        shown: dict[bool, tuple[bool, ...]] = {}
        for training in (real, demo):
            ids = {
                "cohort": global_id("Cohort", training.cohort.id),
                "session": global_id("TrainingSession", training.sessions[0].id),
            }
            body = await gql(client, PLAN, headers={**headers, **RESOLVERS}, **ids)
            cohort, session = body["data"]["cohort"], body["data"]["trainingSession"]
            leader = session["enrolledLeaders"][0]
            flags = (cohort["isDemo"], cohort["sessions"][0]["isDemo"], leader["isDemo"])
            shown[training is demo] = (*flags, leader["person"]["isDemo"])
        # THEN every generated object says so, and no real one does
        assert shown == {False: (False,) * 4, True: (True,) * 4}

    # AND a person looked up by ID (staff only) carries the flag too, beside the masked fields
    for training, flag in ((real, False), (demo, True)):
        person_id = global_id("Person", training.leaders[0].leader.person_id)
        body = await gql(client, PERSON, headers=bureau, id=person_id)
        assert body["data"]["node"]["isDemo"] is flag
        assert body["data"]["node"]["masked"] is True
