"""The score matrix as XLSX and CSV (`/panels/{id}/scores.xlsx|csv`): Chinese headers, one row per
entry best first with each reviewer's total and every aggregate figure, CSV with a BOM, audited,
for bureau staff only. Both databases."""

from __future__ import annotations

import csv
import io

import httpx
from openpyxl import load_workbook
from tortoise import connections

from domain.audit.models import AuditEntry
from domain.review import service
from domain.review.models import ConflictReason
from tests.conftest import SqlLog
from tests.factories_review import ReviewWorld
from tests.web.review_pages import drawn_world, submit
from tests.web.session import signed_in

HEADERS_AFTER_REVIEWERS = [
    "评审人数",
    "平均分",
    "中位数",
    "去掉最高最低平均",
    "标准分",
    "极差",
    "汇总得分",
    "汇总方法",
]
# the session and its roles, the panel, its members, entries, conflicts, the sheets, their scores,
# and the audit row (the chain's head, the insert; PostgreSQL also locks the chain first)
EXPORT_STATEMENTS = 10


async def _world() -> ReviewWorld:
    world = await drawn_world(reviewers=3, entries=2)
    for n, score in enumerate((6, 8, 7)):
        await submit(world, world.reviewers[n], 1, score)
    await submit(world, world.reviewers[0], 0, 3)
    await service.declare_conflict(
        actor=world.staff,
        entry_id=world.entries[0].id,
        reason=ConflictReason.FAMILY,
        reviewer_id=world.reviewers[2].id,
    )
    return world


async def test_the_xlsx_has_a_row_per_entry_best_first(client: httpx.AsyncClient) -> None:
    world = await _world()
    staff = await signed_in(client, "bureau.review")
    # WHEN staff download the matrix as XLSX
    response = await staff.client.get(f"/panels/{world.panel.id}/scores.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    # THEN the header names each reviewer and every figure, in Chinese
    assert rows[0] == [
        "排名",
        "项目",
        "申报机构",
        *(f"测试用户（expert.{n}）" for n in range(3)),
        *HEADERS_AFTER_REVIEWERS,
    ]
    # AND the entry scored 60, 80, 70 comes first (median 70: fewer than five reviewers)
    assert rows[1] == [
        1,
        "演示项目1",
        "演示申报机构1",
        60,
        80,
        70,
        3,
        70,
        70,
        None,
        rows[1][10],
        20,
        70,
        "中位数",
    ]
    # AND the other shows one total, a draft left blank and the conflicted reviewer's 回避
    assert rows[2][:9] == [2, "演示项目0", "演示申报机构0", 30, None, "回避", 1, 30, 30]
    assert len(rows) == 3
    # AND the download is audited
    entry = await AuditEntry.get(action="review.export_scores")
    assert entry.object_id == str(world.panel.id)
    assert entry.summary == {"format": "xlsx", "rows": 2}


async def test_the_csv_starts_with_a_bom_and_has_the_same_rows(client: httpx.AsyncClient) -> None:
    world = await _world()
    staff = await signed_in(client, "bureau.review")
    response = await staff.client.get(f"/panels/{world.panel.id}/scores.csv")
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["排名", "项目", "申报机构"]
    assert [r[1] for r in rows[1:]] == ["演示项目1", "演示项目0"]
    assert rows[2][5] == "回避"
    assert await AuditEntry.filter(action="review.export_scores").count() == 1


async def test_only_staff_export_and_unknown_formats_are_not_found(client: httpx.AsyncClient) -> None:
    world = await _world()
    reviewer = await signed_in(client, world.reviewers[0].user.username)
    assert (await reviewer.client.get(f"/panels/{world.panel.id}/scores.xlsx")).status_code == 403
    staff = await signed_in(client, "bureau.review")
    assert (await staff.client.get(f"/panels/{world.panel.id}/scores.pdf")).status_code == 404
    assert not await AuditEntry.exists(action="review.export_scores")


async def test_the_export_reads_in_a_fixed_number_of_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    world = await _world()
    staff = await signed_in(client, "bureau.review")
    counts = []
    for extra in (False, True):
        if extra:
            await submit(world, world.reviewers[1], 0, 9)
        sql_log.reset()
        assert (await staff.client.get(f"/panels/{world.panel.id}/scores.csv")).status_code == 200
        counts.append(sql_log.count)
    postgres = str(connections.get("default").capabilities.dialect) == "postgres"
    assert counts == [EXPORT_STATEMENTS + postgres] * 2
