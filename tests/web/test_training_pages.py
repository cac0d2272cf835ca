"""The staff's 培训 pages through a real browser session: cohorts and sessions created and edited
(every error at once, beside its input, with what was typed), nomination within scope, certifying
and withdrawing with a reason, certificates, the waiting list, exports and statement counts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
from openpyxl import load_workbook

from domain.access import Role
from domain.leaders import service
from domain.leaders import training as train
from domain.leaders.models import (
    Attendance,
    Certificate,
    Cohort,
    Enrolment,
    EnrolmentStatus,
    LeaderStatus,
    MicroLeader,
    SessionType,
    TrainingSession,
)
from tests.accounts import make_user
from tests.conftest import SqlLog
from tests.factories import BUREAU, build_tree
from tests.factories_leaders import Training, attend, build_training, enrol, make_cohort, make_leader
from tests.factories_leaders import start_session as started
from tests.web.html import Element, parse
from tests.web.session import signed_in


async def _training() -> Training:
    tree = await build_tree(grids=2, micro_grids_per_grid=2)
    await make_user("bureau.chen", Role.BUREAU_STAFF)
    await make_user("staff.zhou", Role.GRID_STAFF, cell=tree.grids[0])
    return await build_training(tree, leaders=3, required=2, elective=0)


def _errors(doc: Element) -> dict[str, str]:
    """Each invalid input's name and its error message."""
    found = {}
    for box in doc.find_all(class_="field--invalid"):
        inputs = box.find_all("input") + box.find_all("select")
        found[inputs[0].attrs["name"]] = box.find(class_="field__error").text
    return found


def _value(doc: Element, name: str) -> str:
    return doc.find("input", name=name).attrs.get("value", "")


async def test_the_bureau_creates_a_cohort_seeing_every_error_at_once(client: httpx.AsyncClient) -> None:
    await _training()
    browser = await signed_in(client, "bureau.chen")
    # GIVEN the menu's 培训 entry leads to the cohorts list
    _, home = await browser.open("/")
    assert home.find("a", href="/training").text == "培训"
    _, listing = await browser.open("/training")
    assert listing.find("a", href="/training/cohorts/new")
    # WHEN the form is sent with a blank name, a year in words and a share above 1
    await browser.open("/training/cohorts/new")
    form = {"name": " ", "year": "去年", "min_attendance_share": "1.5", "min_hours": "12"}
    response = await browser.submit("/training/cohorts", form)
    # THEN it comes back with all three errors beside their inputs, and what was typed
    assert response.status_code == 422
    doc = _page(response)
    assert _errors(doc) == {
        "name": "期次名称须为 1–60 个字符",
        "year": "请填写年份（四位数字）",
        "min_attendance_share": "出勤比例须大于 0、不超过 1，最多三位小数",
    }
    assert (_value(doc, "year"), _value(doc, "min_hours")) == ("去年", "12")
    assert not await Cohort.filter(min_hours=12).exists()
    # WHEN it is corrected, with the year marked as to be verified
    form = {**form, "name": "第三期", "year": "2027", "min_attendance_share": "0.75", "year_unverified": "on"}
    response = await browser.submit("/training/cohorts", form)
    # THEN the cohort exists and its page says the year is to be verified
    cohort = await Cohort.get(name="第三期")
    assert response.headers["location"] == f"/training/cohorts/{cohort.id}?done=saved"
    assert cohort.year_unverified
    _, page = await browser.open(f"/training/cohorts/{cohort.id}")
    assert "年份待核实" in page.find("header", class_="page-header").text
    # WHEN the name is edited to one already taken, THEN it is refused beside the name
    await browser.open(f"/training/cohorts/{cohort.id}/edit")
    taken = (await Cohort.exclude(id=cohort.id).first().values_list("name", flat=True)) or ""
    response = await browser.submit(f"/training/cohorts/{cohort.id}", {**form, "name": taken})
    assert _errors(_page(response)) == {"name": "已有同名的培训期次"}


def _page(response: httpx.Response) -> Element:
    return parse(response.text)


async def test_the_bureau_plans_and_edits_sessions_with_every_error_at_once(
    client: httpx.AsyncClient,
) -> None:
    training = await _training()
    cohort = training.cohort
    browser = await signed_in(client, "bureau.chen")
    await browser.open(f"/training/cohorts/{cohort.id}/sessions/new")
    day = (training.sessions[0].starts_at + timedelta(days=10)).date().isoformat()
    # WHEN a session is sent with no title, an end before the start, no seats and too many hours
    form = {
        "session_type": "WORKSHOP",
        "title": "",
        "date": day,
        "start": "14:00",
        "end": "09:00",
        "venue": "当湖街道社会组织服务中心",
        "facilitator": "周社工",
        "capacity": "0",
        "hours": "120",
        "required": "on",
    }
    response = await browser.submit(f"/training/cohorts/{cohort.id}/sessions", form)
    # THEN every error shows at once beside its input
    assert response.status_code == 422
    doc = _page(response)
    assert _errors(doc) == {
        "title": "标题须为 1–100 个字符",
        "end": "结束时间须晚于开始时间",
        "capacity": "名额须在 1 到 500 之间",
        "hours": "学时须在 0 到 100 之间，最多一位小数",
    }
    assert _value(doc, "venue") == "当湖街道社会组织服务中心"
    # WHEN a coaching appointment asks for eight seats, THEN the page says it is one-to-one
    coaching = {**form, "session_type": "CASE_COACHING", "title": "个案辅导", "end": "15:00", "hours": "1"}
    response = await browser.submit(f"/training/cohorts/{cohort.id}/sessions", {**coaching, "capacity": "8"})
    assert _errors(_page(response)) == {"capacity": train.ONE_TO_ONE_MESSAGE}
    # ... and with one seat it is planned, in Shanghai time
    response = await browser.submit(f"/training/cohorts/{cohort.id}/sessions", {**coaching, "capacity": "1"})
    session = await TrainingSession.get(title="个案辅导")
    assert response.headers["location"] == f"/training/sessions/{session.id}?done=saved"
    assert (session.capacity, session.session_type) == (1, SessionType.CASE_COACHING)
    assert session.starts_at.hour == 6  # 14:00 in Shanghai
    # WHEN it is edited (a new venue), THEN the change is stored
    _, edit = await browser.open(f"/training/sessions/{session.id}/edit")
    assert _value(edit, "capacity") == "1"
    await browser.submit(f"/training/sessions/{session.id}", {**coaching, "capacity": "1", "venue": "社工站"})
    assert (await TrainingSession.get(id=session.id)).venue == "社工站"


async def test_grid_staff_nominate_within_their_scope_only(client: httpx.AsyncClient) -> None:
    training = await _training()
    tree = training.tree
    browser = await signed_in(client, "staff.zhou")
    await browser.open(f"/training/cohorts/{training.cohort.id}/nominate")
    # WHEN the form is sent without a cell or a source, THEN both are asked for
    response = await browser.submit(
        f"/training/cohorts/{training.cohort.id}/nominate", {"name": "陈新人", "mobile": "13900001111"}
    )
    assert _errors(_page(response)) == {"cell_code": "请填写所在网格的编码", "source_role": "请选择来源"}
    # WHEN they nominate someone into a cell outside their grid, THEN it is forbidden
    form = {"name": "陈新人", "mobile": "13900001111", "source_role": "GROUP_LEADER"}
    outside = tree.micro_grids[-1]
    response = await browser.submit(
        f"/training/cohorts/{training.cohort.id}/nominate", {**form, "cell_code": outside.code}
    )
    assert response.status_code == 403
    assert not await MicroLeader.filter(person__name="陈新人").exists()
    # ... and inside it, the new leader is nominated
    inside = tree.micro_grids[0]
    response = await browser.submit(
        f"/training/cohorts/{training.cohort.id}/nominate", {**form, "cell_code": inside.code}
    )
    leader = await MicroLeader.get(person__name="陈新人")
    assert response.headers["location"] == f"/leaders/{leader.id}?done=nominated"
    assert (leader.home_cell_id, leader.status) == (inside.id, LeaderStatus.NOMINATED)
    # ... while a resident posting the form is refused before any input is checked
    await make_user("resident.qian", Role.RESIDENT)
    resident = await signed_in(client, "resident.qian")
    await resident.open("/account")
    response = await resident.submit(f"/training/cohorts/{training.cohort.id}/nominate", {"name": "某人"})
    assert response.status_code == 403


async def test_the_bureau_certifies_by_hand_and_the_certificate_prints(client: httpx.AsyncClient) -> None:
    training = await _training()
    me = training.leaders[0].leader
    await enrol(training.sessions[0], me)
    browser = await signed_in(client, "bureau.chen")
    _, profile = await browser.open(f"/leaders/{me.id}")
    assert profile.find("a", href=f"/leaders/{me.id}/certify")
    # WHEN the reason is missing, THEN it is asked for beside the input
    await browser.open(f"/leaders/{me.id}/certify")
    response = await browser.submit(f"/leaders/{me.id}/certify", {"reason": ""})
    assert _errors(_page(response)) == {"reason": "请填写原因（2–200 字）"}
    # WHEN a reason is given, THEN the leader is certified with a certificate
    response = await browser.submit(f"/leaders/{me.id}/certify", {"reason": "已完成市级同类培训"})
    assert response.headers["location"] == f"/leaders/{me.id}?done=certify"
    certificate = await Certificate.get(leader_id=me.id)
    assert certificate.number == f"PH-WLX-{training.cohort.year}-0001"
    # ... listed for the cohort, and printable without menus (the print stylesheet hides them)
    _, listing = await browser.open(f"/training/cohorts/{training.cohort.id}/certificates")
    assert listing.find("a", href=f"/certificates/{certificate.number}")
    _, printable = await browser.open(f"/certificates/{certificate.number}")
    article = printable.find("article", class_="certificate")
    assert "结业证书" in article.text
    assert certificate.number in article.text
    assert printable.find("button", data_print=True)
    # ... which a resident may not open
    await make_user("resident.zhao", Role.RESIDENT)
    resident = await signed_in(client, "resident.zhao")
    assert (await resident.client.get(f"/certificates/{certificate.number}")).status_code == 403


async def test_withdrawal_with_a_reason_promotes_the_waiting_list(client: httpx.AsyncClient) -> None:
    training = await _training()
    session = training.sessions[0]
    await train.update_session(actor=BUREAU, session_id=session.id, capacity=1)
    seated, waiting = training.leaders[0], training.leaders[1]
    await enrol(session, seated.leader)
    # GIVEN the second leader joins the waiting list from their page
    leader_browser = await signed_in(client, waiting.user.username)
    await leader_browser.open("/me/training")
    response = await leader_browser.submit(f"/me/training/sessions/{session.id}/waitlist")
    assert response.headers["location"] == "/me/training?done=waiting"
    _, mine = await leader_browser.open("/me/training")
    assert "候补中" in mine.find("section", aria_labelledby="open-heading").text
    # ... and the session page shows staff the waiting list in queue order
    staff = await signed_in(client, "staff.zhou")
    _, page = await staff.open(f"/training/sessions/{session.id}")
    queue = page.find("section", aria_labelledby="waiting-heading")
    assert [item.text for item in queue.find_all("li")] == ["李微领2"]
    # WHEN grid staff withdraw the seated leader with a reason
    await staff.open(f"/leaders/{seated.leader.id}/withdraw")
    response = await staff.submit(f"/leaders/{seated.leader.id}/withdraw", {"reason": "工作调动"})
    assert response.headers["location"] == f"/leaders/{seated.leader.id}?done=withdraw"
    # THEN the waiting leader has the seat
    status = await Enrolment.get(session_id=session.id, leader_id=waiting.leader.id).values_list(
        "status", flat=True
    )
    assert status == EnrolmentStatus.ENROLLED


async def test_rosters_and_attendance_export_as_xlsx_and_csv(client: httpx.AsyncClient) -> None:
    training = await _training()
    session = training.sessions[0]
    await enrol(session, *(a.leader for a in training.leaders))
    session = await started(session)
    await attend(session, training.leaders[0].leader, training.leaders[2].leader)
    browser = await signed_in(client, "bureau.chen")
    # WHEN the roster is exported as XLSX
    response = await browser.client.get(f"/training/cohorts/{training.cohort.id}/roster.xlsx")
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    # THEN it has the Chinese headers, one row per leader, and a total of leaders and hours
    assert rows[0][:5] == ("序号", "姓名", "来源", "所在网格", "状态")
    assert [row[1] for row in rows[1:-1]] == ["李微领1", "李微领2", "李微领3"]
    assert rows[-1][0] == "合计"
    assert rows[-1][1] == "3 人"
    assert rows[-1][7] == sum(row[7] for row in rows[1:-1]) == 4.0
    # WHEN the attendance sheet is exported as CSV, THEN it starts with the BOM, Chinese headers
    response = await browser.client.get(f"/training/sessions/{session.id}/attendance.csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == ["序号", "姓名", "报名时间", "出席", "签到时间", "更正原因"]
    assert [(line[1], line[3]) for line in lines[1:]] == [
        ("李微领1", "出席"),
        ("李微领2", "缺席"),
        ("李微领3", "出席"),
    ]
    # ... and as XLSX with the present total
    response = await browser.client.get(f"/training/sessions/{session.id}/attendance.xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[-1][:4] == ("合计", "3 人报名", None, "2 人出席")
    # ... which a resident may not download
    await make_user("resident.zhao", Role.RESIDENT)
    resident = await signed_in(client, "resident.zhao")
    assert (
        await resident.client.get(f"/training/cohorts/{training.cohort.id}/roster.csv")
    ).status_code == 403


async def test_the_cohorts_list_and_certificates_cost_fixed_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    training = await _training()
    browser = await signed_in(client, "bureau.chen")
    counts: dict[str, list[int]] = {"/training": [], "certificates": []}
    for extra in (0, 10):
        # GIVEN more cohorts and more certified leaders
        for i in range(extra):
            cohort = await make_cohort()
            leader = await make_leader(training.cohort, training.tree.micro_grids[i % 4], name=f"结{i}")
            await enrol(training.sessions[0], leader.leader)
            await service.certify_leader(actor=BUREAU, leader_id=leader.leader.id, reason="补录结业")
            assert cohort.id
        for url, key in (
            ("/training", "/training"),
            (f"/training/cohorts/{training.cohort.id}/certificates", "certificates"),
        ):
            sql_log.reset()
            response = await browser.client.get(url)
            assert response.status_code == 200
            counts[key].append(sql_log.count)
    # THEN the session and user, then: cohorts + counts; cohort + certificates with leaders
    assert counts == {"/training": [4, 4], "certificates": [4, 4]}


async def test_the_menu_offers_training_to_staff_only(client: httpx.AsyncClient) -> None:
    training = await _training()
    for username, shown in (
        ("bureau.chen", True),
        ("staff.zhou", True),
        (training.leaders[0].user.username, False),
    ):
        browser = await signed_in(client, username)
        _, doc = await browser.open("/")
        assert bool(doc.find_all("a", href="/training")) is shown
    leader = await signed_in(client, training.leaders[0].user.username)
    assert (await leader.client.get("/training")).status_code == 403


async def test_check_in_asks_for_the_code_and_keeps_to_the_session_window(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a session tomorrow whose code the facilitator already opened today
    training = await _training()
    session = training.sessions[0]
    me = training.leaders[0]
    await enrol(session, me.leader)
    code = (await train.open_check_in(actor=BUREAU, session_id=session.id, minutes=240)).code
    browser = await signed_in(client, me.user.username)
    url = f"/training/sessions/{session.id}/check-in"
    await browser.open(url)
    # WHEN the leader sends no code, THEN the page asks for it beside the input
    response = await browser.submit(url, {"code": " "})
    assert response.status_code == 422
    assert parse(response.text).find(id="check-in-code-error").text == "请输入签到码"
    # WHEN they send the right code a day early, THEN it is refused, saying from when
    response = await browser.submit(url, {"code": code})
    error = parse(response.text).find(id="check-in-code-error").text
    assert error.startswith("签到尚未开始")
    assert "开始前 30 分钟" in error
    assert not await Attendance.filter(session_id=session.id).exists()


async def test_the_leader_page_shows_a_year_to_be_verified(client: httpx.AsyncClient) -> None:
    training = await _training()
    await Cohort.filter(id=training.cohort.id).update(year_unverified=True)
    leader = training.leaders[0].leader
    response = await client.get(f"/leaders/{leader.id}")
    lead = parse(response.text).find("p", class_="page-header__lead").text
    assert f"{training.cohort.year} 年" in lead
    assert "待核实" in lead
