"""The 工作台: everyone lands on it after signing in, and it shows each role what to do next —
a leader's returned records, drafts, next sessions and progress; grid staff their queue; bureau
staff the county-wide backlog per town, this week's sessions and leaders close to certification.
A few SQL statements each, however much there is."""

from __future__ import annotations

from datetime import timedelta

import httpx

from domain.access import Role
from tests.accounts import actor_of, make_user
from tests.conftest import SqlLog
from tests.factories import build_tree
from tests.factories_activities import log_activity, returned_activity, submitted_activity
from tests.factories_leaders import Training, build_training, enrol, start_session
from tests.web.html import Element
from tests.web.session import signed_in


async def leader_with_work() -> Training:
    """A cohort whose first leader has a returned record, two drafts and one record waiting for
    review; grid staff for the community; bureau staff."""
    tree = await build_tree(grids=1, micro_grids_per_grid=3)
    staff_user = await make_user("staff.zhou", Role.GRID_STAFF, cell=tree.community)
    await make_user("bureau.chen", Role.BUREAU_STAFF)
    training = await build_training(tree, leaders=2, required=2, elective=0, min_share="0.5")
    leader = training.leaders[0]
    await enrol(training.sessions[0], leader.leader)
    staff = await actor_of(staff_user)
    micro = tree.micro_grids[0]
    await returned_activity(leader.actor, staff, micro, reason="请补充走访户数", title="走访独居老人")
    await log_activity(leader.actor, micro, title="草稿一")
    await log_activity(leader.actor, micro, title="草稿二")
    await submitted_activity(leader.actor, micro, title="等待核实")
    return training


def stat(doc: Element, label: str) -> str:
    for item in doc.find_all(class_="stat"):
        if item.find("dt").text == label:
            return item.find("dd").text
    raise AssertionError(f"no stat {label}")


async def test_signing_in_lands_on_the_workbench_and_anonymous_visitors_are_sent_to_sign_in(
    client: httpx.AsyncClient,
) -> None:
    await make_user("resident.zhao", Role.RESIDENT)
    assert (await client.get("/workbench")).headers["location"] == "/signin?next=/workbench"

    browser = await signed_in(client, "resident.zhao")
    assert browser.last is not None
    assert browser.last.headers["location"] == "/workbench"
    _, doc = await browser.open("/workbench")
    assert doc.find("h1").text == "工作台"
    assert "暂无待办事项" in doc.text


async def test_a_leader_sees_what_to_fix_their_drafts_next_session_and_progress(
    client: httpx.AsyncClient,
) -> None:
    training = await leader_with_work()
    browser = await signed_in(client, training.leaders[0].user.username)

    _, doc = await browser.open("/workbench")

    assert stat(doc, "退回待修改") == "1"
    assert stat(doc, "草稿") == "2"
    returned = doc.find(class_="desk-list__item")
    assert returned.find("a").text == "走访独居老人"
    assert returned.find("a").attrs["href"].endswith("/edit")
    assert "请补充走访户数" in returned.text
    assert training.sessions[0].title in doc.find(aria_labelledby="upcoming-heading").text
    assert "必修出勤" in doc.text
    assert doc.find_all(id="review-heading") == []
    assert doc.find_all(id="backlog-heading") == []


async def test_grid_staff_see_their_queue_and_its_oldest_record(client: httpx.AsyncClient) -> None:
    await leader_with_work()
    browser = await signed_in(client, "staff.zhou")

    _, doc = await browser.open("/workbench")

    assert stat(doc, "待审核记录") == "1"
    assert stat(doc, "最早提交") != "—"
    assert doc.find_all(id="leader-heading") == []


async def test_bureau_staff_see_the_backlog_per_town_the_week_and_leaders_close_to_certification(
    client: httpx.AsyncClient,
) -> None:
    training = await leader_with_work()
    await start_session(training.sessions[0], ago=timedelta(0))
    browser = await signed_in(client, "bureau.chen")

    _, doc = await browser.open("/workbench")

    first_town = doc.find(aria_labelledby="backlog-heading").find("tbody").find("tr")
    assert first_town.find("th").text == training.tree.town.name
    assert first_town.find("td").text == "1 条"
    assert training.sessions[0].title in doc.find(aria_labelledby="week-heading").text
    # the enrolled leader needs one of two required sessions (50%): one short, so close
    near = doc.find(aria_labelledby="near-heading")
    assert "李微领1" in near.text
    assert "李微领2" not in near.text  # nominated, not enrolled


async def test_each_workbench_costs_a_fixed_number_of_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    training = await leader_with_work()
    counts = {}
    for username in (training.leaders[0].user.username, "staff.zhou", "bureau.chen"):
        browser = await signed_in(client, username)
        sql_log.reset()
        await browser.open("/workbench")
        counts[username] = sql_log.count
    # Each count includes the two statements that authenticate the request (session, grants).
    assert counts == {training.leaders[0].user.username: 8, "staff.zhou": 3, "bureau.chen": 7}
