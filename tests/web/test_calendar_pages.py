"""The working-day calendar page (`/funding/manage/calendar`): bureau staff list a year's holidays
and adjusted working days, switch years, set, change and remove a day, see every error at once
with nothing changed, and preview a publicity period counted by the table; everyone else is
refused before anything is read; the page costs the same statements however full the year is.
Both databases."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from domain.access import Role
from domain.audit.models import AuditEntry
from domain.calendar.models import CalendarDay, DayKind
from seeds.calendar import load_calendar_seeds
from tests.conftest import SqlLog
from tests.factories import build_tree
from tests.web.funding_staff_world import someone, staff
from tests.web.html import Element, parse
from tests.web.session import Browser
from web.localtime import today_local

pytestmark = pytest.mark.usefixtures("db")

URL = "/funding/manage/calendar"


def rows(doc: Element) -> list[tuple[str, ...]]:
    """Each listed day as (date, weekday, kind, name)."""
    found = []
    for tr in doc.find("tbody").find_all("tr"):
        cells = [tr.find("th").text.strip()] + [td.text.strip() for td in tr.find_all("td")[:3]]
        found.append(tuple(cells))
    return found


def error_beside(doc: Element, input_id: str) -> str:
    return doc.find(id=f"{input_id}-error").text.strip()


async def test_staff_see_a_years_days_and_switch_years(client: httpx.AsyncClient) -> None:
    # GIVEN the 2026 arrangement and one day of 2027
    await load_calendar_seeds()
    await CalendarDay.create(day=date(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
    browser = await staff(client)
    # WHEN staff open 2026
    response, doc = await browser.open(f"{URL}?year=2026")
    # THEN its 39 days are listed by date with weekday, kind and name, and the counts
    assert response.status_code == 200
    listed = rows(doc)
    assert len(listed) == 39
    assert ("2026-10-01", "星期四", "放假", "国庆节") in listed
    assert ("2026-10-10", "星期六", "调休上班", "国庆节调休") in listed
    assert "放假 33 天 · 调休上班 6 天" in doc.find(id="cal-year-heading").text
    # AND the next year holds only its own day, the links switch years
    assert doc.find("a", rel="next").attrs["href"] == f"{URL}?year=2027"
    _, doc = await browser.open(f"{URL}?year=2027")
    assert rows(doc) == [("2027-01-01", "星期五", "放假", "元旦")]
    # AND without a (readable) year it is this year's
    _, doc = await browser.open(f"{URL}?year=abc")
    assert doc.find(id="cal-year-heading").text.startswith(f"{today_local().year} 年")


async def test_staff_add_change_and_remove_a_day(client: httpx.AsyncClient) -> None:
    browser = await staff(client)
    await browser.open(URL)
    # WHEN staff make Sunday 7 February 2027 an adjusted working day
    response = await browser.submit(URL, {"day": "2027-02-07", "kind": "WORKDAY", "name": " 春节 "})
    # THEN they land on that year with a notice and the day listed
    assert response.status_code == 303
    assert response.headers["location"] == f"{URL}?year=2027&done=saved"
    _, doc = await browser.open(response.headers["location"])
    assert "已保存" in doc.find(class_="alert--success").text
    assert rows(doc) == [("2027-02-07", "星期日", "调休上班", "春节")]
    # WHEN they open it to change it THEN the form holds the day; they make it a holiday
    _, doc = await browser.open(f"{URL}?year=2027&edit=2027-02-07")
    assert doc.find(id="cal-day").attrs["value"] == "2027-02-07"
    assert "checked" in doc.find(id="cal-kind-WORKDAY").attrs
    await browser.submit(URL, {"day": "2027-02-07", "kind": "HOLIDAY", "name": "春节"})
    _, doc = await browser.open(f"{URL}?year=2027")
    assert rows(doc) == [("2027-02-07", "星期日", "放假", "春节")]
    # WHEN they remove it THEN the year is empty again
    response = await browser.submit(f"{URL}/remove", {"day": "2027-02-07"})
    assert response.headers["location"] == f"{URL}?year=2027&done=removed"
    _, doc = await browser.open(response.headers["location"])
    assert not doc.find_all("tbody")
    assert "还没有维护" in doc.find(class_="empty").text
    assert await CalendarDay.all().count() == 0
    assert await AuditEntry.filter(object_type="CalendarDay").count() == 3


async def test_every_error_at_once_and_nothing_changed(client: httpx.AsyncClient) -> None:
    browser = await staff(client)
    await browser.open(URL)
    # WHEN a Wednesday is set as an adjusted working day without a name
    response = await browser.submit(URL, {"day": "2027-02-03", "kind": "WORKDAY", "name": ""})
    # THEN both messages show beside their inputs, in the summary, and what was typed is kept
    assert response.status_code == 422
    doc = parse(response.text)
    assert error_beside(doc, "cal-kind") == "调休上班日须为周六或周日"
    assert error_beside(doc, "cal-name") == "名称须为 1–20 个字符"
    assert len(doc.find(class_="error-summary").find_all("li")) == 2
    assert doc.find(id="cal-day").attrs["value"] == "2027-02-03"
    # AND an unreadable date and no kind are named together with the name's error
    doc = parse((await browser.submit(URL, {"day": "明天", "name": "x" * 21})).text)
    assert error_beside(doc, "cal-day") == "请输入有效的日期（年-月-日）"
    assert error_beside(doc, "cal-kind") == "请选择放假或调休上班"
    assert error_beside(doc, "cal-name") == "名称须为 1–20 个字符"
    assert await CalendarDay.all().count() == 0
    assert await AuditEntry.filter(object_type="CalendarDay").count() == 0
    # AND removing a day the table does not hold is a 404 page
    assert (await browser.submit(f"{URL}/remove", {"day": "2027-02-03"})).status_code == 404


async def test_the_preview_counts_the_publicity_period_by_the_table(client: httpx.AsyncClient) -> None:
    await load_calendar_seeds()
    browser = await staff(client)
    # WHEN staff preview a 5-working-day 公示 published on 国庆节
    _, doc = await browser.open(f"{URL}?year=2026&start=2026-10-01&days=5")
    # THEN it starts after the break and counts Saturday 10 October (worked)
    assert doc.find(id="cal-preview").text.strip() == (
        "公示 5 个工作日，自 2026-10-08（星期四）起至 2026-10-13（星期二）"
    )
    # WHEN the bureau adds a holiday on Monday 12 October THEN the period ends a day later
    await browser.submit(URL, {"day": "2026-10-12", "kind": "HOLIDAY", "name": "测试"})
    _, doc = await browser.open(f"{URL}?year=2026&start=2026-10-01&days=5")
    assert "至 2026-10-14（星期三）" in doc.find(id="cal-preview").text
    # AND a period it cannot count is named
    _, doc = await browser.open(f"{URL}?start=2026-10-01&days=61")
    assert doc.find(id="cal-preview").text.strip() == "公示天数须为 1–60 个工作日"
    _, doc = await browser.open(f"{URL}?start=tomorrow")
    assert doc.find(id="cal-preview").text.strip() == "请输入有效的日期（年-月-日）"


@pytest.mark.parametrize("role", [Role.GRID_STAFF, Role.ORGANISER, Role.REVIEWER, Role.ADMIN, Role.RESIDENT])
async def test_only_bureau_staff_open_the_page(client: httpx.AsyncClient, role: Role) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    anonymous = await client.get(URL)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/signin")
    browser = await someone(client, role, tree)
    response, doc = await browser.open(URL)
    assert response.status_code == 403
    assert "只有民政局工作人员" in doc.text


async def _count(browser: Browser, sql_log: SqlLog, url: str) -> int:
    sql_log.reset()
    response, _ = await browser.open(url)
    assert response.status_code == 200
    return sql_log.count


async def test_the_page_reads_in_a_fixed_number_of_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    # GIVEN one day in 2026, then the whole 2026 arrangement
    await CalendarDay.create(day=date(2026, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
    browser = await staff(client)
    url = f"{URL}?year=2026&start=2026-09-30&days=5"
    before = await _count(browser, sql_log, url)
    await load_calendar_seeds()
    after = await _count(browser, sql_log, url)
    # THEN the session (two), the year's days and the preview's window: four, however many days
    assert before == after == 4
    _, doc = await browser.open(url)
    assert len(rows(doc)) == 39
