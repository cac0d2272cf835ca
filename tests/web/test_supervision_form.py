"""The supervision log form (`/supervision/new`): a supervisor logs their own supervision, the
bureau logs for any supervisor; every error at once beside its input, nothing saved; the
supervisee search keeps those already ticked; others are refused; CSRF required. Both databases."""

from __future__ import annotations

from datetime import date

import httpx

from domain.access import Role
from domain.accounts.models import RoleAssignment
from domain.socialwork import service
from domain.socialwork.models import (
    CertificateLevel,
    SocialWorker,
    Supervisee,
    SupervisionRecord,
    SupervisorLevel,
)
from domain.socialwork.service import WorkerInput
from tests.accounts import make_user
from tests.conftest import SqlLog
from tests.domain.test_socialwork import _agency, _worker
from tests.factories import BUREAU, build_tree
from tests.web.html import Element, parse
from tests.web.session import Browser, signed_in
from web.localtime import today_local

TODAY = today_local()
YESTERDAY = date.fromordinal(TODAY.toordinal() - 1).isoformat()
TOMORROW = date.fromordinal(TODAY.toordinal() + 1).isoformat()


def error_beside(doc: Element, input_id: str) -> str:
    return doc.find(id=f"{input_id}-error").text.strip()


def ticked(doc: Element) -> list[str]:
    return [i.attrs["value"] for i in doc.find_all("input", name="supervisee_ids") if "checked" in i.attrs]


async def supervisor_account(client: httpx.AsyncClient, agency: int) -> tuple[Browser, SocialWorker]:
    user = await make_user("sv.zhang", Role.ORGANISER, name="张督导")
    data = WorkerInput(
        person_id=user.person_id or 0,
        level=CertificateLevel.SENIOR,
        certificate_number="ZJ2010SV001",
        certificate_year=2010,
        employer_id=agency,
        supervisor_level=SupervisorLevel.SUPERVISOR,
    )
    worker = await service.register_worker(actor=BUREAU, data=data, today=TODAY)
    return await signed_in(client, "sv.zhang"), worker


def record(*ids: int, **overrides: str) -> dict[str, object]:
    values: dict[str, object] = {
        "supervisee_ids": [str(i) for i in ids],
        "kind": "GROUP",
        "held_on": YESTERDAY,
        "minutes": "90",
        "topics": "个案评估与服务计划",
        "follow_up": "下月复盘",
    }
    return values | overrides


async def test_a_supervisor_logs_a_group_supervision(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    agency = await _agency(tree)
    browser, supervisor = await supervisor_account(client, agency)
    a, b = await _worker(1, agency), await _worker(2, agency)
    # GIVEN the supervisor on the form THEN their colleagues are offered, they are not
    _, doc = await browser.open("/supervision/new")
    offered = [i.attrs["value"] for i in doc.find_all("input", name="supervisee_ids")]
    assert offered == [str(a.id), str(b.id)]
    assert not doc.find_all(id="sv-supervisor")  # a supervisor logs for themselves
    # WHEN they log a group supervision of both
    response = await browser.submit("/supervision", record(a.id, b.id))
    # THEN they land on their log with a notice and the record
    assert response.headers["location"] == f"/supervision/{supervisor.id}?done=logged"
    _, doc = await browser.open(response.headers["location"])
    assert "已记录督导" in doc.find(class_="alert--success").text
    assert "个案评估与服务计划" in doc.text
    saved = await SupervisionRecord.get(supervisor_id=supervisor.id)
    assert saved.minutes == 90
    assert await Supervisee.filter(record_id=saved.id).count() == 2


async def test_several_bad_fields_come_back_at_once_and_nothing_is_saved(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    agency = await _agency(tree)
    browser, _ = await supervisor_account(client, agency)
    a = await _worker(1, agency)
    await browser.open("/supervision/new")
    # WHEN a group supervision names one supervisee, lasts 5 minutes, is dated tomorrow, no topic
    bad = record(a.id, minutes="5", held_on=TOMORROW, topics="")
    response = await browser.submit("/supervision", bad)
    # THEN every error shows beside its input, with the linked summary, and the tick is kept
    assert response.status_code == 422
    doc = parse(response.text)
    assert error_beside(doc, "sv-q") == "团体或同辈督导须有 2–30 名被督导者"
    assert error_beside(doc, "sv-minutes") == "时长须为 15–480 分钟"
    assert error_beside(doc, "sv-held-on") == "日期不能晚于今天"
    assert error_beside(doc, "sv-topics") == "督导主题须为 1–500 个字符"
    assert len(doc.find(class_="error-summary").find_all("li")) == 4
    assert ticked(doc) == [str(a.id)]
    assert doc.find(id="sv-follow-up").text == "下月复盘"
    # AND an unreadable minutes and no form are named together with the record's own errors
    doc = parse(
        (await browser.submit("/supervision", record(a.id, kind="", minutes="一小时", topics=""))).text
    )
    assert error_beside(doc, "sv-kind") == "请选择督导形式"
    assert error_beside(doc, "sv-minutes") == "请填写分钟数"
    assert error_beside(doc, "sv-topics") == "督导主题须为 1–500 个字符"
    assert await SupervisionRecord.all().count() == 0


async def test_the_supervisee_search_keeps_the_ticked_ones(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    agency = await _agency(tree)
    other = await _agency(tree, serial="MJ5870002")
    browser, _ = await supervisor_account(client, agency)
    mine = await _worker(1, agency)
    elsewhere = await _worker(2, other)
    # WHEN they tick a colleague and search for a worker of another agency
    response = await browser.client.get(
        "/supervision/supervisees",
        params={"q": "演示社工2", "supervisee_ids": str(mine.id)},
        headers={"hx-request": "true"},
    )
    doc = parse(response.text)
    # THEN the ticked colleague stays ticked first, the one found follows unticked
    assert [i.attrs["value"] for i in doc.find_all("input", name="supervisee_ids")] == [
        str(mine.id),
        str(elsewhere.id),
    ]
    assert ticked(doc) == [str(mine.id)]
    # AND without scripts the 查找 button does the same, saving nothing
    await browser.open("/supervision/new")
    form = record(mine.id, action="search", q="演示社工2")
    doc = parse((await browser.submit("/supervision", form)).text)
    assert ticked(doc) == [str(mine.id)]
    assert str(elsewhere.id) in [i.attrs["value"] for i in doc.find_all("input", name="supervisee_ids")]
    assert await SupervisionRecord.all().count() == 0


def offered(doc: Element) -> list[str]:
    return [i.attrs["value"] for i in doc.find_all("input", name="supervisee_ids")]


async def test_certificate_numbers_show_to_staff_only(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    agency = await _agency(tree)
    browser, _ = await supervisor_account(client, agency)
    colleague = await _worker(1, agency)
    # GIVEN a supervisor (not staff) THEN their colleagues are offered without certificate numbers
    _, doc = await browser.open("/supervision/new")
    assert offered(doc) == [str(colleague.id)]
    assert "ZJ202000001" not in doc.text
    assert doc.find(id="sv-q").attrs["placeholder"] == "姓名"
    # AND a number's beginning finds nobody (it would tell them the hidden number)
    response = await browser.client.get("/supervision/supervisees", params={"q": "ZJ2020"})
    doc = parse(response.text)
    assert offered(doc) == []
    assert doc.find(class_="empty").text.strip() == "没有找到“ZJ2020”。可输入姓名中的字。"
    # GIVEN bureau staff THEN they see the number and find the worker by it
    await make_user("bureau.chen", Role.BUREAU_STAFF)
    staff = await signed_in(client, "bureau.chen")
    response = await staff.client.get("/supervision/supervisees", params={"q": "ZJ2020"})
    doc = parse(response.text)
    assert offered(doc) == [str(colleague.id)]
    assert doc.find("code").text == "ZJ202000001"


async def test_bureau_staff_pick_any_supervisor(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    agency = await _agency(tree)
    supervisor = await _worker(9, agency, SupervisorLevel.SUPERVISOR)
    a = await _worker(1, agency)
    await make_user("bureau.chen", Role.BUREAU_STAFF)
    browser = await signed_in(client, "bureau.chen")
    _, doc = await browser.open(f"/supervision/new?supervisor={supervisor.id}")
    assert doc.find(id="sv-supervisor").find("option", selected=True).attrs["value"] == str(supervisor.id)
    form = record(a.id, kind="INDIVIDUAL", supervisor=str(supervisor.id))
    response = await browser.submit("/supervision", form)
    assert response.headers["location"] == f"/supervision/{supervisor.id}?done=logged"
    # AND without a supervisor the error is beside the picker
    doc = parse((await browser.submit("/supervision", record(a.id, kind="INDIVIDUAL"))).text)
    assert error_beside(doc, "sv-supervisor") == "请选择督导者"
    assert await SupervisionRecord.all().count() == 1


async def test_who_may_log(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    agency = await _agency(tree)
    supervisor = await _worker(9, agency, SupervisorLevel.SUPERVISOR)
    a, b = await _worker(1, agency), await _worker(2, agency)
    # GIVEN anonymous THEN sent to sign in
    response = await client.get("/supervision/new")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")
    # GIVEN a resident, or grid staff, THEN refused
    await make_user("resident.li", Role.RESIDENT)
    resident = await signed_in(client, "resident.li")
    assert (await resident.client.get("/supervision/new")).status_code == 403
    assert (await resident.submit("/supervision", record(a.id, b.id))).status_code == 403
    await make_user("grid.wang", Role.GRID_STAFF, cell=tree.community)
    grid = await signed_in(client, "grid.wang")
    assert (await grid.client.get("/supervision/new")).status_code == 403
    # GIVEN another supervisor THEN they cannot log for this one
    browser, _ = await supervisor_account(client, agency)
    form = record(a.id, b.id, supervisor=str(supervisor.id))
    response = await browser.submit("/supervision", form)
    assert response.status_code == 303  # logged as their own, never as the one named
    assert not await SupervisionRecord.exists(supervisor_id=supervisor.id)
    assert await SupervisionRecord.all().count() == 1


async def test_the_form_needs_the_csrf_token(client: httpx.AsyncClient) -> None:
    tree = await build_tree()
    agency = await _agency(tree)
    browser, _ = await supervisor_account(client, agency)
    a, b = await _worker(1, agency), await _worker(2, agency)
    response = await client.post("/supervision", data=record(a.id, b.id))
    assert response.status_code == 403
    assert await SupervisionRecord.all().count() == 0
    assert (await browser.submit("/supervision", record(a.id, b.id))).status_code == 303


async def test_the_form_reads_in_a_fixed_number_of_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    tree = await build_tree()
    agency = await _agency(tree)
    browser, _ = await supervisor_account(client, agency)
    counts = []
    for start, batch in ((1, 2), (10, 25)):
        for n in range(start, start + batch):
            await _worker(n, agency)
        sql_log.reset()
        _, doc = await browser.open("/supervision/new")
        counts.append(sql_log.count)
        assert len(doc.find_all("input", name="supervisee_ids")) == min(start + batch - 1, 20)
    # the session, the supervisor (twice: by person, then with their person), the colleagues
    assert counts == [counts[0]] * 2
    assert counts[0] == 5


async def test_a_supervisor_signed_in_only_as_a_resident_logs_nothing(client: httpx.AsyncClient) -> None:
    # GIVEN a supervisor whose account holds only the resident role (no working role)
    tree = await build_tree()
    agency = await _agency(tree)
    browser, supervisor = await supervisor_account(client, agency)
    grant = await RoleAssignment.get(user__username="sv.zhang", role=Role.ORGANISER)
    grant.role = Role.RESIDENT
    await grant.save(update_fields=["role"])
    a, b = await _worker(31, agency), await _worker(32, agency)
    # WHEN they open or post the form, THEN both are refused and nothing is logged
    assert (await browser.client.get("/supervision/new")).status_code == 403
    assert (await browser.submit("/supervision", record(a.id, b.id))).status_code == 403
    assert await SupervisionRecord.filter(supervisor_id=supervisor.id).count() == 0
