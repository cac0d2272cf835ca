"""Micro-leaders' pages: the public directory and profiles, my training with enrolment and
check-in by code, and the staff's cohort and session pages."""

from __future__ import annotations

import base64
from datetime import timedelta

import httpx

from domain.access import Actor, Role
from domain.accounts.models import User
from domain.activities.models import ActivityType, MediationOutcome
from domain.grids.codes import GridKind
from domain.grids.models import GridCell
from domain.leaders import service
from domain.leaders import training as train
from domain.leaders.models import Attendance, Enrolment, EnrolmentStatus, LeaderStatus, TrainingSession
from tests.accounts import actor_of, make_user
from tests.conftest import SqlLog
from tests.factories import BUREAU, build_tree
from tests.factories_activities import log_activity, submitted_activity, verified_activity
from tests.factories_leaders import Training, build_training, enrol, make_cohort, make_leader, start_session
from tests.web.html import Element, parse
from tests.web.session import signed_in
from web.pages.leaders import DIRECTORY_PAGE_SIZE

HTMX = {"HX-Request": "true"}


def global_id(session: TrainingSession) -> str:
    return base64.b64encode(f"TrainingSession:{session.id}".encode()).decode()


def leader_names(doc: Element) -> list[str]:
    return [card.find("a").text for card in doc.find_all(class_="leader-card")]


async def training_with_staff(leaders: int = 3) -> Training:
    tree = await build_tree(grids=1, micro_grids_per_grid=3)
    await make_user("staff.zhou", Role.GRID_STAFF, cell=tree.community)
    await make_user("bureau.chen", Role.BUREAU_STAFF)
    await make_user("resident.zhao", Role.RESIDENT)
    return await build_training(tree, leaders=leaders, required=3, elective=1)


# ---------- the directory ----------


async def test_the_public_directory_masks_names_and_shows_role_cell_cohort_and_status(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a cohort of three leaders
    training = await training_with_staff()

    # WHEN an anonymous visitor opens the directory
    response = await client.get("/leaders")
    doc = parse(response.text)

    # THEN every name is masked, with the source role, home cell, cohort and status
    assert response.status_code == 200
    assert leader_names(doc) == ["李***"] * 3
    assert "李微领1" not in response.text
    card = doc.find(class_="leader-card")
    assert "微网格长" in card.text
    assert training.cohort.name in card.text
    assert card.find(class_="leader-card__cell").text == f"1幢 {training.tree.micro_grids[0].code}"
    assert card.find(class_="status").text == "已提名"
    assert doc.find(id="leaders-heading").text == "全部微领袖 3"
    assert "姓名已做脱敏处理" in response.text


async def test_staff_see_full_names_in_the_directory(client: httpx.AsyncClient) -> None:
    await training_with_staff()
    staff = await signed_in(client, "staff.zhou")

    _, doc = await staff.open("/leaders")

    assert leader_names(doc) == ["李微领1", "李微领2", "李微领3"]
    # the notice about masked names is for those who see them masked
    assert "姓名已做脱敏处理" not in doc.text


async def test_the_directory_filters_by_status_cohort_and_town(client: httpx.AsyncClient) -> None:
    # GIVEN one leader enrolled in a session, the others only nominated
    training = await training_with_staff()
    await enrol(training.sessions[0], training.leaders[0].leader)

    # WHEN filtering by 培训中, THEN only the enrolled one
    doc = parse((await client.get("/leaders", params={"status": "ENROLLED"})).text)
    assert len(leader_names(doc)) == 1
    assert doc.find(class_="status").text == "培训中"
    assert "selected" in doc.find("option", value="ENROLLED").attrs

    # WHEN filtering by cohort and by town, THEN all three; by an unknown cohort, the filter is ignored
    doc = parse((await client.get("/leaders", params={"cohort": str(training.cohort.id)})).text)
    assert len(leader_names(doc)) == 3
    doc = parse((await client.get("/leaders", params={"town": training.tree.town.code})).text)
    assert len(leader_names(doc)) == 3
    doc = parse((await client.get("/leaders", params={"cohort": "999", "status": "NOPE"})).text)
    assert len(leader_names(doc)) == 3


async def test_the_directory_pages_by_keyset(client: httpx.AsyncClient) -> None:
    await training_with_staff(leaders=DIRECTORY_PAGE_SIZE + 2)

    doc = parse((await client.get("/leaders")).text)
    assert len(leader_names(doc)) == DIRECTORY_PAGE_SIZE
    next_link = doc.find("a", class_="pager__next")
    assert next_link.text == "下一页"

    doc = parse((await client.get(next_link.attrs["href"])).text)
    assert len(leader_names(doc)) == 2
    assert not doc.find_all("a", class_="pager__next")


async def test_the_directory_costs_the_same_statements_for_3_or_30_leaders(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    counts = []
    for leaders in (3, 30):
        # GIVEN a cohort of 3, then one of 30 more
        if leaders == 3:
            await training_with_staff(leaders=3)
        else:
            await more_leaders(27)
        # WHEN the directory is rendered
        sql_log.reset()
        doc = parse((await client.get("/leaders")).text)
        counts.append(sql_log.count)
        assert len(leader_names(doc)) == min(leaders, DIRECTORY_PAGE_SIZE)

    # THEN: cohorts, towns, the page, the total, the home cells
    assert counts == [5, 5]


async def more_leaders(count: int) -> None:
    cohort = await make_cohort()
    cells = list(await GridCell.filter(kind=GridKind.MICRO_GRID))
    for i in range(count):
        await make_leader(cohort, cells[i % len(cells)], name=f"王微领{i}")


# ---------- a profile ----------


async def test_a_profile_counts_verified_activities_by_type(client: httpx.AsyncClient) -> None:
    # GIVEN a leader with two verified mediations, a verified visit and a record awaiting review
    training = await training_with_staff()
    me = training.leaders[0]
    staff = await staff_actor()
    cell = training.tree.micro_grids[0]
    mediation = {"activity_type": ActivityType.MEDIATION, "mediation_outcome": MediationOutcome.RESOLVED}
    for _ in range(2):
        await verified_activity(me.actor, staff, cell, **mediation)
    await verified_activity(me.actor, staff, cell)
    await submitted_activity(me.actor, cell)
    await log_activity(me.actor, cell)

    # WHEN the public opens their profile
    response = await client.get(f"/leaders/{me.leader.id}")
    doc = parse(response.text)

    # THEN the verified counts by type, the masked name and the cohort; no training progress
    assert response.status_code == 200
    assert doc.find("main").find("h1").text == "李***"
    assert doc.find(id="counts-heading").text == "已核实的活动 3"
    stats = {s.find("dt").text: s.find("dd").text for s in doc.find_all(class_="stat")}
    assert stats == {"走访慰问": "1", "邻里纠纷调解": "2"}
    assert doc.find("a", href=f"/training/cohorts/{training.cohort.id}").text == training.cohort.name
    assert not doc.find_all(id="progress-heading")


async def staff_actor() -> Actor:
    return await actor_of(await User.get(username="staff.zhou"))


async def test_a_leader_sees_their_own_progress_on_their_profile(client: httpx.AsyncClient) -> None:
    training = await training_with_staff()
    me = training.leaders[0]
    browser = await signed_in(client, me.user.username)

    _, doc = await browser.open(f"/leaders/{me.leader.id}")

    assert doc.find("main").find("h1").text == "李微领1"
    assert doc.find(id="progress-heading").text == "结业进度"
    assert "0 / 3 场" in doc.find(class_="progress").text


async def test_an_unknown_leader_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/leaders/999")

    assert response.status_code == 404


# ---------- my training ----------


async def test_a_leader_enrols_in_an_upcoming_session_and_cancels(client: httpx.AsyncClient) -> None:
    # GIVEN a nominated leader, WHEN they open their training
    training = await training_with_staff()
    me = training.leaders[0]
    browser = await signed_in(client, me.user.username)
    _, doc = await browser.open("/me/training")

    # THEN the plan offers every session to enrol in, and the progress is shown
    first = training.sessions[0]
    assert doc.find(id="open-heading").text == "可报名的培训 4"
    assert "0 / 3 场" in doc.find(class_="progress").text
    assert doc.find("form", action=f"/me/training/sessions/{first.id}/enrol")

    # WHEN they enrol in the first, THEN it is on their schedule and they are ENROLLED
    response = await browser.submit(f"/me/training/sessions/{first.id}/enrol")
    assert response.headers["location"] == "/me/training?done=enrolled"
    _, doc = await browser.open("/me/training?done=enrolled")
    assert doc.find(class_="alert--success").text == "报名成功。"
    assert doc.find(id="upcoming-heading").text == "即将参加 1"
    assert first.title in doc.find("section", aria_labelledby="upcoming-heading").text
    assert "培训中" in doc.find("header", class_="page-header").text

    # WHEN they cancel, THEN the seat is free again
    await browser.submit(f"/me/training/sessions/{first.id}/cancel")
    enrolment = await Enrolment.get(session_id=first.id, leader_id=me.leader.id)
    assert enrolment.status is EnrolmentStatus.CANCELLED
    assert (await TrainingSession.get(id=first.id)).enrolled_count == 0


async def test_a_full_session_says_so(client: httpx.AsyncClient) -> None:
    training = await training_with_staff()
    await train.update_session(actor=BUREAU, session_id=training.sessions[0].id, capacity=1)
    await enrol(training.sessions[0], training.leaders[1].leader)
    browser = await signed_in(client, training.leaders[0].user.username)

    _, doc = await browser.open("/me/training")

    first = doc.find("section", aria_labelledby="open-heading").find("li")
    assert "名额已满" in first.text
    # ... and offers the waiting list instead of enrolment
    [form] = first.find_all("form")
    assert form.attrs["action"] == f"/me/training/sessions/{training.sessions[0].id}/waitlist"
    assert "登记候补" in form.text


async def test_someone_who_never_led_is_told_so(client: httpx.AsyncClient) -> None:
    await training_with_staff()
    browser = await signed_in(client, "resident.zhao")

    _, doc = await browser.open("/me/training")

    assert "您还不是微领袖" in doc.find(class_="empty").text


# ---------- check-in ----------


async def open_session(training: Training) -> TrainingSession:
    session = training.sessions[0]
    await enrol(session, training.leaders[0].leader)
    session = await start_session(session)
    await train.open_check_in(actor=BUREAU, session_id=session.id)
    return await TrainingSession.get(id=session.id)


async def test_check_in_with_the_wrong_then_the_right_code(client: httpx.AsyncClient) -> None:
    # GIVEN a started session with check-in open, and an enrolled leader who scanned the QR
    training = await training_with_staff()
    session = await open_session(training)
    me = training.leaders[0]
    browser = await signed_in(client, me.user.username)
    url = f"/training/sessions/{global_id(session)}/check-in"
    response, doc = await browser.open(url)
    assert response.status_code == 200
    assert session.title in doc.find("main").text

    # WHEN they type a wrong code, THEN it says so beside the input, nothing recorded
    wrong = "000000" if session.check_in_code != "000000" else "111111"
    response = await browser.submit(url, {"code": wrong})
    doc = parse(response.text)
    assert response.status_code == 422
    assert doc.find(id="check-in-code-error").text == "签到码不正确"
    assert doc.find("input", name="code").attrs["value"] == wrong
    assert not await Attendance.filter(session_id=session.id).exists()

    # WHEN they type the right one (with a space the phone added), THEN they are checked in
    code = session.check_in_code or ""
    response = await browser.submit(url, {"code": f"{code[:3]} {code[3:]}"})
    assert response.status_code == 200
    assert parse(response.text).find(class_="alert--success").text.startswith("签到成功")
    mark = await Attendance.get(session_id=session.id, leader_id=me.leader.id)
    assert mark.present

    # AND a second time is refused
    response = await browser.submit(url, {"code": code})
    assert parse(response.text).find(id="check-in-code-error").text == "您已签到"


async def test_check_in_accepts_the_plain_session_id_and_sends_strangers_to_sign_in(
    client: httpx.AsyncClient,
) -> None:
    training = await training_with_staff()
    session = await open_session(training)

    response = await client.get(f"/training/sessions/{session.id}/check-in")
    assert response.status_code == 303
    assert response.headers["location"] == f"/signin?next=/training/sessions/{session.id}/check-in"

    browser = await signed_in(client, training.leaders[0].user.username)
    response, _ = await browser.open(f"/training/sessions/{session.id}/check-in")
    assert response.status_code == 200
    response, _ = await browser.open("/training/sessions/bm90IGEgc2Vzc2lvbg==/check-in")
    assert response.status_code == 404


async def test_a_leader_not_enrolled_is_told_so(client: httpx.AsyncClient) -> None:
    training = await training_with_staff()
    session = await open_session(training)
    browser = await signed_in(client, training.leaders[1].user.username)
    url = f"/training/sessions/{session.id}/check-in"
    await browser.open(url)

    response = await browser.submit(url, {"code": session.check_in_code or ""})

    assert response.status_code == 422
    assert "您未报名本场培训" in response.text


# ---------- staff: sessions and cohorts ----------


async def test_bureau_staff_open_check_in_and_see_the_code_qr_and_live_sheet(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a started session with an enrolled leader
    training = await training_with_staff()
    session = training.sessions[0]
    await enrol(session, training.leaders[0].leader)
    session = await start_session(session)
    bureau = await signed_in(client, "bureau.chen")

    # WHEN bureau staff open the session and open check-in
    _, doc = await bureau.open(f"/training/sessions/{session.id}")
    assert doc.find("form", action=f"/training/sessions/{session.id}/check-in/open")
    response = await bureau.submit(f"/training/sessions/{session.id}/check-in/open", {"minutes": "15"})
    assert response.headers["location"] == f"/training/sessions/{session.id}?done=opened"

    # THEN the page shows the 6-digit code and the QR of the check-in URL
    _, doc = await bureau.open(response.headers["location"])
    session = await TrainingSession.get(id=session.id)
    assert doc.find(class_="check-in-panel__code").text == session.check_in_code
    svg = doc.find("svg")
    assert "check-in-qr" in svg.attrs["class"]
    assert not doc.find_all("script", src=False)

    # AND the sheet polls itself every 5 seconds, listing the leader (full name) as not checked in
    sheet = doc.find(id="attendance-sheet")
    assert sheet.attrs["hx-trigger"] == "every 5s"
    assert sheet.attrs["hx-get"] == f"/training/sessions/{session.id}/sheet"
    assert "李微领1" in sheet.text
    assert "未签到" in sheet.text

    # WHEN the poll runs after the leader checked in, THEN the fragment alone shows them present
    await train.check_in(
        actor=training.leaders[0].actor, session_id=session.id, code=session.check_in_code or ""
    )
    response = await bureau.client.get(f"/training/sessions/{session.id}/sheet", headers=HTMX)
    fragment = parse(response.text)
    assert fragment.find(class_="sheet__summary").text == "已签到 1 / 报名 1 人"
    assert not fragment.find_all("header")


async def test_a_resident_sees_no_sheet_and_cannot_poll_it(client: httpx.AsyncClient) -> None:
    training = await training_with_staff()
    resident = await signed_in(client, "resident.zhao")

    _, doc = await resident.open(f"/training/sessions/{training.sessions[0].id}")
    assert not doc.find_all(id="attendance-sheet")
    assert not doc.find_all(class_="check-in-panel")

    response = await resident.client.get(f"/training/sessions/{training.sessions[0].id}/sheet")
    assert response.status_code == 403


async def test_bureau_staff_correct_the_sheet_with_a_reason(client: httpx.AsyncClient) -> None:
    # GIVEN a started session with an enrolled leader who did not check in
    training = await training_with_staff()
    session = training.sessions[0]
    leader = training.leaders[0].leader
    await enrol(session, leader)
    session = await start_session(session)
    bureau = await signed_in(client, "bureau.chen")
    url = f"/training/sessions/{session.id}/attendance/{leader.id}"

    # WHEN they mark them present without a reason, THEN the form asks for one; nothing changes
    _, doc = await bureau.open(url)
    assert "未签到" in doc.find(class_="correction").text
    response = await bureau.submit(url, {"present": "present", "reason": ""})
    assert response.status_code == 422
    assert parse(response.text).find(id="correction-reason-error").text == "请填写原因（2–200 字）"
    assert not await Attendance.filter(session_id=session.id).exists()

    # WHEN they give the reason, THEN the sheet shows them present with it
    response = await bureau.submit(url, {"present": "present", "reason": "手机没电，现场核实"})
    assert response.headers["location"] == f"/training/sessions/{session.id}?done=corrected"
    _, doc = await bureau.open(response.headers["location"])
    assert "手机没电，现场核实" in doc.find(id="attendance-sheet").text
    assert (await Attendance.get(session_id=session.id, leader_id=leader.id)).present


async def test_the_cohort_page_lists_the_plan_and_the_leaders(client: httpx.AsyncClient) -> None:
    training = await training_with_staff()
    staff = await signed_in(client, "staff.zhou")

    _, doc = await staff.open(f"/training/cohorts/{training.cohort.id}")

    plan = doc.find("section", aria_labelledby="plan-heading")
    assert len(plan.find_all("tr")) == 1 + 4
    assert "小组团队辅导" in plan.text
    assert "0 / 20" in plan.text
    assert "选修" in plan.text
    people = doc.find("section", aria_labelledby="cohort-leaders-heading")
    assert [a.text for a in people.find_all("a")] == ["李微领1", "李微领2", "李微领3"]
    assert "0 / 3" in people.text  # grid staff over the community see progress


async def test_a_leader_status_label_reads_as_in_the_domain(client: httpx.AsyncClient) -> None:
    training = await training_with_staff()
    await service.withdraw_leader(actor=BUREAU, leader_id=training.leaders[2].leader.id, reason="搬离本社区")

    doc = parse((await client.get("/leaders", params={"status": LeaderStatus.WITHDRAWN.value})).text)

    assert doc.find(class_="status").text == "已退出"


async def test_check_in_in_the_navigation_stays_on_my_training(client: httpx.AsyncClient) -> None:
    training = await training_with_staff()
    session = await open_session(training)
    browser = await signed_in(client, training.leaders[0].user.username)

    _, doc = await browser.open(f"/training/sessions/{session.id}/check-in")

    assert doc.find(id="site-nav").find("a", aria_current="page").text == "我的培训"


async def test_a_session_time_reads_in_shanghai(client: httpx.AsyncClient) -> None:
    training = await training_with_staff()
    session = training.sessions[0]
    local = (session.starts_at + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")

    doc = parse((await client.get(f"/training/sessions/{session.id}")).text)

    assert local in doc.find("header", class_="page-header").text
