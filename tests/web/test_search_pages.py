"""The search page (/search): grid cells for everyone, micro-leaders by full name for staff only,
activity records by title as far as the reader may see them; bounded sections in a fixed number
of statements."""

from __future__ import annotations

import httpx
import pytest

from domain.activities.models import ActivityStatus, ActivityType
from tests.conftest import SqlLog
from tests.factories_activities import (
    Cast,
    build_cast,
    insert_activities,
    submitted_activity,
    verified_activity,
)
from tests.web.html import Element
from tests.web.session import Browser, signed_in
from web.pages.search import SECTION_SIZE


async def _records(cast: Cast) -> None:
    """A published volunteering record, a verified visit that is not public, a waiting record."""
    await verified_activity(
        cast.leader, cast.staff, cast.tree.micro_grids[0], activity_type=ActivityType.VOLUNTEERING,
        title="楼道清理志愿服务", volunteer_hours=1, public=True, details_public=True,
    )  # fmt: skip
    await verified_activity(cast.leader, cast.staff, cast.tree.micro_grids[1], title="走访独居老人张某")
    await submitted_activity(cast.other_leader, cast.tree.micro_grids[2], title="调解楼上漏水纠纷")


def _titles(doc: Element) -> list[str]:
    return doc.texts(class_="activity-card__title")


async def _search(browser: Browser, q: str) -> tuple[str, Element]:
    response, doc = await browser.open(f"/search?q={q}")
    assert response.status_code == 200
    return response.text, doc


async def test_anonymous_finds_cells_and_published_records_but_never_a_leader(
    client: httpx.AsyncClient,
) -> None:
    cast = await build_cast()
    await _records(cast)
    anonymous = Browser(client)
    # WHEN the public searches a cell's name, THEN the cell is found
    _, doc = await _search(anonymous, "南河头")
    assert doc.find(class_="result__title").text.split()[0] == "南河头社区"
    # WHEN it searches titles, THEN only the published record is found, at its grid
    _, doc = await _search(anonymous, "楼")
    assert _titles(doc) == ["楼道清理志愿服务"]
    assert doc.find("article").find(class_="activity-card__meta").find("a").text == "第1网格"
    for hidden in ("走访独居老人", "漏水"):
        _, doc = await _search(anonymous, hidden)
        assert _titles(doc) == []
    # WHEN it searches a leader's full name, THEN there is no leader section and the name is nowhere
    text, doc = await _search(anonymous, "李微领")
    assert not doc.find_all(id="leaders-heading")
    assert "李微领" not in text.replace('value="李微领"', "").replace("“李微领”", "")


@pytest.mark.parametrize("username", ["resident.zhao", "leader.wang"])
async def test_signed_in_non_staff_see_no_leaders_and_only_records_they_may_see(
    client: httpx.AsyncClient, username: str
) -> None:
    cast = await build_cast()
    await _records(cast)
    browser = await signed_in(client, username)
    _, doc = await _search(browser, "李微领")
    assert not doc.find_all(id="leaders-heading")
    _, doc = await _search(browser, "楼")
    own = ["调解楼上漏水纠纷"] if username == "leader.wang" else []
    assert sorted(_titles(doc)) == sorted(["楼道清理志愿服务", *own])


async def test_staff_find_leaders_by_full_name_and_every_record_in_scope(client: httpx.AsyncClient) -> None:
    cast = await build_cast()
    await _records(cast)
    staff = await signed_in(client, "staff.zhou")
    _, doc = await _search(staff, "微领")
    assert [a.text for a in doc.find(class_="leader-list").find_all("a", class_="row-link")] == [
        "李微领",
        "王微领",
    ]
    _, doc = await _search(staff, "楼")
    assert sorted(_titles(doc)) == ["楼道清理志愿服务", "调解楼上漏水纠纷"]
    _, doc = await _search(staff, "走访")
    assert _titles(doc) == ["走访独居老人张某"]


async def test_each_section_is_bounded(client: httpx.AsyncClient) -> None:
    cast = await build_cast()
    await insert_activities(cast.tree.grids[0], SECTION_SIZE + 5, author_user_id=cast.users["leader.li"].id)
    _, doc = await _search(Browser(client), "测试活动")
    assert len(_titles(doc)) == SECTION_SIZE
    assert "只显示最新的" in doc.find(class_="section__more").text


@pytest.mark.parametrize("hits", [3, 30])
@pytest.mark.parametrize(("username", "statements"), [("", 6), ("staff.zhou", 9)])
async def test_the_search_costs_the_same_statements_for_3_or_30_hits(
    client: httpx.AsyncClient, sql_log: SqlLog, hits: int, username: str, statements: int
) -> None:
    # GIVEN `hits` published records with their details, by a leader
    cast = await build_cast()
    await insert_activities(
        cast.tree.grids[0], hits, author_user_id=cast.users["leader.li"].id,
        leader_id=cast.leader_row.id, details_public=True, status=ActivityStatus.VERIFIED,
    )  # fmt: skip
    browser = await signed_in(client, username) if username else Browser(client)
    # WHEN the search matches them all
    sql_log.reset()
    _, doc = await _search(browser, "测试")
    # THEN it takes a fixed number of statements: the cells' page and count (no cell matches, so
    # no trails); for staff the session, its roles and the leaders' page (none match, so no home
    # cells); the records, their cells, their leaders and their photos
    assert len(_titles(doc)) == min(hits, SECTION_SIZE)
    assert sql_log.count == statements
