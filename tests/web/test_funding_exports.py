"""A round's results as a spreadsheet (`/funding/manage/{id}/results.xlsx|csv`): bureau staff only,
Chinese headers, one row per application from its review on with its request and award in 元, a
total row, CSV with a BOM, audited, in a fixed number of statements. Both databases."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import httpx
import pytest
from openpyxl import load_workbook
from tortoise import connections

from domain.access import Role
from domain.audit.models import AuditEntry
from domain.funding import allocation
from tests.conftest import SqlLog
from tests.factories_funding import CLERK, reviewed_rows
from tests.web.funding_staff_world import Reviewed, reviewed_round, someone, staff

pytestmark = pytest.mark.usefixtures("funding_clerks")

HEADERS = ["编号", "组织", "项目", "申请金额（元）", "资助金额（元）", "状态"]


async def _allocated() -> Reviewed:
    """Allocated: 40,000 and 40,000 元 recommended, the 30,000 元 one waitlisted."""
    world = await reviewed_round()
    await allocation.allocate(actor=CLERK, round_id=world.round.id, ranking=[a.id for a in world.ranked])
    return world


async def test_the_xlsx_lists_the_results_with_chinese_headers_and_the_totals(
    client: httpx.AsyncClient,
) -> None:
    world = await _allocated()
    browser = await staff(client)
    # WHEN staff download the round's results as Excel
    response = await client.get(f"/funding/manage/{world.round.id}/results.xlsx")
    # THEN it opens in openpyxl: Chinese headers, the reviewed applications, and the totals
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADERS
    body = rows[1:-1]
    assert [(r[0], r[1], r[2], r[5]) for r in body] == [
        (world.ranked[0].id, world.orgs[0].name, "项目1", "拟资助"),
        (world.ranked[1].id, world.orgs[1].name, "项目2", "拟资助"),
        (world.ranked[2].id, world.orgs[2].name, "项目3", "候补"),
    ]
    assert [(r[3], r[4]) for r in body] == [(40000, 40000), (40000, 40000), (30000, 0)]
    assert rows[-1][:5] == ["合计", "3 项", None, 110000, 80000]
    # the submitted applications (not yet reviewed) are not results
    assert "项目4" not in {r[2] for r in body}
    assert await AuditEntry.filter(action="funding.results_export").count() == 1
    assert browser.session_cookie


async def test_the_csv_has_a_bom_the_same_rows_and_a_total(client: httpx.AsyncClient) -> None:
    # GIVEN an allocated round WHEN staff download the CSV
    world = await _allocated()
    await staff(client)
    response = await client.get(f"/funding/manage/{world.round.id}/results.csv")
    # THEN it starts with a BOM, has the same headers and amounts in 元, and a total that adds up
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    assert [r[3:5] for r in rows[1:-1]] == [
        ["40000.00", "40000.00"],
        ["40000.00", "40000.00"],
        ["30000.00", "0.00"],
    ]
    assert rows[-1][:5] == ["合计", "3 项", "", "110000.00", "80000.00"]
    assert sum(Decimal(r[4]) for r in rows[1:-1]) == Decimal(rows[-1][4])
    assert await AuditEntry.filter(action="funding.results_export").count() == 1


@pytest.mark.parametrize("role", [Role.GRID_STAFF, Role.ORGANISER, Role.REVIEWER, Role.ADMIN])
async def test_only_bureau_staff_may_download(client: httpx.AsyncClient, role: Role) -> None:
    world = await _allocated()
    # GIVEN anonymous THEN sign in first; GIVEN another role THEN refused, and nothing audited
    response = await client.get(f"/funding/manage/{world.round.id}/results.xlsx")
    assert response.status_code == 303
    await someone(client, role, world.tree)
    response = await client.get(f"/funding/manage/{world.round.id}/results.xlsx")
    assert response.status_code == 403
    assert not await AuditEntry.filter(action="funding.results_export").exists()


async def test_an_unknown_format_or_round_is_not_found(client: httpx.AsyncClient) -> None:
    # GIVEN staff WHEN they ask for another format or a round that does not exist THEN 404
    world = await _allocated()
    await staff(client)
    assert (await client.get(f"/funding/manage/{world.round.id}/results.pdf")).status_code == 404
    assert (await client.get("/funding/manage/999999/results.xlsx")).status_code == 404


async def test_the_export_reads_in_a_fixed_number_of_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    # GIVEN an allocated round WHEN the export is downloaded before and after 20 more rows
    world = await _allocated()
    await staff(client)
    counts, rows = [], []
    for _ in range(2):
        sql_log.reset()
        response = await client.get(f"/funding/manage/{world.round.id}/results.csv")
        assert response.status_code == 200
        counts.append(sql_log.count)
        rows.append(len(response.content.splitlines()))
        # GIVEN twenty more reviewed applications in the round
        await reviewed_rows(world.round, world.orgs[0], 20, 1_000_00)
    assert rows == [5, 25]
    # the session (two), the round, its applications with their organisations, the audit record
    # (its chain's head and the row; PostgreSQL also takes the chain's lock)
    postgres = str(connections.get("default").capabilities.dialect) == "postgres"
    assert counts == [6 + postgres] * 2
