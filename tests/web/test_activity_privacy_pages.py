"""The pages show the public what the privacy rule allows (a cell's feed, the leader's profile, an
activity's page, its photos), staff a 公开/不公开 badge, and staff who may verify a record the
switch that changes who sees it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from domain import storage
from domain.activities import service
from domain.activities.models import Activity, ActivityPhoto, ActivityType, MediationOutcome
from domain.audit.models import AuditEntry
from tests.factories_activities import Cast, image_bytes, log_activity, submitted_activity
from tests.factories_privacy import MEDIATION_NARRATIVE, build_privacy_world
from tests.web.html import parse
from tests.web.session import new_client, signed_in


@pytest.fixture(autouse=True)
def photo_folder(tmp_path: Path) -> Iterator[Path]:
    previous = storage.configure(tmp_path)
    yield tmp_path
    storage.configure(previous)


async def test_the_public_never_reads_a_verified_mediation_on_any_page(client: httpx.AsyncClient) -> None:
    # GIVEN a verified mediation at a micro-grid (not public) with a photo, among public records
    world = await build_privacy_world()
    tree = world.cast.tree
    photo = await _real_photo(world.cast, ActivityType.MEDIATION)
    pages = [
        f"/grids/{tree.micro_grids[0].code}/activities",
        f"/grids/{tree.grids[0].code}/activities",
        f"/grids/{tree.community.code}/activities",
        f"/leaders/{world.cast.leader_row.id}",
        f"/grids/{tree.micro_grids[0].code}",
    ]
    for url in pages:
        # WHEN an anonymous reader opens the pages that list records
        response = await client.get(url)
        # THEN the mediation is on none of them
        assert response.status_code == 200, url
        assert MEDIATION_NARRATIVE not in response.text, url
        assert "吴家宅" not in response.text, url
    # ... its own page and its photo do not exist for them
    assert (await client.get(f"/activities/{world.mediation.id}")).status_code == 404
    assert (await client.get(f"/photos/{photo.id}")).status_code == 404
    # ... and a micro-grid's feed lists nothing at all, a grid's feed the public records at the grid
    micro = parse((await client.get(pages[0])).text)
    assert micro.find_all("article") == []
    grid = parse((await client.get(pages[1])).text)
    assert set(grid.texts(class_="activity-card__title")) == {
        "重阳节邻里联欢",
        "清理楼道堆物",
        "商议加装电梯",
    }
    # ... each shown at the grid, with details only where they are public
    cards = {card.find(class_="activity-card__title").text: card for card in grid.find_all("article")}
    for card in cards.values():
        assert card.find(class_="activity-card__meta").find("a").text == tree.grids[0].name
        assert not card.find_all(class_="publicity")  # no badge for the public
    assert not cards["重阳节邻里联欢"].find_all(class_="activity-card__narrative")
    assert "南河头社区活动室" not in cards["重阳节邻里联欢"].text
    assert cards["重阳节邻里联欢"].find(class_="activity-card__withheld").text == "详情不公开。"
    assert cards["清理楼道堆物"].find(class_="activity-card__narrative").text == "清出杂物两车。"
    # ... while its author still reads it in full, at its micro-grid
    author = await signed_in(client, "leader.li")
    _, doc = await author.open(f"/activities/{world.mediation.id}")
    assert doc.find(class_="activity-card__narrative").text == MEDIATION_NARRATIVE
    assert doc.find(class_="activity-card__meta").find("a").text == tree.micro_grids[0].name
    assert (await author.client.get(f"/photos/{photo.id}")).status_code == 200


async def test_a_photo_is_public_only_with_the_details(client: httpx.AsyncClient) -> None:
    world = await build_privacy_world()
    photo = await _real_photo(world.cast, ActivityType.ENVIRONMENT)  # public, details not
    assert (await client.get(f"/photos/{photo.id}")).status_code == 404
    await service.set_activity_public(
        actor=world.cast.staff, activity_id=photo.activity_id, public=True, details_public=True
    )
    assert (await client.get(f"/photos/{photo.id}")).status_code == 200


async def test_staff_see_the_badge_and_change_who_sees_a_record(client: httpx.AsyncClient) -> None:
    # GIVEN the records, and the grid staff over the community signed in
    world = await build_privacy_world()
    staff = await signed_in(client, "staff.zhou")
    # WHEN they open the grid's feed, THEN each verified record carries who sees it
    _, feed = await staff.open(f"/grids/{world.cast.tree.grids[0].code}/activities")
    badges = {
        card.find(class_="activity-card__title").text: card.find(class_="activity-card__head").text
        for card in feed.find_all("article")
    }
    assert "不公开" in badges["调解吴家宅家庭赡养纠纷"]
    assert "公开（含详情）" in badges["清理楼道堆物"]
    assert "公开" in badges["重阳节邻里联欢"]
    assert "不公开" not in badges["重阳节邻里联欢"]
    # WHEN they open the mediation's page, THEN the switch shows it is not public
    _, doc = await staff.open(f"/activities/{world.mediation.id}")
    form = doc.find("form", action=f"/activities/{world.mediation.id}/publicity")
    assert "checked" not in form.find("input", name="public").attrs
    # WHEN they make it public (not its details)
    response = await staff.submit(
        f"/activities/{world.mediation.id}/publicity", {"publicity": "1", "public": "on"}
    )
    # THEN it is public, the page says so, the public reads it without the narrative, and it is audited
    assert response.status_code == 303
    _, doc = await staff.open(response.headers["location"])
    assert doc.find(class_="alert--success").text == "已更新公开范围。"
    assert "checked" in doc.find("input", name="public").attrs
    async with new_client() as anonymous:
        public = parse((await anonymous.get(f"/activities/{world.mediation.id}")).text)
    assert public.find("h1").text == "调解吴家宅家庭赡养纠纷"
    assert MEDIATION_NARRATIVE not in public.text
    assert not public.find_all("form", action=f"/activities/{world.mediation.id}/publicity")
    assert await AuditEntry.filter(action="activity.set_public").count() == 1
    # ... and the author, who may not verify their own record, gets no switch
    async with new_client() as other:
        author = await signed_in(other, "leader.li")
        _, doc = await author.open(f"/activities/{world.mediation.id}")
    assert doc.find(class_="activity-card__narrative").text == MEDIATION_NARRATIVE
    assert not doc.find_all("form", action=f"/activities/{world.mediation.id}/publicity")


async def test_the_review_form_starts_at_the_types_default(client: httpx.AsyncClient) -> None:
    # GIVEN a mediation and a culture record awaiting review
    world = await build_privacy_world()
    cast = world.cast
    mediation = await submitted_activity(
        cast.leader,
        cast.tree.micro_grids[0],
        activity_type=ActivityType.MEDIATION,
        title="待审调解",
        mediation_outcome=MediationOutcome.RESOLVED,
    )
    staff = await signed_in(client, "staff.zhou")
    # WHEN the staff open the queue
    _, doc = await staff.open("/review")

    # THEN 公开 is ticked for the culture record and not for the mediation; details never
    def boxes(activity: Activity) -> tuple[bool, bool]:
        form = doc.find("form", action=f"/review/{activity.id}/verify")
        return (
            "checked" in form.find("input", name="public").attrs,
            "checked" in form.find("input", name="details_public").attrs,
        )

    assert boxes(mediation) == (False, False)
    assert boxes(world.submitted) == (True, False)
    # WHEN they verify the mediation with 公开 ticked
    response = await staff.submit(f"/review/{mediation.id}/verify", {"publicity": "1", "public": "on"})
    # THEN it is public (as chosen), its details not
    assert response.status_code == 303
    stored = await Activity.get(id=mediation.id)
    assert (stored.is_public, stored.details_public) == (True, False)
    # ... and a culture record verified with nothing ticked is not public
    await staff.open("/review")
    await staff.submit(f"/review/{world.submitted.id}/verify", {"publicity": "1"})
    assert not (await Activity.get(id=world.submitted.id)).is_public


async def _real_photo(cast: Cast, kind: ActivityType) -> ActivityPhoto:
    """A verified record of `kind` (public by its default) with a stored photo."""
    extra = {"mediation_outcome": MediationOutcome.RESOLVED} if kind is ActivityType.MEDIATION else {}
    activity = await log_activity(cast.leader, cast.tree.micro_grids[0], activity_type=kind, **extra)
    photo = await service.add_photo(actor=cast.leader, activity_id=activity.id, data=image_bytes("JPEG"))
    await service.submit_activity(actor=cast.leader, activity_id=activity.id)
    await service.verify_activity(actor=cast.staff, activity_id=activity.id)
    return photo
