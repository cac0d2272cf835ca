"""The organisation directory on both read paths: every actor gets the same answer from the
resolvers and the compiled statement (one statement), filters included, contacts masked per
reader; and the answer matches what the registry holds. Both databases."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.organisations import members, service
from domain.organisations.models import MemberRole, OrgField, Rating
from domain.people.models import Person
from tests.api.graphql import global_id
from tests.compiler.conftest import App, World, build_world
from tests.compiler.test_differential import check
from tests.conftest import SqlLog
from tests.domain.test_organisations import TODAY, code, filed, registered
from tests.factories import BUREAU

DIRECTORY = """
query ($filter: OrganisationFilter, $first: Int, $after: String) {
  organisations(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id name legalForm legalFormLabel field fieldLabel status statusLabel uscc filingNumber
      foundedOn filedOn registeredOn deregisteredOn socialWork rating ratingValidUntil summary isDemo
      homeCell { id code name }
      contact { name mobile masked }
    } }
  }
}
"""
ONE = "query ($id: ID!) { organisation(id: $id) { id name status registeredOn contact { name } } }"


async def _registry(world: World) -> dict[str, int]:
    tree = world.cast.tree
    hall = await service.create_organisation(actor=BUREAU, data=registered(tree), today=TODAY)
    choir = await service.create_organisation(
        actor=BUREAU,
        data=filed(tree, "演示和鸣合唱团", field=OrgField.CULTURE_SPORTS, filing_number="YS-1"),
        today=TODAY,
    )
    group = await service.create_organisation(
        actor=BUREAU,
        data=registered(
            tree, "演示互助协会", legal_form=registered(tree).legal_form, uscc=code("2", "MJ5870009")
        ),
        today=TODAY,
    )
    await service.deregister(actor=BUREAU, organisation_id=group.id, on=TODAY, reason="解散", today=TODAY)
    contact = await Person.create(name="沈一鸣", mobile="13912345678")
    await members.add_member(
        actor=BUREAU,
        organisation_id=choir.id,
        person_id=contact.id,
        role=MemberRole.CONTACT,
        started_on=date(2025, 1, 1),
        today=TODAY,
    )
    await service.record_rating(
        actor=BUREAU, organisation_id=hall.id, level=Rating.A4, rated_on=date(2024, 3, 1), today=TODAY
    )
    return {"hall": hall.id, "choir": choir.id, "gone": group.id}


async def test_the_directory_is_the_same_on_both_paths_for_every_reader(app: App, sql_log: SqlLog) -> None:
    world = await build_world()
    ids = await _registry(world)
    tree = world.cast.tree
    filters: list[dict[str, Any]] = [
        {},
        {"fields": ["CULTURE_SPORTS"]},
        {"legalForms": ["SERVICE_INSTITUTION"], "rating": "A4"},
        {"statuses": ["DEREGISTERED"]},
        {"search": "合唱"},
        {"town": global_id("GridCell", tree.town.id)},
        {"subtree": global_id("GridCell", tree.community.id)},
    ]
    for f in filters:
        await check(app, sql_log, world, DIRECTORY, {"filter": f, "first": 2})
    await check(app, sql_log, world, ONE, {"id": global_id("Organisation", ids["choir"])})

    # the answer itself: the deregistered one is left out unless asked; the contact is masked
    body = await app.post(DIRECTORY, {"first": 10})
    nodes = [edge["node"] for edge in body["data"]["organisations"]["edges"]]
    assert [n["name"] for n in nodes] == ["演示公益服务中心", "演示和鸣合唱团"]
    assert nodes[1]["contact"] == {"name": "沈**", "mobile": None, "masked": True}
    assert (nodes[0]["rating"], nodes[0]["ratingValidUntil"], nodes[0]["registeredOn"]) == (
        "A4",
        "2029-02-28",
        "2020-05-01",
    )
    rated = await app.post(DIRECTORY, {"filter": {"rating": "A4"}})
    assert rated["data"]["organisations"]["totalCount"] == 1
