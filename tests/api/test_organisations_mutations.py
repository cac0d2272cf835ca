"""The organisation registry's mutations over GraphQL: each use case's success and its userErrors
(every bad field at once, nothing changed), who may act (the bureau, grid staff filing in their
scope, an organiser for their own organisation only) and the `write:organisations` token scope.
Both databases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from domain import clock
from domain.access import ALL_SCOPES, Role
from domain.accounts import service as accounts
from domain.accounts.service import SYSTEM
from domain.audit.models import AuditEntry
from domain.organisations import service
from domain.organisations.models import (
    AnnualReport,
    Organisation,
    OrganisationMember,
    RatingRecord,
    Sanction,
)
from domain.people.models import Person
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id, gql
from tests.domain.test_organisations import code, filed, registered, wrong_check_digit
from tests.factories import BUREAU, Tree, build_tree

TODAY = clock.today()

RESULT = {
    "organisationCreate": "organisation { id name status statusLabel uscc filingNumber homeCell { name } }",
    "organisationUpgrade": "organisation { status legalForm uscc filingNumber filedOn }",
    "organisationDeregister": "organisation { status deregisteredOn }",
    "organisationSanctionAdd": "sanction { id listLabel listedOn removedOn }",
    "organisationSanctionLift": "sanction { removedOn removalReason }",
    "organisationRatingAdd": "rating { label validUntil }",
    "organisationMemberAdd": "member { id roleLabel endedOn person { name mobile } }",
    "organisationMemberEnd": "member { roleLabel endedOn }",
    "annualReportSubmit": "annualReport { id year status }",
    "annualReportDecide": "annualReport { status statusLabel note }",
}
INPUT = {
    "organisationCreate": "OrganisationCreateInput",
    "organisationUpgrade": "OrganisationUpgradeInput",
    "organisationDeregister": "OrganisationDeregisterInput",
    "organisationSanctionAdd": "OrganisationSanctionAddInput",
    "organisationSanctionLift": "OrganisationSanctionLiftInput",
    "organisationRatingAdd": "OrganisationRatingAddInput",
    "organisationMemberAdd": "OrganisationMemberAddInput",
    "organisationMemberEnd": "OrganisationMemberEndInput",
    "annualReportSubmit": "AnnualReportSubmitInput",
    "annualReportDecide": "AnnualReportDecideInput",
}


async def mutate(
    client: httpx.AsyncClient, name: str, data: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    """The whole response of mutation `name` with `data` as its input."""
    query = f"""mutation ($input: {INPUT[name]}!) {{
      {name}(input: $input) {{ {RESULT[name]} userErrors {{ field message code }} }} }}"""
    return await gql(client, query, headers=headers, input=data)


async def payload(client: httpx.AsyncClient, name: str, data: dict[str, Any], headers: dict[str, str]) -> Any:
    body = await mutate(client, name, data, headers)
    assert "errors" not in body, body
    return body["data"][name]


def errors(result: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((e["field"][0], e["code"]) for e in result["userErrors"])


async def snapshot() -> tuple[object, ...]:
    """What a mutation of the registry may change, and its audit trail."""
    return (
        sorted(await Organisation.all().values_list("id", "name", "status", "legal_form", "uscc")),
        sorted(await OrganisationMember.all().values_list("id", "role", "ended_on")),
        sorted(await Sanction.all().values_list("id", "removed_on")),
        await RatingRecord.all().count(),
        sorted(await AnnualReport.all().values_list("id", "status")),
        await AuditEntry.filter(action__startswith="organisation").count(),
    )


async def bureau_headers(*scopes: str) -> dict[str, str]:
    user = await make_user("bureau.chen", Role.BUREAU_STAFF)
    return await bearer(user, *(scopes or ALL_SCOPES))


def create_input(tree: Tree, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "演示公益服务中心",
        "legalForm": "SERVICE_INSTITUTION",
        "field": "CHARITY",
        "homeCellId": global_id("GridCell", tree.community.id),
        "uscc": code("2"),
        "registeredOn": "2020-05-01",
    }
    return {**values, **overrides}


def filing_input(tree: Tree, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "演示邻里互助队",
        "legalForm": "COMMUNITY_GROUP",
        "field": "MUTUAL_AID",
        "homeCellId": global_id("GridCell", tree.grids[0].id),
        "filingNumber": "当湖备-2019-001",
        "filingCellId": global_id("GridCell", tree.community.id),
        "filedOn": "2019-03-01",
    }
    return {**values, **overrides}


# --- registering and filing ----------------------------------------------------------------------


async def test_bureau_staff_register_an_organisation_and_it_is_audited(client: httpx.AsyncClient) -> None:
    # GIVEN bureau staff with a token of every scope
    tree = await build_tree()
    headers = await bureau_headers()
    # WHEN they register a social-service institution with a valid code
    result = await payload(client, "organisationCreate", create_input(tree), headers)
    # THEN it is registered at its home cell, with no userErrors, and the registration is audited
    assert result["userErrors"] == []
    org = result["organisation"]
    assert (org["status"], org["statusLabel"], org["uscc"]) == ("REGISTERED", "已登记", code("2"))
    assert org["homeCell"]["name"] == tree.community.name
    assert await AuditEntry.filter(action="organisation.register").count() == 1


async def test_create_reports_every_bad_field_at_once_and_changes_nothing(client: httpx.AsyncClient) -> None:
    # GIVEN bureau staff
    tree = await build_tree()
    headers = await bureau_headers()
    before = await snapshot()
    # WHEN the name is one character, the code's check digit is wrong and the founding is in the future
    bad = create_input(
        tree, name="x", uscc=wrong_check_digit(code("2")), foundedOn=str(TODAY + timedelta(days=1))
    )
    result = await payload(client, "organisationCreate", bad, headers)
    # THEN each is a userError on its own field, and nothing was created
    assert result["organisation"] is None
    assert errors(result) == [
        ("foundedOn", "FUTURE_TIME"),
        ("name", "INVALID_LENGTH"),
        ("uscc", "INVALID_USCC"),
    ]
    uscc = next(e for e in result["userErrors"] if e["field"] == ["uscc"])
    assert "校验位" in uscc["message"]
    assert await snapshot() == before


async def test_a_code_of_another_legal_form_names_the_digit_expected(client: httpx.AsyncClient) -> None:
    # GIVEN bureau staff registering a foundation
    tree = await build_tree()
    headers = await bureau_headers()
    # WHEN the code (valid) says 社会团体 in its second digit
    result = await payload(
        client, "organisationCreate", create_input(tree, legalForm="FOUNDATION", uscc=code("1")), headers
    )
    # THEN the code is refused for that form, saying which digit is expected, and nothing is created
    assert errors(result) == [("uscc", "INVALID_USCC")]
    assert "应为 3" in result["userErrors"][0]["message"]
    assert await Organisation.all().count() == 0


async def test_a_malformed_cell_id_is_a_user_error_of_its_field(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    headers = await bureau_headers()
    result = await payload(client, "organisationCreate", create_input(tree, homeCellId="not-an-id"), headers)
    assert errors(result) == [("homeCellId", "INVALID")]
    assert await Organisation.all().count() == 0


async def test_grid_staff_file_in_their_scope_only(client: httpx.AsyncClient) -> None:
    # GIVEN grid staff scoped to a community (the village beside it is outside their scope)
    tree = await build_tree()
    staff = await make_user("community.staff", Role.GRID_STAFF, cell=tree.community)
    headers = await bearer(staff, *ALL_SCOPES)
    # WHEN they file a community organisation with their community
    result = await payload(client, "organisationCreate", filing_input(tree), headers)
    # THEN it is filed
    assert result["organisation"]["status"] == "FILED"
    before = await snapshot()
    # WHEN they file one with the village, or register an organisation
    village = global_id("GridCell", tree.village.id)
    elsewhere = filing_input(
        tree, name="演示村舞蹈队", homeCellId=village, filingCellId=village, filingNumber="X-2"
    )
    for attempt in (elsewhere, create_input(tree)):
        body = await mutate(client, "organisationCreate", attempt, headers)
        # THEN each is refused as a top-level error, and nothing changed
        assert body["data"] is None or body["data"]["organisationCreate"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await snapshot() == before


async def test_a_token_without_the_write_scope_is_refused(client: httpx.AsyncClient) -> None:
    # GIVEN bureau staff whose token has every scope but write:organisations
    tree = await build_tree()
    others = [scope for scope in ALL_SCOPES if scope != "write:organisations"]
    headers = await bureau_headers(*others)
    before = await snapshot()
    # WHEN they register an organisation with it
    body = await mutate(client, "organisationCreate", create_input(tree), headers)
    # THEN it is refused as a top-level error naming the scope, and nothing changed
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "write:organisations" in body["errors"][0]["message"]
    assert await snapshot() == before


async def test_anonymous_callers_are_asked_to_sign_in(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    body = await mutate(client, "organisationCreate", filing_input(tree), {})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await Organisation.all().count() == 0


# --- the lifecycle: upgrade, deregister ----------------------------------------------------------


async def test_a_filed_organisation_upgrades_keeping_its_filing(client: httpx.AsyncClient) -> None:
    # GIVEN a filed community organisation
    tree = await build_tree()
    org = await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    headers = await bureau_headers()
    upgrade = {"id": global_id("Organisation", org.id), "legalForm": "SOCIAL_GROUP", "uscc": code("1")}
    # WHEN the upgrade has a code of another form and a future date
    bad = {**upgrade, "uscc": code("2"), "registeredOn": str(TODAY + timedelta(days=1))}
    result = await payload(client, "organisationUpgrade", bad, headers)
    # THEN both are refused at once, and it stays filed
    assert errors(result) == [("registeredOn", "FUTURE_TIME"), ("uscc", "INVALID_USCC")]
    assert (await Organisation.get(id=org.id)).status.value == "FILED"
    # WHEN it is right
    result = await payload(client, "organisationUpgrade", {**upgrade, "registeredOn": str(TODAY)}, headers)
    # THEN it is a registered social group that keeps its filing number and date
    assert result["organisation"] == {
        "status": "REGISTERED",
        "legalForm": "SOCIAL_GROUP",
        "uscc": code("1"),
        "filingNumber": "当湖备-2019-001",
        "filedOn": "2019-03-01",
    }


async def test_deregistration_needs_a_reason_and_is_final(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    org = await service.create_organisation(actor=BUREAU, data=registered(tree), today=TODAY)
    headers = await bureau_headers()
    data = {"id": global_id("Organisation", org.id), "on": str(TODAY), "reason": " "}
    result = await payload(client, "organisationDeregister", data, headers)
    assert errors(result) == [("reason", "REASON_REQUIRED")]
    result = await payload(client, "organisationDeregister", {**data, "reason": "自行解散"}, headers)
    assert result["organisation"] == {"status": "DEREGISTERED", "deregisteredOn": str(TODAY)}
    before = await snapshot()
    again = await payload(client, "organisationDeregister", {**data, "reason": "重复注销"}, headers)
    assert errors(again) == [("id", "INVALID_TRANSITION")]
    assert await snapshot() == before


# --- sanctions and ratings -----------------------------------------------------------------------


async def test_a_sanction_is_listed_and_lifted(client: httpx.AsyncClient) -> None:
    # GIVEN a registered organisation
    tree = await build_tree()
    org = await service.create_organisation(actor=BUREAU, data=registered(tree), today=TODAY)
    headers = await bureau_headers()
    listing = {
        "organisationId": global_id("Organisation", org.id),
        "list": "ABNORMAL",
        "reason": "未按时报送年报",
        "source": "平湖市民政局",
        "listedOn": "2026-05-01",
    }
    # WHEN the source is empty and the removal comes before the listing
    bad = {**listing, "source": "", "removedOn": "2026-04-01"}
    result = await payload(client, "organisationSanctionAdd", bad, headers)
    # THEN both are refused at once, nothing listed
    assert errors(result) == [("removedOn", "END_BEFORE_START"), ("source", "INVALID_LENGTH")]
    assert await Sanction.all().count() == 0
    # WHEN it is right, THEN it is listed; lifting needs a reason, then lifts it
    listed = (await payload(client, "organisationSanctionAdd", listing, headers))["sanction"]
    assert (listed["listLabel"], listed["removedOn"]) == ("活动异常名录", None)
    lift = {"id": listed["id"], "on": str(TODAY), "reason": ""}
    assert errors(await payload(client, "organisationSanctionLift", lift, headers)) == [
        ("reason", "REASON_REQUIRED")
    ]
    lifted = await payload(client, "organisationSanctionLift", {**lift, "reason": "已补报"}, headers)
    assert lifted["sanction"] == {"removedOn": str(TODAY), "removalReason": "已补报"}


async def test_only_registered_organisations_are_rated(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    group = await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    hall = await service.create_organisation(actor=BUREAU, data=registered(tree), today=TODAY)
    headers = await bureau_headers()
    rating = {"level": "A4", "ratedOn": "2024-02-29"}
    refused = await payload(
        client,
        "organisationRatingAdd",
        {**rating, "organisationId": global_id("Organisation", group.id)},
        headers,
    )
    assert errors(refused) == [("id", "NOT_FOR_TYPE")]
    assert await RatingRecord.all().count() == 0
    rated = await payload(
        client,
        "organisationRatingAdd",
        {**rating, "organisationId": global_id("Organisation", hall.id)},
        headers,
    )
    assert rated["rating"] == {"label": "4A", "validUntil": "2029-02-28"}


# --- members and annual reports: the organiser acts for their own organisation only --------------


async def _organiser_of(org: Organisation) -> dict[str, str]:
    user = await make_user("org.shen", Role.RESIDENT, name="沈组织")
    await accounts.grant_role(actor=SYSTEM, user_id=user.id, role=Role.ORGANISER, organisation_id=org.id)
    return await bearer(user, *ALL_SCOPES)


async def test_an_organiser_keeps_their_own_organisation_and_no_other(client: httpx.AsyncClient) -> None:
    # GIVEN two filed organisations, an organiser of the first and a person to name
    tree = await build_tree()
    ours = await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    theirs = await service.create_organisation(
        actor=BUREAU, data=filed(tree, "演示合唱团", filing_number="当湖备-2019-002"), today=TODAY
    )
    headers = await _organiser_of(ours)
    person = await Person.create(name="沈一鸣", mobile="13912345678")
    naming = {"personId": global_id("Person", person.id), "role": "CONTACT", "startedOn": str(TODAY)}
    # WHEN they name a contact of their own organisation
    added = await payload(
        client,
        "organisationMemberAdd",
        {**naming, "organisationId": global_id("Organisation", ours.id)},
        headers,
    )
    # THEN it is named (the person masked to them as to any resident)
    assert added["member"]["roleLabel"] == "联系人"
    assert added["member"]["person"] == {"name": "沈**", "mobile": None}
    before = await snapshot()
    # WHEN they act for the other organisation: a contact, an annual report
    foreign = {**naming, "organisationId": global_id("Organisation", theirs.id)}
    report = {"organisationId": global_id("Organisation", theirs.id), "year": TODAY.year - 1}
    for name, data in (("organisationMemberAdd", foreign), ("annualReportSubmit", report)):
        body = await mutate(client, name, data, headers)
        # THEN each is refused as a top-level error, and nothing changed
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", name
    assert await snapshot() == before


async def test_members_are_named_once_and_ended_once(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    org = await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    headers = await bureau_headers()
    person = await Person.create(name="沈一鸣", mobile="13912345678")
    naming = {
        "organisationId": global_id("Organisation", org.id),
        "personId": global_id("Person", person.id),
        "role": "MEMBER",
        "startedOn": "2025-01-01",
    }
    added = await payload(client, "organisationMemberAdd", naming, headers)
    assert added["member"]["person"] == {"name": "沈一鸣", "mobile": "139****5678"}
    assert errors(await payload(client, "organisationMemberAdd", naming, headers)) == [
        ("personId", "DUPLICATE_PERSON")
    ]
    ending = {"id": added["member"]["id"], "endedOn": "2024-12-31"}
    assert errors(await payload(client, "organisationMemberEnd", ending, headers)) == [
        ("endedOn", "OUT_OF_RANGE")
    ]
    ended = await payload(client, "organisationMemberEnd", {**ending, "endedOn": str(TODAY)}, headers)
    assert ended["member"] == {"roleLabel": "成员", "endedOn": str(TODAY)}
    again = await payload(client, "organisationMemberEnd", {**ending, "endedOn": str(TODAY)}, headers)
    assert errors(again) == [("memberId", "INVALID_TRANSITION")]
    assert await OrganisationMember.filter(ended_on__isnull=True).count() == 0


async def test_an_annual_report_is_submitted_by_the_organiser_and_decided_by_the_bureau(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a filed organisation and its organiser
    tree = await build_tree()
    org = await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    organiser = await _organiser_of(org)
    bureau = await bureau_headers()
    submit = {"organisationId": global_id("Organisation", org.id), "year": TODAY.year}
    # WHEN the organiser reports on the year not yet over, THEN it is refused
    assert errors(await payload(client, "annualReportSubmit", submit, organiser)) == [
        ("year", "OUT_OF_RANGE")
    ]
    # WHEN on last year, THEN it is submitted
    report = (await payload(client, "annualReportSubmit", {**submit, "year": TODAY.year - 1}, organiser))[
        "annualReport"
    ]
    assert report["status"] == "SUBMITTED"
    # WHEN the bureau returns it without a reason, THEN it is refused; with one, returned
    decide = {"id": report["id"], "accept": False}
    assert errors(await payload(client, "annualReportDecide", decide, bureau)) == [
        ("note", "REASON_REQUIRED")
    ]
    returned = await payload(client, "annualReportDecide", {**decide, "note": "缺财务报表"}, bureau)
    assert returned["annualReport"] == {"status": "RETURNED", "statusLabel": "已退回", "note": "缺财务报表"}
    # AND the organiser may not decide it
    body = await mutate(client, "annualReportDecide", {**decide, "accept": True}, organiser)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await AnnualReport.get(year=TODAY.year - 1)).status.value == "RETURNED"


async def test_the_payload_enum_carries_exactly_what_the_use_cases_raise() -> None:
    # (tests/api/test_error_codes.py checks that nothing is missing; this, that nothing is extra)
    import api.schema
    from api.schema.mutation import error_types
    from api.schema.organisations.mutations import OrganisationMutations
    from api.schema.socialwork.mutations import SocialWorkMutations
    from tests.api.test_error_codes import reachable_codes

    assert api.schema.schema
    for mixin in (OrganisationMutations, SocialWorkMutations):
        fields = mixin.__strawberry_definition__.fields  # type: ignore[attr-defined]
        raised = set().union(*(reachable_codes(f.base_resolver.wrapped_func) for f in fields))
        enums = {error_types(f.type)[1] for f in fields}
        assert len(enums) == 1
        assert {code.value for code in enums.pop()} == raised | {"FORBIDDEN"}
