"""Venture funding over GraphQL: what each reader sees (no draft round and no unpublished
application for the public, an application's own organisers and bureau staff in full, the
timeline's actors masked for the public), money rules as userErrors on their fields all at once,
two simultaneous awards over the pool, amounts beyond 32 bits, and the exact statements of every
list. Both databases."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from domain.access import Role
from domain.accounts import service as accounts
from domain.accounts.service import SYSTEM
from domain.funding import allocation, applications, needs, rounds
from domain.funding.models import Application, AppStatus, FundingRound, RoundStage
from domain.organisations.models import Organisation
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id, gql
from tests.conftest import SqlLog
from tests.factories import Tree, build_tree
from tests.factories_funding import (
    CLERK,
    TODAY,
    approved,
    open_round,
    organiser,
    registered_org,
    reviewed,
    round_input,
    submitted,
)

pytestmark = pytest.mark.usefixtures("funding_clerks")

RESOLVERS = {"x-linzhi-read-path": "resolvers"}
APPLICATION = """
query ($id: ID!) { node(id: $id) { ... on Application {
  projectName status awardFen problem budgetLines { amountFen fundedBy }
  timeline { toStatus actor reason } organisation { name } round { edition }
} } }
"""
MINE = """
query ($first: Int) { myApplications(first: $first) {
  totalCount nodes { projectName status budgetLines { amount } organisation { name } } } }
"""
STAFF_LIST = """
query ($round: ID!, $status: ApplicationStatus) { applications(round: $round, status: $status, first: 10) {
  totalCount nodes { projectName status requested problem organisation { name } timeline { actor } } } }
"""


async def _headers(username: str, role: Role | None, org: Organisation | None = None) -> dict[str, str]:
    user = await make_user(username, *([role] if role else []))
    if org is not None:
        await accounts.grant_role(actor=SYSTEM, user_id=user.id, role=Role.ORGANISER, organisation_id=org.id)
    return await bearer(user, "write:funding")


async def _round_with_results(tree: Tree) -> tuple[FundingRound, list[Application], list[Organisation]]:
    """A round in review: `shown` of the first organisation publicised, `hidden` of the second
    waitlisted (not public), `dropped` of the first not selected."""
    first, second = await registered_org(tree), await registered_org(tree, "演示邻里服务社")
    funding_round = await open_round(max_applications_per_org=3)
    made = [
        await submitted(tree, funding_round, org, project_name=name)
        for name, org in (("银龄食堂", first), ("四点半课堂", second), ("楼道花园", first))
    ]
    shown, hidden, dropped = await reviewed(funding_round, made)
    await allocation.award(actor=CLERK, application_id=shown.id, amount_fen=30_000_00, reason="核定")
    for application, to in ((hidden, AppStatus.WAITLISTED), (dropped, AppStatus.NOT_SELECTED)):
        await applications.staff_move(
            actor=CLERK, application_id=application.id, to=to, reason="按排名", today=TODAY
        )
    return funding_round, [shown, hidden, dropped], [first, second]


async def _statements(
    client: httpx.AsyncClient, sql_log: SqlLog, query: str, headers: dict[str, str], **variables: Any
) -> tuple[dict[str, Any], int]:
    """The answer and the statements it cost beyond authentication (warm: a token's first use
    costs more)."""
    await gql(client, "{ __typename }", headers=headers)
    sql_log.reset()
    await gql(client, "{ __typename }", headers=headers)
    baseline = sql_log.count
    sql_log.reset()
    body = await gql(client, query, headers=headers, **variables)
    return body, sql_log.count - baseline


async def test_the_public_sees_an_application_only_once_published_and_only_its_public_fields(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a round in review with an application awarded and one waitlisted
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    funding_round, (shown, hidden, _), (first, _) = await _round_with_results(tree)
    shown_id, hidden_id = global_id("Application", shown.id), global_id("Application", hidden.id)
    # WHEN the public looks the publicised one up before the results are public
    before = await gql(client, APPLICATION, id=shown_id)
    # THEN it is not there
    assert before["data"] == {"node": None}
    # WHEN the results are publicised
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.RESULTS_PUBLICIZED)
    public = (await gql(client, APPLICATION, id=shown_id))["data"]["node"]
    unpublished = (await gql(client, APPLICATION, id=hidden_id))["data"]["node"]
    # THEN the public sees the publicised one without its plan, budget or reasons, its actors masked
    assert unpublished is None
    assert (public["projectName"], public["awardFen"], public["problem"], public["budgetLines"]) == (
        "银龄食堂",
        30_000_00,
        None,
        [],
    )
    assert {e["reason"] for e in public["timeline"]} == {None}
    assert [e["actor"] for e in public["timeline"]][-1] == "c*********"  # clerk.wang, masked
    # ... while its own organiser sees it in full, and bureau staff see the unpublished one too
    own = await _headers("org.first", None, first)
    full = (await gql(client, APPLICATION, headers=own, id=shown_id))["data"]["node"]
    assert full["problem"]
    assert len(full["budgetLines"]) == 2
    assert full["timeline"][-1] == {
        "toStatus": "PUBLICIZING",
        "actor": "clerk.wang",
        "reason": "拟资助项目进入公示",
    }
    staff = await _headers("clerk.zhou", Role.BUREAU_STAFF)
    assert (await gql(client, APPLICATION, headers=staff, id=hidden_id))["data"]["node"][
        "status"
    ] == "WAITLISTED"


async def test_the_public_sees_no_draft_round(client: httpx.AsyncClient) -> None:
    # GIVEN a draft round and an open one
    draft = await rounds.create_round(actor=CLERK, data=round_input(edition=3, title="第三届（草稿）"))
    await open_round()
    query = "query ($id: ID!) { fundingRound(id: $id) { title } node(id: $id) { id } }"
    rounds_query = "{ fundingRounds(first: 10) { totalCount nodes { edition } } }"
    staff = await _headers("clerk.zhou", Role.BUREAU_STAFF)
    # WHEN the public and bureau staff read the rounds, on both read paths
    for headers in ({}, RESOLVERS):
        public = await gql(client, rounds_query, headers=headers)
        assert public["data"]["fundingRounds"] == {"totalCount": 1, "nodes": [{"edition": 1}]}
        one = await gql(client, query, headers=headers, id=global_id("FundingRound", draft.id))
        assert one["data"] == {"fundingRound": None, "node": None}
    # THEN only staff see the draft
    listed = await gql(client, rounds_query, headers=staff)
    assert listed["data"]["fundingRounds"]["nodes"] == [{"edition": 3}, {"edition": 1}]


async def test_an_organiser_sees_their_own_applications_only_and_staff_see_all(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    # GIVEN applications of two organisations in one round, and an organiser of the first
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    funding_round, _, (first, _) = await _round_with_results(tree)
    own = await _headers("org.first", None, first)
    staff = await _headers("clerk.zhou", Role.BUREAU_STAFF)
    # WHEN the organiser lists their applications
    body, statements = await _statements(client, sql_log, MINE, own, first=10)
    # THEN only the first organisation's two, with their budgets: the page, the count, the budget
    # lines and the organisation (one batch each)
    mine = body["data"]["myApplications"]
    assert mine["totalCount"] == 2
    assert {(n["projectName"], n["organisation"]["name"]) for n in mine["nodes"]} == {
        ("银龄食堂", "演示公益服务中心"),
        ("楼道花园", "演示公益服务中心"),
    }
    assert all(len(n["budgetLines"]) == 2 for n in mine["nodes"])
    assert statements == 4, "\n".join(sql_log.statements)
    # WHEN the organiser asks for the whole round's list, and staff do
    refused = await gql(client, STAFF_LIST, headers=own, round=global_id("FundingRound", funding_round.id))
    listed, statements = await _statements(
        client, sql_log, STAFF_LIST, staff, round=global_id("FundingRound", funding_round.id)
    )
    # THEN the organiser is refused, staff see all three with full names (page, count, organisations,
    # timelines)
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert listed["data"]["applications"]["totalCount"] == 3
    assert listed["data"]["applications"]["nodes"][0]["timeline"][0]["actor"] == f"organiser.{first.id}"
    assert statements == 4, sql_log.statements
    only = await gql(
        client,
        STAFF_LIST,
        headers=staff,
        round=global_id("FundingRound", funding_round.id),
        status="NOT_SELECTED",
    )
    assert [n["projectName"] for n in only["data"]["applications"]["nodes"]] == ["楼道花园"]
    # ... and an anonymous reader has no applications of their own
    assert (await gql(client, MINE, first=10))["data"]["myApplications"] == {"totalCount": 0, "nodes": []}


CREATE = """
mutation ($i: ApplicationCreateInput!) { applicationCreate(input: $i) {
  application { id projectName requestedFen } userErrors { code field message } } }
"""


def _application(
    round_id: int, org: Organisation, tree: Tree, grant: int, matching: int, requested: int
) -> dict[str, Any]:
    return {
        "roundId": global_id("FundingRound", round_id),
        "organisationId": global_id("Organisation", org.id),
        "projectName": "银龄互助食堂",
        "targetGroup": "社区独居老人",
        "problem": "社区独居老人用餐困难，缺少日常照应。",
        "plan": "组织志愿者每周三次送餐上门，开展结对活动。",
        "requestedFen": requested,
        "budgetLines": [
            {"category": "活动费", "item": "物料", "amountFen": grant, "fundedBy": "GRANT"},
            {"category": "自筹", "item": "配套", "amountFen": matching, "fundedBy": "MATCHING"},
        ],
        "cellIds": [global_id("GridCell", tree.community.id)],
    }


async def test_money_rules_come_back_as_user_errors_on_their_fields_all_at_once(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN an open round (cap 50,000 元, grant at most 60 %, matching at least 40 %) and its organiser
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round()
    own = await _headers("org.first", None, org)
    # WHEN a request over the cap, not the sum of its grant lines, with too little matching, is drafted
    bad = _application(funding_round.id, org, tree, grant=80_000_00, matching=10_000_00, requested=60_000_00)
    body = await gql(client, CREATE, headers=own, i=bad)
    # THEN every money rule is a userError on its field, and nothing was drafted
    payload = body["data"]["applicationCreate"]
    assert payload["application"] is None
    assert {(e["code"], tuple(e["field"])) for e in payload["userErrors"]} == {
        ("REQUESTED_MISMATCH", ("requestedFen",)),
        ("OVER_CAP", ("requestedFen",)),
        ("OVER_SHARE", ("budgetLines",)),
        ("MATCHING_TOO_LOW", ("budgetLines",)),
    }
    assert await Application.all().count() == 0
    # WHEN the same application keeps to every rule
    good = _application(funding_round.id, org, tree, grant=30_000_00, matching=20_000_00, requested=30_000_00)
    made = (await gql(client, CREATE, headers=own, i=good))["data"]["applicationCreate"]
    # THEN it is drafted
    assert made["userErrors"] == []
    assert made["application"]["requestedFen"] == 30_000_00


async def test_two_simultaneous_awards_over_the_pool_give_one_success_and_one_pool_exhausted(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a pool of 50,000 元 and two reviewed applications asking 30,000 元 each
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round(pool_fen=50_000_00, max_applications_per_org=2)
    made = [await submitted(tree, funding_round, org, project_name=f"项目{i}") for i in range(2)]
    in_review = await reviewed(funding_round, made)
    staff = await _headers("clerk.zhou", Role.BUREAU_STAFF)
    award = """mutation ($i: FundingAwardInput!) { fundingAward(input: $i) {
      application { status awardFen } userErrors { code field } } }"""

    def call(application: Application) -> Any:
        variables = {
            "applicationId": global_id("Application", application.id),
            "amountFen": 30_000_00,
            "reason": "核定",
        }
        return gql(client, award, headers=staff, i=variables)

    # WHEN both are awarded at the same time
    bodies = await asyncio.gather(*(call(a) for a in in_review))
    # THEN one is recommended, the other refused for the pool on its amount
    payloads = sorted((b["data"]["fundingAward"] for b in bodies), key=lambda p: p["application"] is None)
    assert payloads[0] == {"application": {"status": "RECOMMENDED", "awardFen": 30_000_00}, "userErrors": []}
    assert payloads[1] == {
        "application": None,
        "userErrors": [{"code": "POOL_EXHAUSTED", "field": ["amountFen"]}],
    }
    assert await allocation.held_fen(funding_round.id) == 30_000_00


async def test_amounts_beyond_32_bits_travel_as_exact_integers_of_fen(client: httpx.AsyncClient) -> None:
    # GIVEN bureau staff creating a round with a pool of 30 million yuan (3e9 fen > 2^31)
    staff = await _headers("clerk.zhou", Role.BUREAU_STAFF)
    create = """mutation ($i: FundingRoundInput!) { fundingRoundCreate(input: $i) {
      fundingRound { poolFen pool poolWan capFen cap tranchePlan { percent trigger triggerLabel } }
      userErrors { code field } } }"""
    values = {
        "edition": 1,
        "year": 2026,
        "title": "第一届公益创投",
        "poolFen": 3_000_000_000,
        "capFen": 50_000_00,
    }
    # WHEN it is created and read back
    body = await gql(client, create, headers=staff, i=values)
    # THEN the amount is exact, with its yuan and 万元 display
    made = body["data"]["fundingRoundCreate"]["fundingRound"]
    assert (made["poolFen"], made["pool"], made["poolWan"], made["cap"]) == (
        3_000_000_000,
        "30,000,000.00 元",
        "3,000万元",
        "50,000.00 元",
    )
    assert [s["percent"] for s in made["tranchePlan"]] == [50, 30, 20]
    # ... and a fractional amount is refused by the scalar
    refused = await gql(client, create, headers=staff, i={**values, "edition": 2, "capFen": 1.5})
    assert refused["data"] is None
    assert "Fen" in refused["errors"][0]["message"]


async def test_awarded_and_remaining_money_show_once_results_are_public(client: httpx.AsyncClient) -> None:
    # GIVEN a round in review with 30,000 元 publicised and 30,000 元 recommended only
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    funding_round, _, _ = await _round_with_results(tree)
    query = "query ($id: ID!) { fundingRound(id: $id) { poolFen awardedFen remainingFen } }"
    gid = global_id("FundingRound", funding_round.id)
    # WHEN the public reads the round before and after the results are publicised
    before = (await gql(client, query, id=gid))["data"]["fundingRound"]
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.RESULTS_PUBLICIZED)
    after = (await gql(client, query, id=gid))["data"]["fundingRound"]
    # THEN the sums appear only then, and count the published results
    assert (before["awardedFen"], before["remainingFen"]) == (None, None)
    assert (after["awardedFen"], after["remainingFen"]) == (30_000_00, 100_000_00 - 30_000_00)


async def test_public_lists_cost_fixed_statements(client: httpx.AsyncClient, sql_log: SqlLog) -> None:
    # GIVEN published results, and published needs of a round in needs collection
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    funding_round, _, _ = await _round_with_results(tree)
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.RESULTS_PUBLICIZED)
    collecting = await rounds.create_round(actor=CLERK, data=round_input(edition=2))
    await rounds.move_round(actor=CLERK, round_id=collecting.id, to=RoundStage.NEEDS_COLLECTION)
    for i in range(3):
        need = await needs.submit_need(
            actor=organiser(await Organisation.first().only("id")),  # type: ignore[arg-type]
            round_id=collecting.id,
            cell_id=tree.community.id,
            text=f"需求{i}：楼道照明需要改善",
        )
        if i < 2:
            await needs.decide_need(actor=CLERK, need_id=need.id, publish=True)
    results = """query ($r: ID!) { fundingResults(round: $r, first: 10) {
      totalCount nodes { projectName awardFen organisation { name } } } }"""
    rounds_query = "{ fundingRounds(first: 10) { totalCount nodes { title stageLabel } } }"
    needs_query = """query ($r: ID!) { fundingNeeds(round: $r, first: 10) {
      totalCount nodes { text statusLabel cell { name } } } }"""
    r = global_id("FundingRound", funding_round.id)
    # WHEN the public reads each list on the compiled path and on the resolvers
    compiled_results, n_results = await _statements(client, sql_log, results, {}, r=r)
    _, n_rounds = await _statements(client, sql_log, rounds_query, {})
    resolver_results, r_results = await _statements(client, sql_log, results, RESOLVERS, r=r)
    _, r_rounds = await _statements(client, sql_log, rounds_query, RESOLVERS)
    c = global_id("FundingRound", collecting.id)
    listed, n_needs = await _statements(client, sql_log, needs_query, {}, r=c)
    resolver_listed, r_needs = await _statements(client, sql_log, needs_query, RESOLVERS, r=c)
    # THEN one statement each compiled; on the resolvers the page (with its organisations) and the
    # count for results, the page and the count for rounds, the page, the count and the cells
    # for needs
    assert compiled_results["data"] == resolver_results["data"]
    assert compiled_results["data"]["fundingResults"]["totalCount"] == 1
    assert (n_results, n_rounds, r_results, r_rounds) == (1, 1, 2, 2)
    assert listed["data"] == resolver_listed["data"]
    assert listed["data"]["fundingNeeds"]["totalCount"] == 2
    assert (n_needs, r_needs) == (1, 3)


async def test_signing_with_an_agreement_number_in_use_is_a_user_error_on_the_number(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN two approved applications of one round
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round(max_applications_per_org=2)
    made = await reviewed(
        funding_round, [await submitted(tree, funding_round, org, project_name=f"项目{i}") for i in range(2)]
    )
    for application in made:
        await allocation.award(
            actor=CLERK, application_id=application.id, amount_fen=30_000_00, reason="核定"
        )
    await approved(funding_round)
    staff = await _headers("clerk.zhou", Role.BUREAU_STAFF)
    sign = """mutation ($i: AgreementSignInput!) { agreementSign(input: $i) {
      agreement { number amountFen } userErrors { code field } } }"""

    def variables(application: Application) -> dict[str, str]:
        number = "PH-GY-2026-001"
        return {
            "applicationId": global_id("Application", application.id),
            "number": number,
            "signedOn": TODAY.isoformat(),
        }

    # WHEN both are signed with the same number, one after the other
    first = await gql(client, sign, headers=staff, i=variables(made[0]))
    second = await gql(client, sign, headers=staff, i=variables(made[1]))
    # THEN the first is signed; the second is refused on the number (not a server error), unsigned
    assert first["data"]["agreementSign"] == {
        "agreement": {"number": "PH-GY-2026-001", "amountFen": 30_000_00},
        "userErrors": [],
    }
    assert second["data"]["agreementSign"] == {
        "agreement": None,
        "userErrors": [{"code": "DUPLICATE_AGREEMENT_NUMBER", "field": ["number"]}],
    }
    assert (await Application.get(id=made[1].id)).status is AppStatus.APPROVED
