"""GraphQL reports every input error of an activity at once, as the forms do: one userError per
broken rule, each with its input's path; and nothing is saved."""

from __future__ import annotations

import httpx

from domain.activities.models import Activity
from tests.api.graphql import bearer, global_id, gql
from tests.factories_activities import build_cast, hours_ago

CREATE = """
mutation ($input: ActivityCreateInput!) {
  activityCreate(input: $input) { activity { id } userErrors { field code message } }
}
"""


async def test_a_record_breaking_several_rules_gets_one_user_error_for_each(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a leader, WHEN they log a visit with no title, to no household, ending before it began
    cast = await build_cast()
    leader = await bearer(cast.users["leader.li"], "write:activities")
    data = {
        "cellId": global_id("GridCell", cast.tree.micro_grids[0].id),
        "activityType": "VISIT",
        "title": "",
        "startedAt": hours_ago(2).isoformat(),
        "endedAt": hours_ago(3).isoformat(),
        "householdsReached": 0,
        "mediationOutcome": "RESOLVED",
    }
    body = await gql(client, CREATE, headers=leader, input=data)

    # THEN each broken rule is a userError on its input
    errors = body["data"]["activityCreate"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        (["endedAt"], "END_BEFORE_START"),
        (["title"], "INVALID_LENGTH"),
        (["householdsReached"], "OUT_OF_RANGE"),
        (["mediationOutcome"], "NOT_FOR_TYPE"),
    ]
    assert errors[1]["message"] == "标题须为 1–100 个字符"
    assert body["data"]["activityCreate"]["activity"] is None
    assert await Activity.all().count() == 0
