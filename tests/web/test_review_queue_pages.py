"""The verification queue page (/review): the bureau's city-wide queue by town and searched, grid
staff's within their scope, paged by keyset with the filter kept, in a fixed number of statements."""

from __future__ import annotations

import httpx
import pytest

from domain.activities.models import ActivityStatus
from domain.grids.codes import GridKind
from tests.conftest import SqlLog
from tests.factories import cell
from tests.factories_activities import Cast, build_cast, insert_activities
from tests.web.html import Element
from tests.web.session import signed_in
from web.pages.activities import PAGE_SIZE

SUBMITTED = ActivityStatus.SUBMITTED
# session + its roles, the page, the counts per town, the towns' names, then the cards' cells,
# leaders and photos
QUEUE_PAGE_STATEMENTS = 8


async def _two_towns(in_danghu: int = 3, in_zhongdai: int = 2) -> tuple[Cast, int]:
    cast = await build_cast()
    town = await cell(GridKind.TOWN, "330482002", "钟埭街道", cast.tree.city)
    unit = await cell(GridKind.COMMUNITY, "330482002001", "演示社区", town)
    li, wang = cast.users["leader.li"].id, cast.users["leader.wang"].id
    await insert_activities(
        cast.tree.micro_grids[0], in_danghu, author_user_id=li, leader_id=cast.leader_row.id, status=SUBMITTED
    )
    await insert_activities(
        unit, in_zhongdai, author_user_id=wang, leader_id=cast.other_leader_row.id, status=SUBMITTED
    )
    return cast, town.id


def _towns(doc: Element) -> list[str]:
    return [" ".join(link.text.split()) for link in doc.find_all(class_="town-counts__link")]


async def test_the_bureau_sees_every_town_with_its_count_and_picks_one(client: httpx.AsyncClient) -> None:
    # GIVEN waiting records in two towns
    _, zhongdai = await _two_towns()
    bureau = await signed_in(client, "bureau.chen")
    # WHEN the bureau opens the queue
    _, doc = await bureau.open("/review")
    # THEN it holds both towns' records, with the count per town
    assert doc.find(id="queue-heading").text == "待审核 5"
    assert _towns(doc) == ["全部 5", "当湖街道 3", "钟埭街道 2"]
    # WHEN it picks 钟埭街道
    _, doc = await bureau.open(f"/review?town={zhongdai}")
    # THEN only that town's records are listed, the town marked as chosen
    assert doc.find(id="queue-heading").text == "待审核 2"
    assert len(doc.find_all("article")) == 2
    chosen = [
        link.text.split()[0]
        for link in doc.find_all(class_="town-counts__link")
        if "aria-current" in link.attrs
    ]
    assert chosen == ["钟埭街道"]


async def test_the_bureau_searches_by_leader_name_and_title(client: httpx.AsyncClient) -> None:
    await _two_towns()
    bureau = await signed_in(client, "bureau.chen")
    _, doc = await bureau.open("/review?q=王微领")
    assert doc.find(id="queue-heading").text == "待审核 2"
    assert all("记录人 王微领" in card.text for card in doc.find_all("article"))
    assert _towns(doc) == ["全部 2", "钟埭街道 2"]
    _, doc = await bureau.open("/review?q=没有这样的记录")
    assert doc.find(class_="empty").text == "没有符合条件的待审核记录。"


async def test_grid_staff_keep_their_scope(client: httpx.AsyncClient) -> None:
    _, zhongdai = await _two_towns()
    staff = await signed_in(client, "staff.zhou")
    _, doc = await staff.open("/review")
    assert doc.find(id="queue-heading").text == "待审核 3"
    assert _towns(doc) == ["全部 3", "当湖街道 3"]
    _, doc = await staff.open(f"/review?town={zhongdai}")
    assert doc.find(id="queue-heading").text == "待审核 0"
    assert doc.find_all("article") == []


async def test_the_next_page_keeps_the_town_and_search(client: httpx.AsyncClient) -> None:
    cast, _ = await _two_towns(in_danghu=PAGE_SIZE + 3)
    bureau = await signed_in(client, "bureau.chen")
    town = cast.tree.town.id
    _, doc = await bureau.open(f"/review?town={town}&q=测试")
    assert len(doc.find_all("article")) == PAGE_SIZE
    next_url = doc.find(class_="pager__next").attrs["href"]
    assert f"town={town}" in next_url
    assert "q=" in next_url
    _, doc = await bureau.open(next_url)
    assert len(doc.find_all("article")) == 3


@pytest.mark.parametrize("waiting", [3, 30])
async def test_the_queue_costs_the_same_statements_for_3_or_30_records(
    client: httpx.AsyncClient, sql_log: SqlLog, waiting: int
) -> None:
    # GIVEN `waiting` records in 当湖街道 and 2 in 钟埭街道
    await _two_towns(in_danghu=waiting)
    bureau = await signed_in(client, "bureau.chen")
    # WHEN the bureau opens the queue
    sql_log.reset()
    _, doc = await bureau.open("/review")
    # THEN it takes a fixed number of statements
    assert len(doc.find_all("article")) == min(waiting + 2, PAGE_SIZE)
    assert sql_log.count == QUEUE_PAGE_STATEMENTS
