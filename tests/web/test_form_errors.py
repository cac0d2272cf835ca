"""Every form shows every error at once: each message beside its input, and a summary at the top
naming each input; and a refused form changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from domain import storage
from domain.access import Role
from domain.accounts.models import ApiToken, User
from domain.activities.models import Activity
from domain.leaders.models import MicroLeader
from tests.accounts import PASSWORD, make_user
from tests.factories_activities import build_cast, log_activity
from tests.web.html import Element, parse
from tests.web.session import signed_in
from tests.web.test_activity_pages import mediation_form
from tests.web.test_training_pages import _training


@pytest.fixture(autouse=True)
def photo_folder(tmp_path: Path) -> Iterator[Path]:
    previous = storage.configure(tmp_path)
    yield tmp_path
    storage.configure(previous)


def beside(doc: Element, input_id: str) -> str:
    return doc.find(id=f"{input_id}-error").text


def summary(doc: Element) -> list[str]:
    return doc.find(class_="error-summary__list").texts("li")


async def test_the_log_form_shows_what_does_not_parse_and_what_the_domain_refuses_at_once(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a leader, WHEN they send an empty title, no date, a count that is no number and a
    # place too long
    cast = await build_cast()
    browser = await signed_in(client, "leader.li")
    await browser.open("/me/log/new")
    form = mediation_form(cast, title=" ", date="", participants="many", place="地" * 101)
    response = await browser.submit("/me/log", form)

    # THEN every error is beside its input and listed at the top by the input's name
    doc = parse(response.text)
    assert response.status_code == 422
    assert beside(doc, "log-title") == "标题须为 1–100 个字符"
    assert beside(doc, "log-date") == "请选择活动日期"
    assert beside(doc, "log-place") == "地点不能超过 100 个字符"
    assert beside(doc, "log-participants") == "请填写 0 或正整数"
    assert summary(doc) == [
        "标题须为 1–100 个字符",
        "日期：请选择活动日期",
        "地点不能超过 100 个字符",
        "参与人数：请填写 0 或正整数",
    ]
    assert doc.find("a", href="#log-date").text == "日期：请选择活动日期"
    # AND nothing was saved
    assert await Activity.all().count() == 0


async def test_editing_a_record_shows_every_rule_it_breaks_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a leader's draft, WHEN they make it a visit to no household, with no title and a
    # follow-up far too long
    cast = await build_cast()
    activity = await log_activity(cast.leader, cast.tree.micro_grids[0])
    browser = await signed_in(client, "leader.li")
    await browser.open(f"/me/activities/{activity.id}/edit")
    form = mediation_form(
        cast,
        activity_type="VISIT",
        title="",
        households_reached="0",
        follow_up="跟" * 2001,
        mediation_outcome="",
    )
    response = await browser.submit(f"/me/activities/{activity.id}", form)

    # THEN the domain's errors all come back, each beside its input
    doc = parse(response.text)
    assert response.status_code == 422
    assert beside(doc, "log-title") == "标题须为 1–100 个字符"
    assert beside(doc, "log-households") == "涉及户数须在 1 到 10000 之间"
    assert beside(doc, "log-follow-up") == "后续跟进不能超过 2000 个字符"
    assert summary(doc) == [
        "标题须为 1–100 个字符",
        "涉及户数须在 1 到 10000 之间",
        "后续跟进不能超过 2000 个字符",
    ]
    # AND the record is as it was
    assert (await Activity.get(id=activity.id)).title == activity.title


async def test_the_password_form_shows_a_mismatch_and_a_weak_password_at_once(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user("zhang.wei")
    browser = await signed_in(client, "zhang.wei")
    await browser.open("/account")

    response = await browser.submit(
        "/account/password", {"current": PASSWORD, "new": "short", "confirm": "other"}
    )

    doc = parse(response.text)
    assert response.status_code == 422
    assert beside(doc, "password-new") == "密码至少 8 位"
    assert beside(doc, "password-confirm") == "两次输入的新密码不一致"
    assert summary(doc) == ["新密码：密码至少 8 位", "再次输入新密码：两次输入的新密码不一致"]
    assert (await User.get(id=user.id)).password_hash == user.password_hash


async def test_the_token_form_shows_a_missing_name_and_bad_days_at_once(client: httpx.AsyncClient) -> None:
    await make_user("zhang.wei")
    browser = await signed_in(client, "zhang.wei")
    await browser.open("/account")

    response = await browser.submit("/account/tokens", {"name": " ", "days": "forever"})

    doc = parse(response.text)
    assert response.status_code == 422
    assert beside(doc, "token-name") == "令牌名称须为 1–60 个字符"
    assert beside(doc, "token-days") == "请输入有效天数（整数）"
    assert summary(doc) == ["令牌名称须为 1–60 个字符", "有效期：请输入有效天数（整数）"]
    assert await ApiToken.all().count() == 0


async def test_the_new_user_form_shows_every_bad_input_at_once(client: httpx.AsyncClient) -> None:
    await make_user("admin.wu", Role.ADMIN)
    browser = await signed_in(client, "admin.wu")
    await browser.open("/admin/users")
    users = await User.all().count()

    response = await browser.submit(
        "/admin/users", {"name": "", "username": "12345", "mobile": "12", "password": "short"}
    )

    doc = parse(response.text)
    assert response.status_code == 422
    assert beside(doc, "new-name") == "姓名须为 1–50 个字符"
    assert beside(doc, "new-username") == "用户名不能全为数字（避免与手机号混淆）"
    assert beside(doc, "new-mobile") == "手机号码格式不正确"
    assert beside(doc, "new-password") == "密码至少 8 位"
    assert summary(doc) == [
        "姓名须为 1–50 个字符",
        "用户名不能全为数字（避免与手机号混淆）",
        "手机号码格式不正确",
        "初始密码：密码至少 8 位",
    ]
    assert await User.all().count() == users


async def test_sign_in_without_identifier_or_password_asks_for_both(client: httpx.AsyncClient) -> None:
    await client.get("/signin")
    response = await client.get("/signin")
    token = parse(response.text).find("input", name="csrf_token").attrs["value"]

    response = await client.post("/signin", data={"csrf_token": token, "identifier": "", "password": ""})

    doc = parse(response.text)
    assert beside(doc, "signin-identifier") == "请输入用户名或手机号"
    assert beside(doc, "signin-password") == "请输入密码"


async def test_the_nomination_form_shows_a_new_persons_name_and_mobile_with_the_rest(
    client: httpx.AsyncClient,
) -> None:
    training = await _training()
    browser = await signed_in(client, "bureau.chen")
    url = f"/training/cohorts/{training.cohort.id}/nominate"
    await browser.open(url)
    leaders = await MicroLeader.all().count()

    response = await browser.submit(url, {"name": "", "mobile": "139"})

    doc = parse(response.text)
    assert response.status_code == 422
    assert beside(doc, "nominate-name") == "姓名须为 1–50 个字符"
    assert beside(doc, "nominate-mobile") == "手机号码格式不正确"
    assert beside(doc, "nominate-cell") == "请填写所在网格的编码"
    assert summary(doc) == [
        "姓名须为 1–50 个字符",
        "手机号码格式不正确",
        "所在网格编码：请填写所在网格的编码",
        "来源：请选择来源",
    ]
    assert await MicroLeader.all().count() == leaders
