"""The review module over GraphQL: a reviewer scores and submits with a `review:funding` token,
every out-of-range score is a userError on its criterion with nothing saved, a conflicted
assignment vanishes (from the list and as a node), a blind panel hides the applicant, others'
sheets stay hidden until the reader's own is submitted, a `read`-only token is refused, the error
enum carries exactly the codes the mutations raise, and the exact statements of the lists. Both
databases."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import httpx
import pytest

import api.schema
from api.schema.review.mutations import ReviewMutations
from api.schema.review.types import ReviewErrorCode
from domain import clock
from domain.access import Role
from domain.accounts.models import User
from domain.review import service
from domain.review.models import Conflict, ConflictReason, ReviewPanel, Score, ScoreSheet, SheetStatus
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id, gql
from tests.api.test_error_codes import reachable_codes
from tests.conftest import SqlLog
from tests.factories_review import Reviewer, ReviewWorld, make_reviewer
from tests.web.review_pages import assignment_of, drawn_world, submit

MINE = """
query ($first: Int) { myReviewAssignments(first: $first) {
  totalCount nodes { id entryId title stage sheetStatus applicant { name }
    panel { title blind criteria { key weight } scoreMin scoreMax }
    sheet { id status scores { key score comment } overallComment } } } }
"""
NODE = """query ($id: ID!) { node(id: $id) { ... on ReviewAssignment { title } } }"""
SAVE = """
mutation ($i: ReviewScoresSaveInput!) { reviewScoresSave(input: $i) {
  sheet { id status scores { key score } } userErrors { code field message } } }
"""
SUBMIT = """
mutation ($i: ReviewSheetSubmitInput!) { reviewSheetSubmit(input: $i) {
  sheet { status total } userErrors { code field } } }
"""
DECLARE = """
mutation ($i: ReviewConflictDeclareInput!) { reviewConflictDeclare(input: $i) {
  reasonLabel userErrors { code field } } }
"""
SHEETS = """
query ($entry: ID!) { entrySheets(entry: $entry) {
  id status total overallComment scores { key score comment } } }
"""


async def _token(reviewer: Reviewer, *scopes: str) -> dict[str, str]:
    return await bearer(reviewer.user, *scopes)


async def _staff_token(world: ReviewWorld) -> dict[str, str]:
    return await bearer(await User.get(id=world.staff.user_id), "write:funding")


def _scores(world: ReviewWorld, score: int = 8) -> list[dict[str, Any]]:
    return [{"key": c.key, "score": score, "comment": f"{c.label}较好"} for c in world.rubric.criteria]


async def _mine(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    body = await gql(client, MINE, headers=headers, first=20)
    assert "errors" not in body, body
    nodes: list[dict[str, Any]] = body["data"]["myReviewAssignments"]["nodes"]
    return nodes


async def test_a_reviewer_scores_and_submits_through_graphql_with_a_review_token(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a reviewer drawn onto one entry, with a token of the scope review:funding only
    world = await drawn_world(reviewers=3, entries=1)
    headers = await _token(world.reviewers[0], "review:funding")
    [mine] = await _mine(client, headers)
    assert (mine["title"], mine["stage"], mine["sheetStatus"]) == ("演示项目0", "WRITTEN", "DRAFT")
    assert [c["key"] for c in mine["panel"]["criteria"]] == [c.key for c in world.rubric.criteria]
    # WHEN they save every criterion and an overall comment, then submit
    saved = await gql(
        client,
        SAVE,
        headers=headers,
        i={"assignmentId": mine["id"], "scores": _scores(world), "overallComment": "总体可行"},
    )
    sheet = saved["data"]["reviewScoresSave"]
    submitted = await gql(client, SUBMIT, headers=headers, i={"sheetId": sheet["sheet"]["id"]})
    # THEN the draft held the scores and the submitted sheet is locked with its weighted total
    assert sheet["userErrors"] == []
    assert sheet["sheet"]["status"] == "DRAFT"
    assert {s["score"] for s in sheet["sheet"]["scores"]} == {8}
    assert submitted["data"]["reviewSheetSubmit"] == {
        "sheet": {"status": "SUBMITTED", "total": 80.0},
        "userErrors": [],
    }
    assignment = await assignment_of(world, world.reviewers[0])
    assert (await ScoreSheet.get(assignment_id=assignment.id)).status is SheetStatus.SUBMITTED
    # ... and the list shows it submitted, with the reviewer's own scores
    [after] = await _mine(client, headers)
    assert after["sheetStatus"] == "SUBMITTED"
    assert after["sheet"]["overallComment"] == "总体可行"


async def test_every_out_of_range_score_is_a_user_error_on_its_criterion_and_nothing_is_saved(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a reviewer's assignment on a panel scored 0–10
    world = await drawn_world(reviewers=3, entries=1)
    headers = await _token(world.reviewers[0], "review:funding")
    [mine] = await _mine(client, headers)
    scores = _scores(world)
    first, second = world.rubric.criteria[0].key, world.rubric.criteria[1].key
    scores[0]["score"], scores[1]["score"] = 11, -1
    # WHEN they save two scores out of range among good ones
    body = await gql(
        client,
        SAVE,
        headers=headers,
        i={"assignmentId": mine["id"], "scores": scores, "overallComment": "好"},
    )
    # THEN each is a SCORE_OUT_OF_RANGE userError on its criterion, and nothing was saved
    payload = body["data"]["reviewScoresSave"]
    assert payload["sheet"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("SCORE_OUT_OF_RANGE", [f"scores.{first}"]),
        ("SCORE_OUT_OF_RANGE", [f"scores.{second}"]),
    ]
    assert await Score.all().count() == 0
    assert (await ScoreSheet.get(id=int(_pk(mine["sheet"]["id"])))).overall_comment == ""


def _pk(value: str) -> str:
    return base64.b64decode(value).decode().split(":", 1)[1]


async def test_a_conflicted_assignment_disappears_from_the_list_and_as_a_node(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a reviewer drawn onto two entries
    world = await drawn_world(reviewers=3, entries=2)
    headers = await _token(world.reviewers[0], "review:funding")
    first, second = await _mine(client, headers)
    # WHEN they declare a conflict with the first entry
    body = await gql(
        client, DECLARE, headers=headers, i={"entryId": first["entryId"], "reason": "FAMILY", "note": ""}
    )
    # THEN it is recorded, the assignment is gone from their list and its node reads as null
    assert body["data"]["reviewConflictDeclare"] == {"reasonLabel": "亲属关系", "userErrors": []}
    assert await Conflict.exists(reviewer_id=world.reviewers[0].id, entry_id=world.entries[0].id)
    assert [n["id"] for n in await _mine(client, headers)] == [second["id"]]
    gone = await gql(client, NODE, headers=headers, id=first["id"])
    kept = await gql(client, NODE, headers=headers, id=second["id"])
    assert gone["data"] == {"node": None}
    assert kept["data"] == {"node": {"title": "演示项目1"}}


async def test_a_conflict_found_by_a_later_draw_hides_the_still_live_assignment(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a reviewer drawn onto two entries, who then takes up a post at the first applicant
    world = await drawn_world(reviewers=3, entries=2)
    reviewer = world.reviewers[0]
    headers = await _token(reviewer, "review:funding")
    first, second = await _mine(client, headers)
    await service.add_affiliation(
        actor=world.staff,
        expert_id=reviewer.expert_id,
        organisation_id=world.organisations[0].id,
        role="理事",
    )
    # WHEN a later draw records the conflict (the assignment itself stays live)
    await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=3)
    assert (await assignment_of(world, reviewer, 0)).live
    # THEN the reviewer neither lists it, nor opens it as a node, nor scores it
    assert [n["id"] for n in await _mine(client, headers)] == [second["id"]]
    assert (await gql(client, NODE, headers=headers, id=first["id"]))["data"] == {"node": None}
    saved = await gql(
        client, SAVE, headers=headers, i={"assignmentId": first["id"], "scores": _scores(world)}
    )
    assert [e["code"] for e in saved["data"]["reviewScoresSave"]["userErrors"]] == ["NOT_FOUND"]


@pytest.mark.parametrize("blind", [True, False], ids=["blind", "open"])
async def test_a_blind_panel_hides_the_applicant_from_its_reviewers(
    client: httpx.AsyncClient, blind: bool
) -> None:
    # GIVEN a panel, blind or not, with a reviewer drawn onto its entry
    world = await drawn_world(reviewers=3, entries=1, blind=blind)
    headers = await _token(world.reviewers[0], "review:funding")
    # WHEN the reviewer lists their assignments and opens the assignment as a node
    [mine] = await _mine(client, headers)
    node = await gql(
        client,
        "query ($id: ID!) { node(id: $id) { ... on ReviewAssignment { applicant { name } } } }",
        headers=headers,
        id=mine["id"],
    )
    # THEN a blind panel shows no applicant anywhere, an open one shows who applied
    shown = None if blind else {"name": "演示申报机构0"}
    assert mine["panel"]["blind"] is blind
    assert mine["applicant"] == shown
    assert node["data"]["node"]["applicant"] == shown


async def test_others_sheets_stay_hidden_until_the_readers_own_is_submitted(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN an entry two other reviewers have submitted, and a reviewer who has not
    world = await drawn_world(reviewers=3, entries=1)
    for other in world.reviewers[1:]:
        await submit(world, other, 0, 7)
    headers = await _token(world.reviewers[0], "review:funding")
    entry = global_id("ReviewEntry", world.entries[0].id)
    # WHEN the reviewer asks for the entry's sheets before submitting
    before = await gql(client, SHEETS, headers=headers, entry=entry)
    # THEN it is refused, while staff see both sheets
    assert before["data"] is None
    assert before["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    staff = await gql(client, SHEETS, headers=await _staff_token(world), entry=entry)
    assert [s["total"] for s in staff["data"]["entrySheets"]] == [70.0, 70.0]
    # WHEN the reviewer submits their own
    await submit(world, world.reviewers[0], 0, 9)
    after = await gql(client, SHEETS, headers=headers, entry=entry)
    # THEN they see all three submitted sheets with their comments
    assert sorted(s["total"] for s in after["data"]["entrySheets"]) == [70.0, 70.0, 90.0]
    assert {s["overallComment"] for s in after["data"]["entrySheets"]} == {"总体可行"}


async def test_a_token_with_only_read_is_refused_and_changes_nothing(client: httpx.AsyncClient) -> None:
    # GIVEN a reviewer's assignment and a token of theirs with only `read`
    world = await drawn_world(reviewers=3, entries=1)
    [mine] = await _mine(client, await _token(world.reviewers[0], "review:funding"))
    headers = await _token(world.reviewers[0])
    # WHEN they save scores with it
    body = await gql(
        client,
        SAVE,
        headers=headers,
        i={"assignmentId": mine["id"], "scores": _scores(world), "overallComment": ""},
    )
    # THEN it is a top-level FORBIDDEN error and no score was saved
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await Score.all().count() == 0


def test_the_review_error_enum_carries_exactly_the_codes_its_mutations_raise() -> None:
    assert api.schema.schema
    definition = ReviewMutations.__strawberry_definition__  # type: ignore[attr-defined]
    raised = {code for f in definition.fields for code in reachable_codes(f.base_resolver.wrapped_func)}
    assert {code.value for code in ReviewErrorCode} == raised | {"INVALID", "NOT_FOUND", "FORBIDDEN"}


async def _statements(
    client: httpx.AsyncClient, sql_log: SqlLog, query: str, headers: dict[str, str], **variables: Any
) -> tuple[dict[str, Any], int]:
    """The answer and the statements it cost beyond authentication (warm)."""
    await gql(client, "{ __typename }", headers=headers)
    sql_log.reset()
    await gql(client, "{ __typename }", headers=headers)
    baseline = sql_log.count
    sql_log.reset()
    body = await gql(client, query, headers=headers, **variables)
    return body, sql_log.count - baseline


@pytest.mark.parametrize("entries", [2, 5])
async def test_my_review_assignments_costs_the_same_statements_at_any_size(
    client: httpx.AsyncClient, sql_log: SqlLog, entries: int
) -> None:
    # GIVEN a reviewer on `entries` entries, each with a saved score
    world = await drawn_world(reviewers=3, entries=entries)
    reviewer = world.reviewers[0]
    headers = await _token(reviewer, "review:funding")
    for n in range(entries):
        sheet = await ScoreSheet.get(assignment_id=(await assignment_of(world, reviewer, n)).id)
        await Score.create(sheet_id=sheet.id, key=world.rubric.criteria[0].key, score=5)
    # WHEN they list their assignments with applicant, panel, sheet and scores
    body, count = await _statements(client, sql_log, MINE, headers, first=20)
    # THEN all are there for five statements: the list, then one batch each of applicants, panels,
    # sheets and scores
    assert len(body["data"]["myReviewAssignments"]["nodes"]) == entries
    assert count == 5


@pytest.mark.parametrize("reviewers", [3, 6])
async def test_entry_sheets_cost_the_same_statements_at_any_size(
    client: httpx.AsyncClient, sql_log: SqlLog, reviewers: int
) -> None:
    # GIVEN an entry every one of `reviewers` reviewers has submitted
    world = await drawn_world(reviewers=reviewers, entries=1)
    for reviewer in world.reviewers:
        await submit(world, reviewer, 0, 8)
    entry = global_id("ReviewEntry", world.entries[0].id)
    # WHEN a reviewer, then staff, read the entry's sheets
    mine, as_reviewer = await _statements(
        client, sql_log, SHEETS, await _token(world.reviewers[0], "review:funding"), entry=entry
    )
    staff, as_staff = await _statements(client, sql_log, SHEETS, await _staff_token(world), entry=entry)
    # THEN both see every sheet: the entry, the reviewer's own submission (not for staff), the
    # sheets and their scores
    assert len(mine["data"]["entrySheets"]) == len(staff["data"]["entrySheets"]) == reviewers
    assert (as_reviewer, as_staff) == (4, 3)


PANEL = """query ($id: ID!) { reviewPanel(id: $id) {
  title stageLabel scoreMin scoreMax aggregationRule criteria { key } } }"""


async def test_a_panel_is_read_by_staff_and_its_members_only(client: httpx.AsyncClient) -> None:
    # GIVEN a panel, one of its members, an expert of the pool who is not a member, and staff
    world = await drawn_world(reviewers=3, entries=1)
    outsider = await make_reviewer(world.staff, "expert.outside")
    panel = global_id("ReviewPanel", world.panel.id)
    # WHEN each reads the panel
    member = await gql(client, PANEL, headers=await _token(world.reviewers[0], "review:funding"), id=panel)
    other = await gql(client, PANEL, headers=await _token(outsider, "review:funding"), id=panel)
    staff = await gql(client, PANEL, headers=await _staff_token(world), id=panel)
    # THEN staff and the member see its rubric and range, the outsider nothing
    assert member["data"]["reviewPanel"] == staff["data"]["reviewPanel"]
    assert member["data"]["reviewPanel"]["stageLabel"] == "书面评审"
    assert (member["data"]["reviewPanel"]["scoreMin"], member["data"]["reviewPanel"]["scoreMax"]) == (0, 10)
    assert other["data"] == {"reviewPanel": None}


async def test_my_review_assignments_page_on_with_the_cursor(client: httpx.AsyncClient) -> None:
    # GIVEN a reviewer on three entries
    world = await drawn_world(reviewers=3, entries=3)
    headers = await _token(world.reviewers[0], "review:funding")
    query = """query ($after: String) { myReviewAssignments(first: 2, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { title } } }"""
    # WHEN they read two, then the rest after the cursor
    first = (await gql(client, query, headers=headers))["data"]["myReviewAssignments"]
    rest = await gql(client, query, headers=headers, after=first["pageInfo"]["endCursor"])
    # THEN every assignment comes once, in entry order
    second = rest["data"]["myReviewAssignments"]
    assert [n["title"] for n in first["nodes"] + second["nodes"]] == ["演示项目0", "演示项目1", "演示项目2"]
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"], second["pageInfo"]["hasNextPage"]) == (
        3,
        True,
        False,
    )


async def test_an_objection_shows_its_mobile_masked_to_its_lodger_and_in_full_to_staff(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a panel whose results are under publicity, and a signed-in resident
    world = await drawn_world(reviewers=3, entries=1)
    await ReviewPanel.filter(id=world.panel.id).update(
        publicity_starts_on=clock.today(), publicity_ends_on=clock.today() + timedelta(days=7)
    )
    resident = await bearer(await make_user("resident.objector", Role.RESIDENT))
    lodge = """mutation ($i: ObjectionLodgeInput!) { objectionLodge(input: $i) {
      objection { id mobile statusLabel } userErrors { code field } } }"""
    resolve = """mutation ($i: ObjectionResolveInput!) { objectionResolve(input: $i) {
      objection { mobile statusLabel answer } userErrors { code } } }"""
    # WHEN the resident objects under their name and number, and staff dismiss it in writing
    values = {"panelId": global_id("ReviewPanel", world.panel.id), "name": "张明", "mobile": "13800138000"}
    lodged = await gql(client, lodge, headers=resident, i={**values, "text": "评审结果有失公允，请复核。"})
    objection = lodged["data"]["objectionLodge"]["objection"]
    answer = {"objectionId": objection["id"], "upheld": False, "answer": "经复核，评审符合规定。"}
    resolved = await gql(client, resolve, headers=await _staff_token(world), i=answer)
    # THEN the resident's copy masks the number, staff see it in full with the answer
    assert (objection["mobile"], objection["statusLabel"]) == ("138****8000", "待处理")
    assert resolved["data"]["objectionResolve"] == {
        "objection": {
            "mobile": "13800138000",
            "statusLabel": "异议不成立",
            "answer": "经复核，评审符合规定。",
        },
        "userErrors": [],
    }


STAFF_PANEL = """query ($id: ID!) { reviewPanel(id: $id) {
  title members { reviewerId name sourceLabel } entries { id title withdrawn applicant { name } } } }"""


@pytest.mark.parametrize("size", [2, 4])
async def test_staff_read_a_panels_members_and_entries_for_the_same_statements_at_any_size(
    client: httpx.AsyncClient, sql_log: SqlLog, size: int
) -> None:
    # GIVEN a panel of `size` experts and `size` entries
    world = await drawn_world(reviewers=size, entries=size)
    panel = global_id("ReviewPanel", world.panel.id)
    # WHEN staff, then one of its experts, read it with its members and entries
    staff, count = await _statements(client, sql_log, STAFF_PANEL, await _staff_token(world), id=panel)
    member = await gql(
        client, STAFF_PANEL, headers=await _token(world.reviewers[0], "review:funding"), id=panel
    )
    # THEN staff see every member (with the id to assign them by) and entry for three statements:
    # the panel, its members, its entries with their applicants ... the expert sees neither list
    read = staff["data"]["reviewPanel"]
    assert [m["reviewerId"] for m in read["members"]] == [global_id("User", r.id) for r in world.reviewers]
    assert [e["applicant"]["name"] for e in read["entries"]] == [f"演示申报机构{n}" for n in range(size)]
    assert count == 3
    assert (member["data"]["reviewPanel"]["members"], member["data"]["reviewPanel"]["entries"]) == (
        None,
        None,
    )


async def _sheet_gid(world: ReviewWorld, reviewer: Reviewer) -> str:
    sheet = await ScoreSheet.get(assignment_id=(await assignment_of(world, reviewer, 0)).id)
    return global_id("ScoreSheet", sheet.id)


SHEET_NODE = """query ($id: ID!) { node(id: $id) { ... on ScoreSheet { status total } } }"""


async def test_a_score_sheet_node_follows_the_rule_of_entry_sheets(client: httpx.AsyncClient) -> None:
    # GIVEN an entry another reviewer has submitted, a reviewer whose own sheet is a draft, and a
    # third reviewer conflicted with the entry after submitting
    world = await drawn_world(reviewers=3, entries=1)
    reader, other, conflicted = world.reviewers
    await submit(world, other, 0, 7)
    await submit(world, conflicted, 0, 6)
    mine = await _sheet_gid(world, conflicted)
    await service.declare_conflict(
        actor=conflicted.actor, entry_id=world.entries[0].id, reason=ConflictReason.FAMILY
    )
    others_sheet = await _sheet_gid(world, other)
    own_sheet = await _sheet_gid(world, reader)
    headers = await _token(reader, "review:funding")
    # WHEN the reader opens their own draft and the other's submitted sheet as nodes
    own = await gql(client, SHEET_NODE, headers=headers, id=own_sheet)
    early = await gql(client, SHEET_NODE, headers=headers, id=others_sheet)
    # THEN their own draft reads, the other's is null until their own is submitted
    assert own["data"]["node"] == {"status": "DRAFT", "total": None}
    assert early["data"] == {"node": None}
    await submit(world, reader, 0, 9)
    late = await gql(client, SHEET_NODE, headers=headers, id=others_sheet)
    assert late["data"]["node"] == {"status": "SUBMITTED", "total": 70.0}
    # AND the conflicted reviewer reads neither the other's sheet nor their own any more
    blocked = await _token(conflicted, "review:funding")
    assert (await gql(client, SHEET_NODE, headers=blocked, id=others_sheet))["data"] == {"node": None}
    assert (await gql(client, SHEET_NODE, headers=blocked, id=mine))["data"] == {"node": None}
    # AND staff read any sheet, anonymous none
    staff = await gql(client, SHEET_NODE, headers=await _staff_token(world), id=own_sheet)
    assert staff["data"]["node"] == {"status": "SUBMITTED", "total": 90.0}
    assert (await gql(client, SHEET_NODE, id=own_sheet))["data"] == {"node": None}


async def test_an_entry_node_is_for_staff_and_an_objection_node_for_staff_and_its_lodger(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a drawn panel under publicity with an objection lodged by a resident
    world = await drawn_world(reviewers=3, entries=1)
    await ReviewPanel.filter(id=world.panel.id).update(
        publicity_starts_on=clock.today(), publicity_ends_on=clock.today() + timedelta(days=7)
    )
    resident = await bearer(await make_user("resident.lodger", Role.RESIDENT))
    neighbour = await bearer(await make_user("resident.other", Role.RESIDENT))
    lodge = """mutation ($i: ObjectionLodgeInput!) { objectionLodge(input: $i) {
      objection { id } userErrors { code message } } }"""
    values = {"panelId": global_id("ReviewPanel", world.panel.id), "name": "张明", "mobile": "13800138000"}
    lodged = await gql(client, lodge, headers=resident, i={**values, "text": "评审结果有失公允，请复核。"})
    assert lodged["data"]["objectionLodge"]["userErrors"] == [], lodged
    objection = lodged["data"]["objectionLodge"]["objection"]["id"]
    entry = global_id("ReviewEntry", world.entries[0].id)
    staff = await _staff_token(world)
    reviewer = await _token(world.reviewers[0], "review:funding")
    entry_node = "query ($id: ID!) { node(id: $id) { ... on ReviewEntry { title applicant { name } } } }"
    objection_node = "query ($id: ID!) { node(id: $id) { ... on Objection { text mobile } } }"
    # WHEN each reader opens the entry and the objection as nodes
    # THEN staff read the entry with its applicant; a reviewer (even one drawn on it) and the
    # public read null, so a blind panel's applicant cannot leak through node(id:)
    assert (await gql(client, entry_node, headers=staff, id=entry))["data"]["node"] == {
        "title": world.entries[0].title,
        "applicant": {"name": "演示申报机构0"},
    }
    assert (await gql(client, entry_node, headers=reviewer, id=entry))["data"] == {"node": None}
    assert (await gql(client, entry_node, id=entry))["data"] == {"node": None}
    # AND the lodger reads their objection masked, staff in full, another resident not at all
    mine = await gql(client, objection_node, headers=resident, id=objection)
    assert mine["data"]["node"] == {"text": "评审结果有失公允，请复核。", "mobile": "138****8000"}
    full = await gql(client, objection_node, headers=staff, id=objection)
    assert full["data"]["node"]["mobile"] == "13800138000"
    assert (await gql(client, objection_node, headers=neighbour, id=objection))["data"] == {"node": None}
