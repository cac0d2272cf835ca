"""Account administration pages: one mobile per account, correcting a name or mobile, resetting a
password (and the forced change that follows) and lifting a lockout, as bureau staff and the
account holder see them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from domain.access import Role
from domain.accounts.models import ApiToken, Session, User
from domain.accounts.service import SYSTEM, create_user
from domain.audit.models import AuditEntry
from domain.people.models import Person
from tests.accounts import PASSWORD, make_user
from tests.web.session import Browser, new_client, signed_in

pytestmark = pytest.mark.usefixtures("db")

MOBILE = "13812341234"
NEW_PASSWORD = "Dangshan-Road-7"


async def bureau(client: httpx.AsyncClient) -> Browser:
    await make_user("bureau.chen", Role.BUREAU_STAFF, name="陈丽华")
    return await signed_in(client, "bureau.chen")


async def test_the_header_shows_the_name_and_marks_a_demo_account(client: httpx.AsyncClient) -> None:
    await create_user(actor=SYSTEM, name="演示网格员", username="demo.grid", password=PASSWORD, is_demo=True)
    browser = await signed_in(client, "demo.grid")
    _, doc = await browser.open("/")
    account = doc.find(id="site-account")
    assert account.find(class_="site-account__name").text == "演示网格员"
    assert account.find(class_="badge--demo").text == "演示"
    assert "demo.grid" not in account.text


async def test_a_new_account_with_another_accounts_mobile_is_refused_on_the_form(
    client: httpx.AsyncClient,
) -> None:
    browser = await bureau(client)
    await make_user("zhang.wei", mobile=MOBILE)
    await browser.open("/admin/users")
    form = {"name": "李娜", "username": "li.na", "mobile": "138 1234 1234", "password": "Xinhua-Road-9"}
    response = await browser.submit("/admin/users", form)
    assert response.status_code == 422
    doc_text = response.text
    assert "该手机号已被其他账号使用" in doc_text
    assert 'id="new-mobile-error"' in doc_text
    assert not await User.filter(username="li.na").exists()


async def test_bureau_staff_correct_a_name_and_mobile(client: httpx.AsyncClient) -> None:
    browser = await bureau(client)
    await make_user("zhang.wei", mobile=MOBILE)
    user = await make_user("li.na", name="李娜", mobile="13912345678")
    await browser.open(f"/admin/users/{user.id}")
    # WHEN they give another account's mobile, THEN the form says so and nothing changes
    refused = await browser.submit(f"/admin/users/{user.id}", {"name": "李丽娜", "mobile": MOBILE})
    assert refused.status_code == 422
    assert "该手机号已被其他账号使用" in refused.text
    assert (await Person.get(id=user.person_id)).name == "李娜"
    # WHEN they correct the name and give a new mobile, THEN both are saved
    saved = await browser.submit(f"/admin/users/{user.id}", {"name": "李丽娜", "mobile": "137 0000 1111"})
    assert saved.headers["location"] == f"/admin/users/{user.id}?done=updated"
    person = await Person.get(id=user.person_id)
    assert (person.name, person.mobile) == ("李丽娜", "13700001111")
    assert (await User.get(id=user.id)).mobile == "13700001111"


async def test_a_reset_shows_a_temporary_password_once_and_ends_the_holders_sessions(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a resident signed in elsewhere
    user = await make_user("zhang.wei", Role.RESIDENT, name="张伟")
    async with new_client() as theirs:
        await signed_in(theirs, "zhang.wei")
    browser = await bureau(client)
    _, page = await browser.open(f"/admin/users/{user.id}")
    assert page.find("form", action=f"/admin/users/{user.id}/password").find("button").text == "重置密码"
    # WHEN bureau staff reset the password
    response = await browser.submit(f"/admin/users/{user.id}/password")
    # THEN the page shows the temporary password, not to be kept by any cache
    assert response.status_code == 200
    assert "no-store" in response.headers["cache-control"]
    temporary = response.text.split('id="temporary-password" class="secret-box__secret">', 1)[1].split("<")[0]
    assert len(temporary) == 14
    assert await Session.filter(user_id=user.id, revoked_at__isnull=True).count() == 0
    # AND it is not shown again
    _, again = await browser.open(f"/admin/users/{user.id}")
    assert temporary not in str(again.text)
    assert "待设置新密码" in again.find("main").text


async def test_a_temporary_password_leads_to_the_change_page_and_nothing_else(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user("zhang.wei", Role.RESIDENT, name="张伟")
    browser = await bureau(client)
    await browser.open(f"/admin/users/{user.id}")
    answer = await browser.submit(f"/admin/users/{user.id}/password")
    temporary = answer.text.split('id="temporary-password" class="secret-box__secret">', 1)[1].split("<")[0]
    async with new_client() as theirs:
        holder = Browser(theirs)
        # WHEN the holder signs in with it, THEN they land on the change page
        signed = await holder.sign_in("zhang.wei", temporary, next_url="/grids")
        assert signed.headers["location"] == "/account/password"
        _, page = await holder.open("/account/password")
        assert page.find("main").find("h1").text == "设置新密码"
        # AND every other page, form or the API sends them back there or refuses
        for url in ("/", "/workbench", "/account", "/grids"):
            bounced = await theirs.get(url)
            assert (bounced.status_code, bounced.headers["location"]) == (303, "/account/password"), url
        made = await holder.submit("/account/tokens", {"name": "偷偷", "days": "30"})
        assert made.headers["location"] == "/account/password"
        assert not await ApiToken.filter(name="偷偷").exists()
        api = await theirs.get("/graphql", params={"query": "{ viewer { username } }"})
        assert api.status_code == 403
        assert api.json()["errors"][0]["extensions"]["code"] == "PASSWORD_CHANGE_REQUIRED"
        # WHEN they choose a new password (a wrong temporary one is refused on the same page)
        wrong = await holder.submit(
            "/account/password", {"current": "nope", "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        )
        assert (wrong.status_code, "当前密码不正确" in wrong.text) == (422, True)
        done = await holder.submit(
            "/account/password", {"current": temporary, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        )
        # THEN the platform is theirs again
        assert done.headers["location"] == "/account?done=password"
        assert (await theirs.get("/workbench")).status_code == 200
        assert not (await User.get(id=user.id)).must_change_password


async def test_a_locked_account_is_unlocked_from_its_page(client: httpx.AsyncClient) -> None:
    user = await make_user("zhang.wei")
    await User.filter(id=user.id).update(
        locked_until=datetime.now(UTC) + timedelta(minutes=12), failed_attempts=0
    )
    browser = await bureau(client)
    _, page = await browser.open(f"/admin/users/{user.id}")
    assert "已锁定至" in page.find("main").text
    response = await browser.submit(f"/admin/users/{user.id}/unlock")
    assert response.headers["location"] == f"/admin/users/{user.id}?done=unlocked"
    _, after = await browser.open(response.headers["location"])
    assert "账号已解除锁定" in after.find("main").text
    assert "已锁定至" not in after.find("main").text
    async with new_client() as theirs:
        assert (await Browser(theirs).sign_in("zhang.wei")).status_code == 303
    entry = await AuditEntry.get(action="user.unlock")
    assert entry.actor_label == "bureau.chen"


async def test_bureau_staff_see_no_reset_or_unlock_for_an_admin(client: httpx.AsyncClient) -> None:
    admin = await make_user("admin.li", Role.ADMIN)
    await User.filter(id=admin.id).update(locked_until=datetime.now(UTC) + timedelta(minutes=12))
    browser = await bureau(client)
    _, page = await browser.open(f"/admin/users/{admin.id}")
    assert not page.find_all("form", action=f"/admin/users/{admin.id}/password")
    assert not page.find_all("form", action=f"/admin/users/{admin.id}/unlock")
    assert not page.find_all("form", action=f"/admin/users/{admin.id}")
