"""The activity log's pages: 记一笔 (with photos), my records, the verification queue, a cell's
feed and the photos, as a browser (with or without htmx) uses them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import httpx
import pytest
from starlette.routing import Route

from domain import storage
from domain.activities import service
from domain.activities.models import Activity, ActivityPhoto, ActivityStatus, ActivityType, MediationOutcome
from domain.clock import today
from tests.conftest import SqlLog
from tests.factories_activities import (
    Cast,
    build_cast,
    image_bytes,
    insert_activities,
    log_activity,
    returned_activity,
    submitted_activity,
    verified_activity,
)
from tests.web.html import Element, parse
from tests.web.session import Browser, signed_in
from web.app import web_routes
from web.localtime import SHANGHAI, at_local
from web.pages.activities import PAGE_SIZE

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def photo_folder(tmp_path: Path) -> Iterator[Path]:
    previous = storage.configure(tmp_path)
    yield tmp_path
    storage.configure(previous)


def yesterday() -> str:
    return (today() - timedelta(days=1)).isoformat()


def mediation_form(cast: Cast, **overrides: str) -> dict[str, str]:
    values = {
        "cell_id": str(cast.tree.micro_grids[0].id),
        "activity_type": "MEDIATION",
        "title": "调解1幢楼上楼下漏水纠纷",
        "narrative": "约双方到居民会客厅协商，物业到场检查管道。",
        "date": yesterday(),
        "start": "09:00",
        "end": "10:30",
        "place": "居民会客厅",
        "participants": "4",
        "mediation_outcome": "RESOLVED",
        "action": "submit",
    }
    return {**values, **overrides}


def error_of(doc: Element, input_id: str) -> str:
    return doc.find(id=f"{input_id}-error").text


def card_titles(doc: Element) -> list[str]:
    return doc.texts(class_="activity-card__title")


async def leader_browser(client: httpx.AsyncClient) -> tuple[Cast, Browser]:
    cast = await build_cast()
    return cast, await signed_in(client, "leader.li")


# ---------- 记一笔 ----------


async def test_the_log_form_offers_the_leaders_home_subtree_only(client: httpx.AsyncClient) -> None:
    # GIVEN a leader at home in the first grid
    cast, browser = await leader_browser(client)

    # WHEN they open 记一笔
    response, doc = await browser.open("/me/log/new")

    # THEN the cells offered are their grid and its micro-grids, the grid chosen; today is filled in
    assert response.status_code == 200
    options = doc.find("select", name="cell_id").find_all("option")
    assert [o.attrs["value"] for o in options] == [
        str(c.id) for c in (cast.tree.grids[0], *cast.tree.micro_grids[:2])
    ]
    assert "selected" in options[0].attrs
    assert doc.find("input", name="date").attrs["value"] == today().isoformat()
    assert [b.text for b in doc.find("form", action="/me/log").find_all("button")] == ["保存草稿", "提交审核"]
    assert doc.find("form", action="/me/log").attrs["enctype"] == "multipart/form-data"


async def test_an_anonymous_visitor_is_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/me/log/new")

    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/me/log/new"


async def test_choosing_a_type_swaps_in_its_fields_keeping_what_was_typed(client: httpx.AsyncClient) -> None:
    # GIVEN the form, WHEN htmx asks for the fields of a mediation (households already typed)
    await leader_browser(client)
    response = await client.get(
        "/me/log/type-fields", params={"activity_type": "MEDIATION", "households_reached": "3"}, headers=HTMX
    )

    # THEN the outcome choices come back alone, without volunteer hours, the households kept
    doc = parse(response.text)
    assert [i.attrs["value"] for i in doc.find_all("input", name="mediation_outcome")] == [
        o.value for o in MediationOutcome
    ]
    assert not doc.find_all("input", name="volunteer_hours")
    assert doc.find("input", name="households_reached").attrs["value"] == "3"
    assert not doc.find_all("header")


async def test_without_a_type_every_type_specific_field_is_shown(client: httpx.AsyncClient) -> None:
    _, browser = await leader_browser(client)

    _, doc = await browser.open("/me/log/new")

    assert doc.find_all("input", name="mediation_outcome")
    assert doc.find_all("input", name="volunteer_hours")
    assert doc.find_all("input", name="problem_FIRE")


async def test_a_mediation_without_outcome_comes_back_with_the_error_and_nothing_is_saved(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a leader, WHEN they submit a mediation without its outcome
    cast, browser = await leader_browser(client)
    await browser.open("/me/log/new")
    response = await browser.submit("/me/log", mediation_form(cast, mediation_outcome=""))

    # THEN the form comes back with the error beside the outcome and everything they typed
    doc = parse(response.text)
    assert response.status_code == 422
    assert error_of(doc, "log-outcome") == "调解活动须填写调解结果"
    assert doc.find(class_="error-summary__lead").text == "记录未保存，请按提示修改后重试。"
    assert doc.texts(class_="error-summary__list")[0] == "调解结果：调解活动须填写调解结果"
    assert doc.find("input", name="title").attrs["value"] == "调解1幢楼上楼下漏水纠纷"
    assert doc.find("textarea", name="narrative").text == "约双方到居民会客厅协商，物业到场检查管道。"
    assert "selected" in doc.find("option", value="MEDIATION").attrs
    # AND nothing was saved
    assert await Activity.all().count() == 0


async def test_inputs_that_do_not_parse_are_each_marked(client: httpx.AsyncClient) -> None:
    cast, browser = await leader_browser(client)
    await browser.open("/me/log/new")

    response = await browser.submit(
        "/me/log", mediation_form(cast, activity_type="", start="", end="nine", participants="-2")
    )

    doc = parse(response.text)
    assert response.status_code == 422
    assert error_of(doc, "log-type") == "请选择活动类型"
    assert error_of(doc, "log-start") == "请填写开始时间，如 09:00"
    assert error_of(doc, "log-end") == "请填写结束时间，如 11:00"
    assert error_of(doc, "log-participants") == "请填写 0 或正整数"
    assert await Activity.all().count() == 0


async def test_an_activity_in_the_future_is_refused_beside_its_end_time(client: httpx.AsyncClient) -> None:
    cast, browser = await leader_browser(client)
    await browser.open("/me/log/new")
    tomorrow = (today() + timedelta(days=1)).isoformat()

    response = await browser.submit("/me/log", mediation_form(cast, date=tomorrow))

    assert response.status_code == 422
    assert "不能晚于现在" in error_of(parse(response.text), "log-start")
    assert await Activity.all().count() == 0


async def test_a_mediation_with_a_jpeg_photo_is_logged_and_submitted(client: httpx.AsyncClient) -> None:
    # GIVEN a leader, WHEN they log a mediation with a photo and press 提交审核
    cast, browser = await leader_browser(client)
    await browser.open("/me/log/new")
    photo = image_bytes("JPEG", (64, 48))
    response = await browser.submit(
        "/me/log", mediation_form(cast), files=[("photos", ("scene.jpg", photo, "image/jpeg"))]
    )

    # THEN they land on their records, told it was submitted
    assert response.status_code == 303
    assert response.headers["location"] == "/me/activities?done=submitted"
    activity = await Activity.get()
    assert activity.status is ActivityStatus.SUBMITTED
    assert activity.activity_type is ActivityType.MEDIATION
    assert activity.mediation_outcome is MediationOutcome.RESOLVED
    assert activity.cell_id == cast.tree.micro_grids[0].id
    assert activity.leader_id == cast.leader_row.id
    # 09:00 in Shanghai is 01:00 UTC
    assert activity.started_at.astimezone(SHANGHAI).strftime("%H:%M") == "09:00"
    assert activity.started_at.utcoffset() == timedelta(0)
    assert (activity.ended_at - activity.started_at) == timedelta(minutes=90)
    assert await ActivityPhoto.filter(activity_id=activity.id).count() == 1

    # AND the record shows as awaiting review, with its photo
    _, doc = await browser.open(response.headers["location"])
    assert doc.find(class_="alert--success").text == "已提交审核。网格员核实后，记录按其选择的公开范围显示。"
    card = doc.find("article")
    assert card.find(class_="activity-card__title").text == "调解1幢楼上楼下漏水纠纷"
    assert card.find(class_="status").text == "待审核"
    assert "已化解" in card.text
    assert card.find("img").attrs["src"].startswith("/photos/")


async def test_saving_a_draft_keeps_it_editable(client: httpx.AsyncClient) -> None:
    cast, browser = await leader_browser(client)
    await browser.open("/me/log/new")

    response = await browser.submit("/me/log", mediation_form(cast, action="draft"))

    assert response.headers["location"] == "/me/activities?done=saved"
    activity = await Activity.get()
    assert activity.status is ActivityStatus.DRAFT
    _, doc = await browser.open("/me/activities")
    assert doc.find("a", href=f"/me/activities/{activity.id}/edit").text.startswith("继续编辑")


async def test_a_renamed_text_file_is_refused_by_name_and_the_record_stays_a_draft(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a leader, WHEN they submit with a text file named like a photo beside a real one
    cast, browser = await leader_browser(client)
    await browser.open("/me/log/new")
    files = [
        ("photos", ("notes.jpg", b"not a picture at all", "image/jpeg")),
        ("photos", ("good.png", image_bytes("PNG"), "image/png")),
    ]
    response = await browser.submit("/me/log", mediation_form(cast), files=files)

    # THEN the edit form says which file was refused and why; the good photo was kept
    doc = parse(response.text)
    assert response.status_code == 422
    assert doc.find(class_="upload-errors").text == "notes.jpg：只能上传 JPEG、PNG 或 WebP 格式的图片"
    activity = await Activity.get()
    assert doc.find("form", action=f"/me/activities/{activity.id}")
    assert await ActivityPhoto.filter(activity_id=activity.id).count() == 1
    # AND it was not submitted: the leader decides once they have seen the error
    assert activity.status is ActivityStatus.DRAFT


async def test_a_night_patrol_across_midnight_is_logged_with_its_end_date(client: httpx.AsyncClient) -> None:
    cast, browser = await leader_browser(client)
    await browser.open("/me/log/new")
    two_days_ago = (today() - timedelta(days=2)).isoformat()
    patrol = {"activity_type": "SAFETY_CHECK", "title": "夜间安全巡查", "date": two_days_ago}

    # WHEN the end time is earlier than the start time and no end date is given
    refused = await browser.submit("/me/log", mediation_form(cast, **patrol, start="23:00", end="01:30"))
    # THEN the form says what to do, beside the end time, and nothing is saved
    assert refused.status_code == 422
    assert "请填写结束日期" in error_of(parse(refused.text), "log-end")
    assert await Activity.all().count() == 0

    # WHEN the end date is given
    response = await browser.submit(
        "/me/log", mediation_form(cast, **patrol, start="23:00", end="01:30", end_date=yesterday())
    )
    # THEN the record lasts two and a half hours
    assert response.status_code == 303
    record = await Activity.get(title="夜间安全巡查")
    assert record.ended_at - record.started_at == timedelta(hours=2, minutes=30)


async def test_a_returned_record_is_shown_with_its_reason_edited_and_resubmitted(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a record the grid staff returned, which ran past midnight (Shanghai time)
    cast, browser = await leader_browser(client)
    started = datetime.combine(today() - timedelta(days=2), time(23, 0), SHANGHAI)
    activity = await returned_activity(
        cast.leader,
        cast.staff,
        cast.tree.micro_grids[0],
        reason="请补充走访户数",
        started_at=started,
        ended_at=started + timedelta(hours=2),
    )

    # WHEN the leader opens their records, THEN the reason is at the top
    _, doc = await browser.open("/me/activities")
    returned = doc.find("section", aria_labelledby="returned-heading")
    assert "请补充走访户数" in returned.find(class_="activity-card__reason").text
    assert returned.find("a", href=f"/me/activities/{activity.id}/edit")

    # WHEN they edit it and submit again
    _, form = await browser.open(f"/me/activities/{activity.id}/edit")
    assert "请补充走访户数" in form.find(class_="alert--warning").text
    assert form.find("input", name="households_reached").attrs["value"] == "3"
    fields = {
        "cell_id": str(activity.cell_id),
        "activity_type": "VISIT",
        "title": activity.title,
        "date": form.find("input", name="date").attrs["value"],
        "start": form.find("input", name="start").attrs["value"],
        "end": form.find("input", name="end").attrs["value"],
        "end_date": form.find("input", name="end_date").attrs["value"],
        "households_reached": "5",
        "action": "submit",
    }
    response = await browser.submit(f"/me/activities/{activity.id}", fields)

    # THEN it is submitted again with the new count, its times unchanged
    assert response.status_code == 303
    await activity.refresh_from_db()
    assert activity.status is ActivityStatus.SUBMITTED
    assert activity.households_reached == 5
    assert activity.started_at == started
    assert activity.ended_at == started + timedelta(hours=2)


async def test_a_verified_record_cannot_be_edited(client: httpx.AsyncClient) -> None:
    cast, browser = await leader_browser(client)
    activity = await verified_activity(cast.leader, cast.staff, cast.tree.micro_grids[0])

    response, doc = await browser.open(f"/me/activities/{activity.id}/edit")

    assert response.status_code == 400
    assert "已核实的活动记录不能再修改" in doc.text


# ---------- the verification queue ----------


async def test_grid_staff_verify_and_return_from_the_queue(client: httpx.AsyncClient) -> None:
    # GIVEN two submitted records in the staff member's community
    cast = await build_cast()
    first = await submitted_activity(cast.leader, cast.tree.micro_grids[0], title="走访独居老人")
    second = await submitted_activity(cast.other_leader, cast.tree.micro_grids[2], title="楼道堆物清理")
    staff = await signed_in(client, "staff.zhou")

    # WHEN they open the queue, THEN both are listed, oldest first, with full names
    _, doc = await staff.open("/review")
    assert doc.find(id="queue-heading").text == "待审核 2"
    assert card_titles(doc) == ["走访独居老人", "楼道堆物清理"]
    assert "记录人 李微领" in doc.find("article").text

    # WHEN they verify the first
    response = await staff.submit(f"/review/{first.id}/verify")
    assert response.status_code == 303
    await first.refresh_from_db()
    assert first.status is ActivityStatus.VERIFIED

    # AND try to return the second without a reason: the queue says why, nothing changes
    response = await staff.submit(f"/review/{second.id}/return", {"reason": "  "})
    doc = parse(response.text)
    assert response.status_code == 422
    assert error_of(doc, f"return-{second.id}") == "请填写退回原因，告诉记录人需要修改什么"
    await second.refresh_from_db()
    assert second.status is ActivityStatus.SUBMITTED

    # WHEN they return it with a reason
    response = await staff.submit(f"/review/{second.id}/return", {"reason": "请补充照片"})
    assert response.headers["location"] == "/review?done=returned"
    await second.refresh_from_db()
    assert second.status is ActivityStatus.RETURNED
    assert second.return_reason == "请补充照片"
    _, doc = await staff.open("/review?done=returned")
    assert doc.find(class_="empty").text == "没有待审核的记录。"


async def test_a_resident_has_no_queue_and_cannot_verify(client: httpx.AsyncClient) -> None:
    # GIVEN a submitted record and a signed-in resident
    cast = await build_cast()
    activity = await submitted_activity(cast.leader, cast.tree.micro_grids[0])
    resident = await signed_in(client, "resident.zhao")

    # WHEN they open the queue or post a verification, THEN both are refused
    response, _ = await resident.open("/review")
    assert response.status_code == 403
    response = await resident.submit(f"/review/{activity.id}/verify")
    assert response.status_code == 404  # a submitted record does not exist for them

    # AND nothing changed
    await activity.refresh_from_db()
    assert activity.status is ActivityStatus.SUBMITTED


async def test_the_review_link_is_in_the_navigation_of_staff_only(client: httpx.AsyncClient) -> None:
    await build_cast()
    staff = await signed_in(client, "staff.zhou")
    _, doc = await staff.open("/")
    assert doc.find(id="site-nav").find("a", href="/review").text == "审核"

    leader = await signed_in(client, "leader.li")
    _, doc = await leader.open("/")
    nav = doc.find(id="site-nav")
    assert not nav.find_all("a", href="/review")
    assert [nav.find("a", href=h).text for h in ("/me/log/new", "/me/activities", "/me/training")] == [
        "记一笔",
        "我的记录",
        "我的培训",
    ]


# ---------- photos ----------


async def _photo(cast: Cast, activity: Activity) -> ActivityPhoto:
    return await service.add_photo(actor=cast.leader, activity_id=activity.id, data=image_bytes("JPEG"))


async def test_a_photo_of_an_unverified_record_does_not_exist_for_the_public(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a submitted record with a photo
    cast = await build_cast()
    activity = await log_activity(cast.leader, cast.tree.micro_grids[0])
    photo = await _photo(cast, activity)
    await service.submit_activity(actor=cast.leader, activity_id=activity.id)

    # WHEN an anonymous visitor asks for it, THEN it does not exist
    response = await client.get(f"/photos/{photo.id}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")

    # WHEN its author asks, THEN it is served privately, typed by its content
    author = await signed_in(client, "leader.li")
    response = await author.client.get(f"/photos/{photo.id}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "private, max-age=300"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content[:3] == b"\xff\xd8\xff"


async def test_a_photo_of_a_verified_record_with_public_details_is_public(client: httpx.AsyncClient) -> None:
    cast = await build_cast()
    activity = await log_activity(cast.leader, cast.tree.micro_grids[0])
    photo = await _photo(cast, activity)
    await service.submit_activity(actor=cast.leader, activity_id=activity.id)
    await service.verify_activity(actor=cast.staff, activity_id=activity.id, public=True, details_public=True)

    response = await client.get(f"/photos/{photo.id}")

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"


# ---------- a cell's feed ----------


async def test_the_feed_pages_newest_first_with_earlier_records(client: httpx.AsyncClient) -> None:
    # GIVEN 25 verified visits in the community
    cast = await build_cast()
    await insert_activities(cast.tree.micro_grids[0], 25, author_user_id=cast.users["leader.li"].id)

    # WHEN the feed is opened, THEN the newest page is shown with a link to earlier records
    response = await client.get(f"/grids/{cast.tree.community.code}/activities")
    doc = parse(response.text)
    assert response.status_code == 200
    assert card_titles(doc) == [f"测试活动 {i}" for i in range(PAGE_SIZE)]
    earlier = doc.find("a", class_="pager__next")
    assert earlier.text == "更早的记录"

    # WHEN following it, THEN the rest follow, and no further link
    doc = parse((await client.get(earlier.attrs["href"])).text)
    assert card_titles(doc) == [f"测试活动 {i}" for i in range(PAGE_SIZE, 25)]
    assert not doc.find_all("a", class_="pager__next")
    assert doc.find("a", href=f"/grids/{cast.tree.community.code}/activities").text == "回到最新"


async def test_the_feed_filters_by_type_and_date(client: httpx.AsyncClient) -> None:
    # GIVEN visits an hour apart and two mediations, one of them long ago
    cast = await build_cast()
    user_id = cast.users["leader.li"].id
    await insert_activities(cast.tree.micro_grids[0], 3, author_user_id=user_id)
    await insert_activities(
        cast.tree.micro_grids[2], 1, author_user_id=user_id, activity_type=ActivityType.MEDIATION
    )
    old = today() - timedelta(days=40)
    await insert_activities(
        cast.tree.micro_grids[2],
        1,
        author_user_id=user_id,
        activity_type=ActivityType.MEDIATION,
        newest=at_local(old, time(12)),
    )
    url = f"/grids/{cast.tree.community.code}/activities"

    # WHEN filtering by type, THEN only mediations, newest first
    doc = parse((await client.get(url, params={"type": "MEDIATION"})).text)
    assert [c.find(class_="chip").text for c in doc.find_all("article")] == ["邻里纠纷调解"] * 2
    assert "selected" in doc.find("option", value="MEDIATION").attrs

    # WHEN also limited to the last month, THEN the old one is left out
    since = (today() - timedelta(days=30)).isoformat()
    doc = parse((await client.get(url, params={"type": "MEDIATION", "since": since})).text)
    assert len(doc.find_all("article")) == 1

    # WHEN a date does not parse, THEN it is said beside the input and left out of the filter
    doc = parse((await client.get(url, params={"until": "yesterday"})).text)
    assert error_of(doc, "feed-until") == "请按 年-月-日 填写日期，如 2026-03-01"
    assert len(doc.find_all("article")) == 5


async def test_only_staff_covering_the_cell_filter_by_status_and_see_unverified_records(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a verified and a submitted record
    cast = await build_cast()
    await verified_activity(
        cast.leader, cast.staff, cast.tree.micro_grids[0], title="已核实的走访", public=True
    )
    await submitted_activity(cast.leader, cast.tree.micro_grids[0], title="待审核的走访")
    url = f"/grids/{cast.tree.community.code}/activities"

    # WHEN the public opens the feed, THEN only the verified one, and no status filter
    doc = parse((await client.get(url, params={"status": "SUBMITTED"})).text)
    assert card_titles(doc) == ["已核实的走访"]
    assert not doc.find_all("select", name="status")

    # WHEN the grid staff filter by status, THEN they see the one awaiting review
    staff = await signed_in(client, "staff.zhou")
    _, doc = await staff.open(f"{url}?status=SUBMITTED")
    assert card_titles(doc) == ["待审核的走访"]
    assert doc.find("article").find(class_="status").text == "待审核"


async def test_the_feed_costs_the_same_statements_for_3_or_30_records(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    # GIVEN two grids with 3 and 30 verified records, public with their details (from two leaders,
    # with photos on some)
    cast = await build_cast()
    user_id = cast.users["leader.li"].id
    await insert_activities(
        cast.tree.grids[0], 3, author_user_id=user_id, leader_id=cast.leader_row.id, details_public=True
    )
    many = await insert_activities(
        cast.tree.grids[1],
        30,
        author_user_id=user_id,
        leader_id=cast.other_leader_row.id,
        details_public=True,
    )
    for activity in many[:2]:
        await ActivityPhoto.create(
            activity=activity,
            file_name=f"{activity.id:032x}.jpg",
            content_type="image/jpeg",
            size_bytes=1,
            width=1,
            height=1,
        )

    counts = []
    for grid, shown in ((cast.tree.grids[0], 3), (cast.tree.grids[1], PAGE_SIZE)):
        # WHEN each grid's feed is rendered
        sql_log.reset()
        doc = parse((await client.get(f"/grids/{grid.code}/activities")).text)
        counts.append(sql_log.count)
        assert len(doc.find_all("article")) == shown

    # THEN both take the same statements: the cell, the page, cells, leaders, photos
    assert counts == [5, 5]


async def test_the_grid_cell_page_links_to_its_feed(client: httpx.AsyncClient) -> None:
    cast = await build_cast()

    doc = parse((await client.get(f"/grids/{cast.tree.community.code}")).text)

    assert doc.find("a", href=f"/grids/{cast.tree.community.code}/activities").text == "民情日志"


@pytest.mark.parametrize("url", ["/me/log/new", "/me/activities", "/review"])
async def test_pages_carry_no_inline_script_or_style(client: httpx.AsyncClient, url: str) -> None:
    cast = await build_cast()
    await submitted_activity(cast.leader, cast.tree.micro_grids[0])
    browser = await signed_in(client, "staff.zhou")

    response, doc = await browser.open(url)

    assert response.status_code == 200
    assert all(script.attrs.get("src", "").startswith("/static/") for script in doc.find_all("script"))
    assert not doc.find_all("style")
    assert not doc.find_all(style=True)
    assert all(form.find_all("input", name="csrf_token") for form in doc.find_all("form", method="post"))


def test_every_state_changing_route_of_these_pages_checks_the_csrf_token() -> None:
    # GIVEN the micro-leader and activity routes that accept posts, THEN each is the CSRF-checked kind
    mine = ("/me/", "/review/", "/training", "/leaders/")
    posting = [
        r
        for r in web_routes()
        if isinstance(r, Route) and r.path.startswith(mine) and (r.methods or set()) - {"GET", "HEAD"}
    ]
    assert len(posting) == 18  # 11, and the training pages: cohorts, sessions, nominate, waitlist, decide
    assert all(r.endpoint.__name__ == "checked" for r in posting)


async def test_the_author_removes_a_photo_from_a_draft(client: httpx.AsyncClient) -> None:
    # GIVEN a draft with a photo, WHEN its author opens it, THEN the photo is there to remove
    cast, browser = await leader_browser(client)
    activity = await log_activity(cast.leader, cast.tree.micro_grids[0])
    photo = await _photo(cast, activity)
    _, doc = await browser.open(f"/me/activities/{activity.id}/edit")
    action = f"/me/activities/{activity.id}/photos/{photo.id}/remove"
    assert doc.find("form", action=action).find("input", name="csrf_token")
    assert doc.find("button", form=f"remove-photo-{photo.id}")

    # WHEN they remove it, THEN it is gone and they are back on the form
    response = await browser.submit(action)
    assert response.headers["location"] == f"/me/activities/{activity.id}/edit"
    assert not await ActivityPhoto.filter(id=photo.id).exists()
