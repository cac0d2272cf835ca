"""Every masked field, on both read paths, for every kind of reader: the Python masking
(`PersonType.for_actor`, `MicroLeaderType.name`) and its SQL twins (`mask_*_sql` through
`domain.people.policy.name_sql` & co.) give the same answer, and that answer is what the masking
rules say (worked out here from `domain.people.masking` and the roles, not from `view_for`)."""

from __future__ import annotations

import base64
from typing import Any

from domain.access import Role
from domain.activities.models import ActivityType
from domain.grids.models import GridCell
from domain.people.masking import mask_mobile, mask_name, mask_resident_id
from domain.people.models import Person
from tests.accounts import make_user
from tests.api.graphql import bearer
from tests.compiler.conftest import RESOLVERS, App, build_world, canonical
from tests.factories_activities import verified_activity

PERSON = "id name mobile residentId masked"
EVERYWHERE = f"""
query {{
  gridCells(first: 50) {{ nodes {{ code head {{ {PERSON} }} leaders {{ id name person {{ {PERSON} }} }} }} }}
  microLeaders(first: 50) {{ nodes {{ id name person {{ {PERSON} }} }} }}
  activities(first: 50) {{ nodes {{ id leader {{ id name person {{ {PERSON} }} }} }} }}
}}
"""

# Who sees what of other people (docs/domain.md, `domain.people.policy`): staff see full names and
# masked contacts, everyone else masked names and no contacts; oneself sees everything.
ROLES = {
    "anonymous": ("public", None),
    "resident": ("public", "resident.zhao"),
    "micro_leader": ("public", "leader.wang"),
    "self": ("public", "leader.li"),  # the leader whose person is everywhere below
    "grid_staff_in_scope": ("staff", "staff.zhou"),
    "grid_staff_out_of_scope": ("staff", "staff.far"),
    "bureau": ("staff", "bureau.chen"),
    "admin": ("staff", "admin.wu"),  # `Actor.is_staff` includes ADMIN (see the report on issue 12)
}


def _pk(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


def expected_person(person: Person, sees: str, own_person_id: int | None) -> dict[str, Any]:
    if person.id == own_person_id:
        return {
            "name": person.name,
            "mobile": person.mobile,
            "residentId": person.resident_id,
            "masked": False,
        }
    staff = sees == "staff"
    return {
        "name": person.name if staff else mask_name(person.name),
        "mobile": mask_mobile(person.mobile) if staff and person.mobile else None,
        "residentId": mask_resident_id(person.resident_id) if staff and person.resident_id else None,
        "masked": True,
    }


def people_in(value: Any, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every Person object (it has `residentId`) and every MicroLeader (`name` and `person`)."""
    if isinstance(value, dict):
        if "residentId" in value or "person" in value:
            found.append(value)
        for item in value.values():
            people_in(item, found)
    elif isinstance(value, list):
        for item in value:
            people_in(item, found)
    return found


async def test_every_masked_field_is_the_same_on_both_paths_for_every_reader(app: App) -> None:
    # GIVEN leaders and grid heads with names of several lengths, full and short mobiles and
    # resident IDs (and one head without any), a record showing its leader, and an administrator
    world = await build_world()
    cast, micro = world.cast, world.cast.tree.micro_grids
    li, wang = cast.leader_row.person_id, cast.other_leader_row.person_id  # type: ignore[attr-defined]
    await Person.filter(id=li).update(mobile="13812341234", resident_id="330482199001010027")
    await Person.filter(id=wang).update(mobile="12345", resident_id="33048X")
    plain = await Person.create(name="孙")
    await GridCell.filter(id=micro[0].id).update(head_id=li)
    await GridCell.filter(id=micro[1].id).update(head_id=plain.id)
    await GridCell.filter(id=cast.tree.community.id).update(head_id=wang)
    await verified_activity(
        cast.leader, cast.staff, micro[0], activity_type=ActivityType.VISIT, public=True, details_public=True
    )
    admin = await make_user("admin.wu", Role.ADMIN)
    users = {**cast.users, "admin.wu": admin}
    persons = {p.id: p for p in await Person.all()}
    for role, (sees, username) in ROLES.items():
        headers = await bearer(users[username]) if username else {}
        own = users[username].person_id if username else None
        # WHEN the reader reads every place a person shows up, on each path
        resolved = await app.post(EVERYWHERE, None, **headers, **RESOLVERS)
        compiled = await app.post(EVERYWHERE, None, **headers)
        # THEN the compiled path answered, and the same as the resolvers
        assert compiled["extensions"]["readPath"] == "compiled", (role, compiled)
        assert canonical(compiled) == canonical(resolved), role
        # ... and every masked field is what the masking rules give this reader
        shown = people_in(compiled["data"], [])
        assert len(shown) > 10, role
        checked_fields = 0
        for item in shown:
            if "person" in item:  # a leader: its name is its person's name as this reader sees it
                assert item["name"] == item["person"]["name"], role
                continue
            person = persons[_pk(item["id"])]
            want = expected_person(person, sees, own)
            assert {k: item[k] for k in want} == want, (role, person.name)
            checked_fields += 1
        assert checked_fields > 5, role
    # ... and the fixtures did exercise masks (so the comparison above is not vacuous)
    assert mask_name(persons[li].name) != persons[li].name
