"""Exporting a cell's feed as XLSX or CSV: staff covering the cell only, the feed's own filters,
at most `MAX_EXPORT` records, details only where the reader sees them, and every export audited
(the rows carry the recorders' full names)."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from tortoise import connections

from domain.activities import service
from domain.activities.models import Activity, ActivityStatus, ActivityType, ProblemCategory
from domain.audit.models import AuditEntry
from tests.conftest import SqlLog
from tests.factories_activities import (
    Cast,
    build_cast,
    insert_activities,
    submitted_activity,
    verified_activity,
)
from tests.web.session import Browser, signed_in
from web.pages.activities import EXPORT_HEADERS, WITHHELD, export_rows

# session + roles, the cell, the records, the audit entry (chain head, insert; PostgreSQL also
# takes the chain's advisory lock), the records' cells, their leaders
EXPORT_STATEMENTS = 8


async def _records(cast: Cast) -> None:
    await verified_activity(cast.leader, cast.staff, cast.tree.micro_grids[0], title="走访独居老人")
    await submitted_activity(
        cast.leader, cast.tree.micro_grids[1], activity_type=ActivityType.ENVIRONMENT,
        title="清理楼道堆物", problems={ProblemCategory.SANITATION: 2},
    )  # fmt: skip


def _xlsx(response: httpx.Response) -> list[tuple[Any, ...]]:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


def _csv(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _column(rows: list[Any], header: str) -> list[Any]:
    index = EXPORT_HEADERS.index(header)
    return [row[index] for row in rows[1:]]


async def test_the_bureau_exports_a_communitys_records_with_names_and_it_is_audited(
    client: httpx.AsyncClient,
) -> None:
    cast = await build_cast()
    await _records(cast)
    bureau = await signed_in(client, "bureau.chen")
    # WHEN the bureau exports the community's feed as XLSX
    rows = _xlsx(await bureau.client.get(f"/grids/{cast.tree.community.code}/activities/export.xlsx"))
    # THEN Chinese headers, every record (waiting ones too), newest first, with details and names
    assert list(rows[0]) == EXPORT_HEADERS
    assert _column(rows, "标题") == ["清理楼道堆物", "走访独居老人"]
    assert _column(rows, "状态") == ["待审核", "已核实"]
    assert _column(rows, "记录人") == ["李微领", "李微领"]
    assert _column(rows, "发现问题")[0] == "环境卫生 2 处"
    assert _column(rows, "经过")[1] == "上门了解冬季取暖情况。"
    # AND the export is in the audit log, with its filter and size
    entry = await AuditEntry.get(action="activity.export")
    assert entry.actor_user_id == cast.users["bureau.chen"].id
    assert entry.summary["rows"] == 2
    assert entry.summary["cell"] == cast.tree.community.code


async def test_the_csv_keeps_the_feeds_filters(client: httpx.AsyncClient) -> None:
    cast = await build_cast()
    await _records(cast)
    staff = await signed_in(client, "staff.zhou")
    url = f"/grids/{cast.tree.community.code}/activities/export.csv"
    lines = _csv(await staff.client.get(url, params={"type": "VISIT"}))
    assert lines[0] == EXPORT_HEADERS
    assert _column(lines, "标题") == ["走访独居老人"]
    lines = _csv(await staff.client.get(url, params={"status": "SUBMITTED"}))
    assert _column(lines, "标题") == ["清理楼道堆物"]


@pytest.mark.parametrize(
    ("username", "status"), [("", 401), ("resident.zhao", 403), ("leader.li", 403), ("staff.far", 403)]
)
async def test_only_staff_covering_the_cell_may_export(
    client: httpx.AsyncClient, username: str, status: int
) -> None:
    cast = await build_cast()
    await _records(cast)
    browser = await signed_in(client, username) if username else Browser(client)
    response = await browser.client.get(f"/grids/{cast.tree.community.code}/activities/export.csv")
    assert response.status_code == status
    assert not await AuditEntry.filter(action="activity.export").exists()


async def test_staff_export_the_grid_they_cover(client: httpx.AsyncClient) -> None:
    cast = await build_cast()
    await verified_activity(cast.other_leader, cast.staff, cast.tree.micro_grids[2], title="楼道巡查")
    far = await signed_in(client, "staff.far")
    lines = _csv(await far.client.get(f"/grids/{cast.tree.grids[1].code}/activities/export.csv"))
    assert _column(lines, "标题") == ["楼道巡查"]


async def test_more_records_than_the_cap_are_refused_not_cut(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    cast = await build_cast()
    await insert_activities(cast.tree.grids[0], 4, author_user_id=cast.users["leader.li"].id)
    monkeypatch.setattr(service, "MAX_EXPORT", 3)
    bureau = await signed_in(client, "bureau.chen")
    response = await bureau.client.get(f"/grids/{cast.tree.community.code}/activities/export.xlsx")
    assert response.status_code == 400
    assert "一次最多导出 3 条记录" in response.text
    assert not await AuditEntry.filter(action="activity.export").exists()


async def test_a_title_that_looks_like_a_formula_stays_text(client: httpx.AsyncClient) -> None:
    cast = await build_cast()
    [row] = await insert_activities(cast.tree.grids[0], 1, author_user_id=cast.users["leader.li"].id)
    await Activity.filter(id=row.id).update(title='=HYPERLINK("http://x","点我")')
    bureau = await signed_in(client, "bureau.chen")
    url = f"/grids/{cast.tree.community.code}/activities/export"
    assert _column(_csv(await bureau.client.get(f"{url}.csv")), "标题") == ['\'=HYPERLINK("http://x","点我")']
    assert _column(_xlsx(await bureau.client.get(f"{url}.xlsx")), "标题") == [
        '\'=HYPERLINK("http://x","点我")'
    ]


async def test_rows_a_reader_may_not_see_in_detail_carry_no_narrative_nor_recorder(db: None) -> None:
    # GIVEN a published visit whose details are not public, at a micro-grid
    cast = await build_cast()
    record = await verified_activity(cast.leader, cast.staff, cast.tree.micro_grids[0], public=True)
    # WHEN its row is built for a resident (a public reader)
    [row] = await export_rows(cast.resident, [record])
    values = dict(zip(EXPORT_HEADERS, row, strict=True))
    # THEN it is placed at its grid, without narrative, place, follow-up or recorder
    assert values["网格单元"] == cast.tree.grids[0].name
    assert values["经过"] == WITHHELD
    assert (values["地点"], values["后续跟进"], values["记录人"]) == ("", "", "")
    # AND staff covering it get it in full
    [row] = await export_rows(cast.staff, [record])
    values = dict(zip(EXPORT_HEADERS, row, strict=True))
    assert values["经过"] == record.narrative
    assert values["记录人"] == "李微领"


@pytest.mark.parametrize("count", [3, 30])
async def test_the_export_costs_the_same_statements_for_3_or_30_records(
    client: httpx.AsyncClient, sql_log: SqlLog, count: int
) -> None:
    cast = await build_cast()
    await insert_activities(
        cast.tree.grids[0], count, author_user_id=cast.users["leader.li"].id, leader_id=cast.leader_row.id,
        status=ActivityStatus.SUBMITTED,
    )  # fmt: skip
    bureau = await signed_in(client, "bureau.chen")
    sql_log.reset()
    response = await bureau.client.get(f"/grids/{cast.tree.community.code}/activities/export.csv")
    assert len(_csv(response)) == count + 1
    postgres = str(connections.get("default").capabilities.dialect) == "postgres"
    assert sql_log.count == EXPORT_STATEMENTS + postgres
