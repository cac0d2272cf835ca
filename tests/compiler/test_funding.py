"""Venture funding's public reads on both read paths: the round list, a round by ID and a round's
published results give every actor the same answer from the resolvers and the compiled statement
(one statement); drafts are for bureau staff only and results are public only once publicised.
Both databases."""

from __future__ import annotations

from typing import Any

import pytest

from domain.access import Actor, Grant, Role
from domain.funding import allocation, applications, needs, rounds
from domain.funding.models import Application, AppStatus, FundingRound, RoundStage
from tests.api.graphql import global_id
from tests.compiler.conftest import App, World, build_world
from tests.compiler.test_differential import ACTORS, check
from tests.conftest import SqlLog
from tests.factories_funding import (
    CLERK,
    TODAY,
    open_round,
    registered_org,
    reviewed,
    round_input,
    submitted,
)

pytestmark = pytest.mark.usefixtures("funding_clerks")

ROUNDS = """
query ($first: Int, $after: String) {
  fundingRounds(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node {
      __typename id edition year title stage stageLabel poolFen capFen maxGrantSharePct
      minMatchingSharePct maxApplicationsPerOrg allowFiled publicityDays passMark
      secondApprovalOverFen openedAt isDemo
    } }
  }
}
"""
ONE = "query ($id: ID!) { fundingRound(id: $id) { id title stage stageLabel poolFen } }"
NODE = "query ($id: ID!) { node(id: $id) { __typename id ... on FundingRound { edition title } } }"
RESULTS = """
query ($round: ID!, $first: Int, $after: String) {
  fundingResults(round: $round, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id projectName targetGroup status statusLabel requestedFen awardFen submittedAt isDemo
      organisation { id name status } sponsor { name } }
  }
}
"""


async def _funding(world: World) -> dict[str, Any]:
    """A draft round, an open one and a round whose results are publicised: one application
    publicised (public), one waitlisted (not public), one not selected."""
    tree = world.cast.tree
    draft = await rounds.create_round(actor=CLERK, data=round_input(edition=9, title="第九届（草稿）"))
    await open_round(edition=2, title="第二届公益创投")
    org = await registered_org(tree)
    done = await open_round(edition=1, max_applications_per_org=3, pool_fen=2_035_000_00, cap_fen=300_000_00)
    made = [
        await submitted(tree, done, org, project_name=f"项目{i}", grant=grant, matching=grant)
        for i, grant in enumerate([30_000_00, 20_000_00, 10_000_00])
    ]
    shown, hidden, dropped = await reviewed(done, made)
    await allocation.award(
        actor=CLERK, application_id=shown.id, amount_fen=shown.requested_fen, reason="核定"
    )
    for application, to in ((hidden, AppStatus.WAITLISTED), (dropped, AppStatus.NOT_SELECTED)):
        await applications.staff_move(
            actor=CLERK, application_id=application.id, to=to, reason="按排名", today=TODAY
        )
    return {"draft": draft, "done": done, "shown": shown, "hidden": hidden}


async def test_rounds_are_the_same_on_both_paths_and_drafts_are_for_bureau_staff(
    app: App, sql_log: SqlLog
) -> None:
    # GIVEN a draft, an open round and a reviewing one
    world = await build_world()
    made = await _funding(world)
    draft: FundingRound = made["draft"]
    # WHEN every actor lists the rounds (two pages) and looks one up, on both paths
    await check(app, sql_log, world, ROUNDS, {"first": 2})
    page = await app.post(ROUNDS, {"first": 1})
    after = page["data"]["fundingRounds"]["pageInfo"]["endCursor"]
    await check(app, sql_log, world, ROUNDS, {"first": 1, "after": after})
    for round_ in (draft, made["done"]):
        await check(app, sql_log, world, ONE, {"id": global_id("FundingRound", round_.id)})
        await check(app, sql_log, world, NODE, {"id": global_id("FundingRound", round_.id)})
    # THEN the public sees no draft, bureau staff see it too
    public = await app.post(ROUNDS, {"first": 10})
    assert [n["node"]["edition"] for n in public["data"]["fundingRounds"]["edges"]] == [2, 1]
    assert public["data"]["fundingRounds"]["totalCount"] == 2
    assert (await app.post(ONE, {"id": global_id("FundingRound", draft.id)}))["data"] == {
        "fundingRound": None
    }
    staff = await app.post(ROUNDS, {"first": 10}, **world.headers["bureau"])
    assert [n["node"]["edition"] for n in staff["data"]["fundingRounds"]["edges"]] == [9, 2, 1]
    # a pool of 2,035,000 yuan is 203,500,000 fen, sent as a JSON integer
    assert public["data"]["fundingRounds"]["edges"][1]["node"]["poolFen"] == 203_500_000


async def test_results_are_public_only_once_publicised_and_the_same_on_both_paths(
    app: App, sql_log: SqlLog
) -> None:
    # GIVEN a round in review: one application publicised, one recommended, one not selected
    world = await build_world()
    made = await _funding(world)
    done: FundingRound = made["done"]
    variables = {"round": global_id("FundingRound", done.id), "first": 10}
    # WHEN the results are read while the round is still reviewing
    await check(app, sql_log, world, RESULTS, variables)
    # THEN nobody sees any result yet
    early = await app.post(RESULTS, variables, **world.headers["bureau"])
    assert early["data"]["fundingResults"] == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "nodes": [],
    }
    # WHEN the results are publicised
    await rounds.move_round(actor=CLERK, round_id=done.id, to=RoundStage.RESULTS_PUBLICIZED)
    await check(app, sql_log, world, RESULTS, variables)
    await check(app, sql_log, world, RESULTS, {**variables, "first": 1})
    # THEN every actor sees the publicised application only, with its award and organisation
    shown: Application = made["shown"]
    for actor in ACTORS:
        body = await app.post(RESULTS, variables, **world.headers[actor])
        nodes = body["data"]["fundingResults"]["nodes"]
        assert [(n["projectName"], n["awardFen"], n["organisation"]["name"]) for n in nodes] == [
            (shown.project_name, 30_000_00, "演示公益服务中心")
        ]


NEEDS = """
query ($round: ID!, $first: Int, $after: String) {
  fundingNeeds(round: $round, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { __typename id text status statusLabel createdAt cell { id code name } } }
  }
}
"""


async def test_published_needs_are_the_same_on_both_paths(app: App, sql_log: SqlLog) -> None:
    # GIVEN a round collecting needs: two published, one declined, one waiting; and a draft round
    world = await build_world()
    tree = world.cast.tree
    collecting = await rounds.create_round(actor=CLERK, data=round_input())
    await rounds.move_round(actor=CLERK, round_id=collecting.id, to=RoundStage.NEEDS_COLLECTION)
    resident = Actor(user_id=3001, display_name="resident", grants=(Grant(Role.RESIDENT),))
    decisions = [True, True, False, None]
    for i, publish in enumerate(decisions):
        cell = tree.community if i % 2 else tree.grids[0]
        need = await needs.submit_need(
            actor=resident, round_id=collecting.id, cell_id=cell.id, text=f"需求{i}：楼道照明需要改善"
        )
        if publish is not None:
            await needs.decide_need(actor=CLERK, need_id=need.id, publish=publish)
    variables = {"round": global_id("FundingRound", collecting.id), "first": 10}
    # WHEN every actor reads them, a page at a time too, on both paths
    await check(app, sql_log, world, NEEDS, variables)
    await check(app, sql_log, world, NEEDS, {**variables, "first": 1})
    # THEN the two published needs only
    body = await app.post(NEEDS, variables)
    assert [e["node"]["text"] for e in body["data"]["fundingNeeds"]["edges"]] == [
        "需求0：楼道照明需要改善",
        "需求1：楼道照明需要改善",
    ]
