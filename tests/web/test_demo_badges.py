"""Generated data tells the truth on every page: cohorts, micro-leaders, training sessions,
activity records, certificates and people from the demo seeds wear GridCell's 演示数据 badge
(演示 in lists and tables), and real ones never do. Each page is opened twice, on a generated
object and on a real one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx

from domain.access import Role
from domain.activities.models import Activity
from domain.leaders import service
from domain.leaders.models import Certificate, Cohort, MicroLeader, TrainingSession
from domain.people.models import Person
from tests.accounts import make_user
from tests.factories import BUREAU, build_tree
from tests.factories_activities import verified_activity
from tests.factories_leaders import Training, build_training, enrol, start_session
from tests.web.html import Element
from tests.web.session import Browser, signed_in


@dataclass
class Side:
    """One training (cohort, session, an enrolled leader with a record, a certified leader)."""

    training: Training
    activity: Activity
    certificate: str

    @property
    def cohort(self) -> Cohort:
        return self.training.cohort

    @property
    def session(self) -> TrainingSession:
        return self.training.sessions[0]

    @property
    def leader(self) -> MicroLeader:
        return self.training.leaders[0].leader


async def _side(training: Training, *, demo: bool) -> Side:
    """Enrol both leaders, start the session now, record a public verified activity by the first
    leader and certify the second (flagging the rows first, as the seeds insert them)."""
    first, second = (account.leader for account in training.leaders)
    for leader in (first, second):
        await enrol(training.sessions[0], leader)
    training.sessions[0] = await start_session(training.sessions[0], ago=timedelta(0))
    if demo:
        await Cohort.filter(id=training.cohort.id).update(is_demo=True)
        await TrainingSession.filter(cohort_id=training.cohort.id).update(is_demo=True)
        await MicroLeader.filter(cohort_id=training.cohort.id).update(is_demo=True)
        await Person.filter(id__in=[first.person_id, second.person_id]).update(is_demo=True)
    cell = training.tree.micro_grids[0]
    activity = await verified_activity(
        training.leaders[0].actor, BUREAU, cell, title=f"记录{training.cohort.id}", public=True
    )
    if demo:
        await Activity.filter(id=activity.id).update(is_demo=True)
    await service.certify_leader(actor=BUREAU, leader_id=second.id, reason="已完成市级同类培训")
    certificate = await Certificate.get(leader_id=second.id)
    assert certificate.is_demo is demo  # issued after the leader's flag
    return Side(training, activity, certificate.number)


async def _world() -> tuple[Side, Side]:
    tree = await build_tree(grids=1, micro_grids_per_grid=2)
    await make_user("bureau.chen", Role.BUREAU_STAFF)
    trainings = [
        await build_training(tree, leaders=2, required=2, elective=0, min_share="0.5") for _ in range(2)
    ]
    return await _side(trainings[0], demo=True), await _side(trainings[1], demo=False)


def _badged(element: Element) -> bool:
    return bool(element.find_all(class_="badge--demo"))


def _item(doc: Element, tag: str, href: str) -> Element:
    """The list item or table row (or card) linking to `href`."""
    found = [e for e in doc.find_all(tag) if e.find_all("a", href=href)]
    assert found, f"no <{tag}> linking to {href}"
    return found[-1]


async def _pages(browser: Browser, url: str) -> Element:
    response, doc = await browser.open(url)
    assert response.status_code == 200, (url, response.status_code)
    return doc


async def test_lists_mark_generated_rows_and_leave_real_rows_alone(client: httpx.AsyncClient) -> None:
    # GIVEN a generated training beside a real one, each with a record and a certificate
    demo, real = await _world()
    bureau = await signed_in(client, "bureau.chen")
    # WHEN the bureau opens the lists THEN each generated row wears the badge, and no real row does
    leaders = await _pages(bureau, "/leaders")
    cohorts = await _pages(bureau, "/training")
    feed = await _pages(bureau, f"/grids/{demo.training.tree.community.code}/activities")
    desk = await _pages(bureau, "/workbench")
    for side, flagged in ((demo, True), (real, False)):
        assert _badged(_item(leaders, "li", f"/leaders/{side.leader.id}")) is flagged
        assert _badged(_item(cohorts, "tr", f"/training/cohorts/{side.cohort.id}")) is flagged
        assert _badged(_item(feed, "article", f"/activities/{side.activity.id}")) is flagged
        week = desk.find(aria_labelledby="week-heading")
        assert _badged(_item(week, "li", f"/training/sessions/{side.session.id}")) is flagged
        near = desk.find(aria_labelledby="near-heading")
        assert _badged(_item(near, "li", f"/leaders/{side.leader.id}")) is flagged
        cohort = await _pages(bureau, f"/training/cohorts/{side.cohort.id}")
        assert _badged(_item(cohort, "tr", f"/training/sessions/{side.session.id}")) is flagged
        assert _badged(_item(cohort, "tr", f"/leaders/{side.leader.id}")) is flagged
        certificates = await _pages(bureau, f"/training/cohorts/{side.cohort.id}/certificates")
        assert _badged(_item(certificates, "tr", f"/certificates/{side.certificate}")) is flagged
    # AND the short badge reads 演示 (as a grid cell's does in a table)
    assert (
        _item(cohorts, "tr", f"/training/cohorts/{demo.cohort.id}").find(class_="badge--demo").text == "演示"
    )


async def test_pages_of_generated_objects_say_so_under_their_title(client: httpx.AsyncClient) -> None:
    demo, real = await _world()
    bureau = await signed_in(client, "bureau.chen")
    for side, flagged in ((demo, True), (real, False)):
        urls = (
            f"/leaders/{side.leader.id}",
            f"/training/cohorts/{side.cohort.id}",
            f"/training/sessions/{side.session.id}",
            f"/activities/{side.activity.id}",
            f"/certificates/{side.certificate}",
        )
        for url in urls:
            doc = await _pages(bureau, url)
            if flagged:  # the full badge, under the page's title
                flags = doc.find(class_="cell-header__flags")
                assert flags.find(class_="badge--demo").text == "演示数据", url
            else:  # nothing on the page of a real object wears it
                assert not _badged(doc), url
        # the session's attendance sheet marks its people
        sheet = (await _pages(bureau, f"/training/sessions/{side.session.id}")).find(id="attendance-sheet")
        assert _badged(sheet) is flagged


async def test_a_generated_leader_sees_the_badge_on_their_own_training_and_a_real_one_does_not(
    client: httpx.AsyncClient,
) -> None:
    demo, real = await _world()
    for side, flagged in ((demo, True), (real, False)):
        leader = await signed_in(client, side.training.leaders[0].user.username)
        for url in ("/me/training", "/workbench", f"/training/sessions/{side.session.id}/check-in"):
            doc = await _pages(leader, url)
            assert _badged(doc) is flagged, url
        training = await _pages(leader, "/me/training")
        if flagged:
            assert training.find(class_="page-header").find(class_="badge--demo").text == "演示数据"
            upcoming = training.find(aria_labelledby="upcoming-heading")
            assert upcoming.find(class_="session-item__head").find(class_="badge--demo").text == "演示"
        client.cookies.clear()  # the next leader signs in on this browser
