"""The public sees a verified activity record only when its verifier made it public (by default
by type), at its grid, and its details only when those were made public too; whoever may verify
a record may change that later, audited."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from domain.access import ANONYMOUS, Actor
from domain.activities import policy, queries, service
from domain.activities.models import (
    PUBLIC_BY_DEFAULT,
    Activity,
    ActivityType,
    MediationOutcome,
    public_by_default,
)
from domain.audit.models import AuditEntry
from domain.errors import DomainError, ErrorCode, NotFound, PermissionDenied
from domain.pagination import PageRequest
from tests.factories_activities import build_cast, hours_ago, submitted_activity, verified_activity
from tests.factories_privacy import build_privacy_world

pytestmark = pytest.mark.usefixtures("db")

ALL = PageRequest(first=100)
NOT_PUBLIC = {"MEDIATION", "VISIT", "ERRAND", "EMERGENCY", "SAFETY_CHECK", "OTHER"}
PUBLIC = {"CULTURE_SPORTS", "VOLUNTEERING", "PUBLICITY", "ENVIRONMENT", "DELIBERATION", "PROJECT_WORK"}
BY_TYPE: dict[ActivityType, dict[str, Any]] = {
    ActivityType.MEDIATION: {"mediation_outcome": MediationOutcome.RESOLVED},
    ActivityType.VOLUNTEERING: {"volunteer_hours": Decimal("1.0")},
}


def test_the_default_table_covers_every_type_as_the_bureau_decided() -> None:
    # mediation, visits and help to households are not public by default; public affairs are
    assert set(PUBLIC_BY_DEFAULT) == set(ActivityType)
    assert {t.value for t in ActivityType if not public_by_default(t)} == NOT_PUBLIC
    assert {t.value for t in ActivityType if public_by_default(t)} == PUBLIC


async def test_a_record_verified_without_a_choice_is_public_by_its_type_and_never_with_details() -> None:
    # GIVEN a record of every type awaiting review
    cast = await build_cast()
    micro = cast.tree.micro_grids[0]
    for kind in ActivityType:
        # WHEN grid staff verify it without saying who may see it
        record = await verified_activity(
            cast.leader, cast.staff, micro, activity_type=kind, title=kind.label, **BY_TYPE.get(kind, {})
        )
        # THEN it is public as the table says, its details not
        assert (record.is_public, record.details_public) == (kind.value in PUBLIC, False), kind
        stored = await Activity.get(id=record.id)
        assert (stored.is_public, stored.details_public) == (kind.value in PUBLIC, False), kind
        # ... and the audit trail says what was chosen
        entry = await AuditEntry.filter(action="activity.verify", object_id=str(record.id)).get()
        assert entry.summary["public"] is (kind.value in PUBLIC)


async def test_the_verifier_chooses_otherwise_and_details_go_only_with_the_record() -> None:
    cast = await build_cast()
    micro = cast.tree.micro_grids[0]
    mediation = BY_TYPE[ActivityType.MEDIATION]
    shown = await verified_activity(
        cast.leader, cast.staff, micro, activity_type=ActivityType.MEDIATION, public=True, **mediation
    )
    hidden = await verified_activity(
        cast.leader, cast.staff, micro, activity_type=ActivityType.CULTURE_SPORTS, public=False
    )
    lone_details = await verified_activity(cast.leader, cast.staff, micro, public=False, details_public=True)
    assert (shown.is_public, shown.details_public) == (True, False)
    assert (hidden.is_public, hidden.details_public) == (False, False)
    assert (lone_details.is_public, lone_details.details_public) == (False, False)
    # the public feed follows the choice, not the type
    page = await queries.activity_feed(ANONYMOUS, queries.FeedFilter(), ALL)
    assert [a.id for a in page.items] == [shown.id]


async def test_each_reader_sees_what_the_rule_allows() -> None:
    # GIVEN records of every kind of publicity and placement
    world = await build_privacy_world()
    cast = world.cast
    public_readers: list[Actor] = [ANONYMOUS, cast.resident, cast.other_leader, cast.far_staff]
    for reader in public_readers:
        # WHEN a public reader looks at the records of the first grid
        seen = {a.id for a in (await queries.activity_feed(reader, queries.FeedFilter(), ALL)).items}
        # THEN they get the public verified ones only, at the grid, details only where public
        assert {world.culture.id, world.environment.id, world.deliberation.id} <= seen, reader
        assert world.mediation.id not in seen
        assert world.submitted.id not in seen
        assert policy.shown_cell_id(reader, world.culture) == cast.tree.grids[0].id
        assert policy.shown_cell_id(reader, world.deliberation) == cast.tree.grids[0].id
        assert not policy.can_see_details(reader, world.culture)
        assert policy.can_see_details(reader, world.environment)
        # ... a non-public verified record does not exist for them
        with pytest.raises(NotFound):
            await queries.activity_for_viewer(reader, world.mediation.id)
        # ... and a micro-grid's feed, or a filter on it, shows them nothing
        for where in (
            queries.FeedFilter(subtree_path=cast.tree.micro_grids[1].path),
            queries.FeedFilter(cell_id=cast.tree.micro_grids[1].id),
        ):
            assert (await queries.activity_feed(reader, where, ALL)).items == [], reader
            assert await queries.activities_count(reader, where) == 0
    # the author and staff covering the records see them all, at their own cells, with details
    for full in (cast.leader, cast.staff, cast.bureau):
        assert policy.shown_cell_id(full, world.culture) == cast.tree.micro_grids[1].id
        assert policy.can_see_details(full, world.mediation)
        where = queries.FeedFilter(cell_id=cast.tree.micro_grids[1].id)
        assert {a.id for a in (await queries.activity_feed(full, where, ALL)).items} == {
            world.culture.id,
            world.submitted.id,
        }


async def test_changing_who_sees_a_record_takes_effect_and_is_audited() -> None:
    # GIVEN a verified mediation nobody but the author and staff sees
    world = await build_privacy_world()
    cast = world.cast
    assert world.mediation.id not in await _public_ids()
    # WHEN the grid staff make it public, then its details too
    await service.set_activity_public(actor=cast.staff, activity_id=world.mediation.id, public=True)
    assert world.mediation.id in await _public_ids()
    assert not policy.can_see_details(ANONYMOUS, await Activity.get(id=world.mediation.id))
    await service.set_activity_public(
        actor=cast.bureau, activity_id=world.mediation.id, public=True, details_public=True
    )
    assert policy.can_see_details(ANONYMOUS, await Activity.get(id=world.mediation.id))
    # ... and then private again
    await service.set_activity_public(actor=cast.staff, activity_id=world.mediation.id, public=False)
    # THEN each change took effect, and each is in the audit trail with what it was before
    record = await Activity.get(id=world.mediation.id)
    assert (record.is_public, record.details_public) == (False, False)
    assert world.mediation.id not in await _public_ids()
    entries = await AuditEntry.filter(action="activity.set_public").order_by("seq")
    assert [(e.summary["public"], e.summary["details_public"], e.summary["was_public"]) for e in entries] == [
        (True, False, False),
        (True, True, True),
        (False, False, True),
    ]
    assert [e.object_id for e in entries] == [str(world.mediation.id)] * 3


async def _public_ids() -> set[int]:
    return {a.id for a in (await queries.activity_feed(ANONYMOUS, queries.FeedFilter(), ALL)).items}


async def test_only_those_who_may_verify_a_record_change_who_sees_it() -> None:
    world = await build_privacy_world()
    cast = world.cast
    # the author, a resident, staff of another grid and anonymous may not (the non-public
    # record does not even exist for the last three)
    refused: list[tuple[Actor, type[DomainError]]] = [
        (cast.leader, PermissionDenied),
        (cast.resident, NotFound),
        (cast.far_staff, NotFound),
        (ANONYMOUS, DomainError),
    ]
    for actor, error in refused:
        with pytest.raises(error):
            await service.set_activity_public(actor=actor, activity_id=world.mediation.id, public=True)
    # a token without write:activities may not either
    read_only = Actor(user_id=cast.staff.user_id, grants=cast.staff.grants, token_scopes=frozenset({"read"}))
    with pytest.raises(PermissionDenied):
        await service.set_activity_public(actor=read_only, activity_id=world.mediation.id, public=True)
    # a record awaiting review is made public (or not) when it is verified
    with pytest.raises(DomainError) as refusal:
        await service.set_activity_public(actor=cast.staff, activity_id=world.submitted.id, public=True)
    assert refusal.value.code is ErrorCode.INVALID_TRANSITION
    assert not (await Activity.get(id=world.mediation.id)).is_public
    assert await AuditEntry.filter(action="activity.set_public").count() == 0


async def test_a_photo_is_served_only_to_those_who_see_the_details() -> None:
    world = await build_privacy_world()
    cast = world.cast
    for name, photo in world.photos.items():
        record = await Activity.get(id=photo.activity_id)
        for reader in (ANONYMOUS, cast.resident, cast.far_staff):
            if policy.can_see_details(reader, record):
                await service.photo_for_viewer(actor=reader, photo_id=photo.id)
            else:
                with pytest.raises(NotFound):
                    await service.photo_for_viewer(actor=reader, photo_id=photo.id)
        await service.photo_for_viewer(actor=cast.leader, photo_id=photo.id)
        assert name
    # (of the three, only the environment record's details are public)
    assert [
        policy.can_see_details(ANONYMOUS, await Activity.get(id=p.activity_id)) for p in world.photos.values()
    ] == [
        False,
        False,
        True,
    ]


async def test_counts_stay_public() -> None:
    # GIVEN a verified mediation that is not public
    cast = await build_cast()
    await verified_activity(
        cast.leader,
        cast.staff,
        cast.tree.micro_grids[0],
        activity_type=ActivityType.MEDIATION,
        **BY_TYPE[ActivityType.MEDIATION],
    )
    await submitted_activity(
        cast.leader, cast.tree.micro_grids[0], started_at=hours_ago(2), ended_at=hours_ago(1)
    )
    # THEN the leader's verified counts and the town's counts per unit still include it
    counts = await queries.verified_counts_by_type([cast.leader_row.id])
    assert counts[cast.leader_row.id] == {ActivityType.MEDIATION: 1}
    units = await queries.counts_by_type_for_units(cast.tree.town, hours_ago(48), hours_ago(-1))
    assert units[cast.tree.community.id] == {ActivityType.MEDIATION: 1}
