"""Signing in and out, and the account page, as a browser (with or without htmx) uses them."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.routing import Route

from domain.access import Role
from domain.accounts import config
from domain.accounts.config import AccountPolicy
from domain.accounts.models import ApiToken, Session, User
from domain.audit.models import AuditEntry
from tests.accounts import PASSWORD, make_user
from tests.api.graphql import gql
from tests.web.html import Element, parse
from tests.web.session import Browser, new_client, signed_in
from web.app import web_routes

HTMX = {"HX-Request": "true"}
VIEWER = "{ viewer { username } }"
NEW_PASSWORD = "Nanhu-Road-88"


def alert(doc: Element) -> str:
    return doc.find(class_="alert").text


def field_error(doc: Element, input_id: str) -> str:
    return doc.find(id=f"{input_id}-error").text


def main_heading(doc: Element) -> str:
    return doc.find("main").find("h1").text


# ---------- signing in ----------


async def test_signing_in_sets_a_protected_session_cookie_and_goes_to_next(client: httpx.AsyncClient) -> None:
    # GIVEN a user, WHEN they sign in from a link that asked for the grid browser
    await make_user("zhang.wei", name="张伟")
    response = await Browser(client).sign_in("zhang.wei", next_url="/grids")

    # THEN they are sent there with a session cookie scripts cannot read and other sites do not send
    assert response.status_code == 303
    assert response.headers["location"] == "/grids"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("linzhi_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert "Max-Age=43200" in cookie
    assert "Secure" not in cookie  # plain http in tests; https adds it

    # AND the header now greets them by name (not by username), with their account and a way out
    _, doc = await Browser(client).open("/")
    account = doc.find(id="site-account")
    assert account.find(class_="site-account__name").text == "张伟"
    assert "zhang.wei" not in account.text
    assert account.find("a", href="/account").text == "我的账号"
    assert account.find("form", action="/signout").find("button").text == "退出"


async def test_signing_in_with_the_mobile_number_lands_on_the_workbench(client: httpx.AsyncClient) -> None:
    await make_user("li.na", mobile="13812341234")

    response = await Browser(client).sign_in("13812341234")

    assert response.status_code == 303
    assert response.headers["location"] == "/workbench"


async def test_an_htmx_sign_in_loads_the_next_page_afresh(client: httpx.AsyncClient) -> None:
    # GIVEN the sign-in form submitted by htmx (the token in the header, as <body hx-headers> sends it)
    await make_user("zhang.wei")
    browser = Browser(client)
    await browser.open("/signin")

    response = await client.post(
        "/signin",
        data={"identifier": "zhang.wei", "password": PASSWORD},
        headers={**HTMX, "X-CSRF-Token": browser.token},
    )

    # THEN htmx is told to load the workbench as a new page (the header changes with it)
    assert response.status_code == 200
    assert response.headers["hx-redirect"] == "/workbench"
    assert browser.session_cookie


@pytest.mark.parametrize(
    "next_url", ["//evil.example/", "https://evil.example/", "/\\evil.example", "account"]
)
async def test_sign_in_never_sends_the_user_to_another_site(client: httpx.AsyncClient, next_url: str) -> None:
    await make_user("zhang.wei")

    response = await Browser(client).sign_in("zhang.wei", next_url=next_url)

    assert response.headers["location"] == "/workbench"


async def test_a_wrong_password_says_so_and_keeps_the_identifier(client: httpx.AsyncClient) -> None:
    # GIVEN a user, WHEN they type a wrong password
    await make_user("zhang.wei")
    browser = Browser(client)
    response = await browser.sign_in("zhang.wei", "Wrong-pass-1")

    # THEN the form comes back with a plain message, their username filled in, the password empty
    doc = parse(response.text)
    assert response.status_code == 422
    assert alert(doc) == "用户名或密码错误"
    assert doc.find("input", name="identifier").attrs["value"] == "zhang.wei"
    assert "value" not in doc.find("input", name="password").attrs
    assert browser.session_cookie is None


async def test_an_empty_form_asks_for_both_fields_without_counting_a_failure(
    client: httpx.AsyncClient,
) -> None:
    response = await Browser(client).sign_in("", "")

    doc = parse(response.text)
    assert response.status_code == 422
    assert field_error(doc, "signin-identifier") == "请输入用户名或手机号"
    assert field_error(doc, "signin-password") == "请输入密码"
    assert await AuditEntry.filter(action="auth.sign_in_failed").count() == 0


async def test_five_wrong_passwords_lock_the_account_and_the_page_says_so(client: httpx.AsyncClient) -> None:
    # GIVEN a user who mistypes their password four times
    await make_user("zhang.wei")
    browser = Browser(client)
    for _ in range(4):
        response = await browser.sign_in("zhang.wei", "Wrong-pass-1")
        assert alert(parse(response.text)) == "用户名或密码错误"

    # WHEN they get it wrong a fifth time, THEN the account is locked and the page says for how long
    response = await browser.sign_in("zhang.wei", "Wrong-pass-1")
    assert alert(parse(response.text)) == "密码错误次数过多，账号已锁定，请 15 分钟后再试"

    # AND even the right password is refused until then
    response = await browser.sign_in("zhang.wei")
    assert response.status_code == 422
    assert alert(parse(response.text)) == "密码错误次数过多，账号已锁定，请 15 分钟后再试"
    assert browser.session_cookie is None


@pytest.mark.parametrize(
    "token", ["", "forged-token-forged-token-forged-token-1234"], ids=["missing", "wrong"]
)
async def test_sign_in_without_the_pages_token_is_refused(client: httpx.AsyncClient, token: str) -> None:
    # GIVEN a user and a browser that has the sign-in page open
    await make_user("zhang.wei")
    browser = Browser(client)
    await browser.open("/signin")

    # WHEN the form arrives without the page's token (another site posting it, or a stale page)
    data = {"identifier": "zhang.wei", "password": PASSWORD} | ({"csrf_token": token} if token else {})
    response = await client.post("/signin", data=data)

    # THEN it is refused in plain words, and no session is started
    doc = parse(response.text)
    assert response.status_code == 403
    assert main_heading(doc) == "请求已过期"
    assert doc.find("p", class_="error-page__message").text == "请求已过期，请刷新页面后重试"
    assert browser.session_cookie is None
    assert await Session.all().count() == 0


async def test_a_form_post_from_a_browser_without_the_token_cookie_is_refused(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a token copied from a page, WHEN it is posted without the cookie it belongs to
    await make_user("zhang.wei")
    browser = Browser(client)
    await browser.open("/signin")
    client.cookies.clear()

    response = await browser.submit("/signin", {"identifier": "zhang.wei", "password": PASSWORD})

    # THEN it is refused, and the refusal page gives the browser a fresh token for the retry
    assert response.status_code == 403
    assert await Session.all().count() == 0
    assert "linzhi_csrf=" in response.headers["set-cookie"]


async def test_the_token_cookie_is_set_once_and_matches_the_forms(client: httpx.AsyncClient) -> None:
    browser = Browser(client)
    first, _ = await browser.open("/signin")
    second, doc = await browser.open("/")

    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"linzhi_csrf={browser.token};")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "set-cookie" not in second.headers
    assert f'"X-CSRF-Token": "{browser.token}"' in doc.find("body").attrs["hx-headers"]


def test_every_state_changing_page_route_checks_the_token() -> None:
    # GIVEN every page route that accepts more than GET/HEAD, THEN each one is the CSRF-checked kind
    posting = [r for r in web_routes() if isinstance(r, Route) and (r.methods or set()) - {"GET", "HEAD"}]
    assert {r.path for r in posting} >= {
        "/signin",
        "/signout",
        "/account/password",
        "/account/tokens",
        "/account/tokens/{token_id:id}/revoke",
        "/admin/users",
        "/admin/users/{user_id:id}/active",
        "/admin/users/{user_id:id}/roles",
        "/admin/roles/{assignment_id:id}/revoke",
    }
    assert all(r.endpoint.__name__ == "checked" for r in posting)


@pytest.mark.parametrize(
    "url",
    [
        "/signout",
        "/account/password",
        "/account/tokens",
        "/account/tokens/1/revoke",
        "/admin/users",
        "/admin/users/1/active",
        "/admin/users/1/roles",
        "/admin/roles/1/revoke",
    ],
)
async def test_a_signed_in_post_without_the_token_is_refused(client: httpx.AsyncClient, url: str) -> None:
    # GIVEN a signed-in user, WHEN another site makes their browser post to a page route
    await make_user("zhang.wei")
    await signed_in(client, "zhang.wei")
    response = await client.post(url, data={"name": "跨站", "active": "0"})

    # THEN the post is refused before anything runs
    assert response.status_code == 403
    assert main_heading(parse(response.text)) == "请求已过期"


# ---------- signing out ----------


async def test_signing_out_ends_the_session_and_the_old_cookie_stops_working(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a signed-in user
    await make_user("zhang.wei")
    browser = await signed_in(client, "zhang.wei")
    old_cookie = browser.session_cookie
    await browser.open("/account")

    # WHEN they sign out
    response = await browser.submit("/signout")

    # THEN they are back on the home page, signed out, and the cookie is gone
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert browser.session_cookie is None
    _, doc = await browser.open("/")
    assert doc.find(id="site-account").find("a").text == "登录"

    # AND a copy of the old cookie no longer signs anyone in
    async with new_client() as other:
        other.cookies.set("linzhi_session", old_cookie or "")
        response = await other.get("/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/account"


async def test_sign_out_without_the_token_is_refused_and_the_session_lives_on(
    client: httpx.AsyncClient,
) -> None:
    await make_user("zhang.wei")
    await signed_in(client, "zhang.wei")

    response = await client.post("/signout")

    assert response.status_code == 403
    assert (await client.get("/account")).status_code == 200
    assert await Session.filter(revoked_at__isnull=True).count() == 1


# ---------- my account ----------


async def test_anonymous_visitors_are_sent_to_sign_in_first(client: httpx.AsyncClient) -> None:
    response = await client.get("/account")

    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/account"
    _, doc = await Browser(client).open(response.headers["location"])
    assert doc.find("input", name="next").attrs["value"] == "/account"


async def test_my_account_shows_my_own_data_in_full_and_my_roles(client: httpx.AsyncClient) -> None:
    from domain.access import Role
    from tests.factories import build_tree

    # GIVEN grid staff for 当湖街道 with a mobile number
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    await make_user("grid.wang", Role.GRID_STAFF, cell=tree.town, mobile="13812345678", name="王小明")
    browser = await signed_in(client, "grid.wang")

    # WHEN they open their account
    response, doc = await browser.open("/account")

    # THEN they see their own name and mobile unmasked, and the role with its scope
    assert response.status_code == 200
    facts = dict(zip(doc.texts("dt"), doc.texts("dd"), strict=True))
    assert facts["姓名"] == "王小明"
    assert facts["手机号"] == "13812345678"
    assert doc.find("ul", class_="role-list").text == "网格员/社区工作者 当湖街道 330482001"


async def test_a_wrong_current_password_is_shown_beside_it_and_nothing_changes(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a signed-in user
    user = await make_user("zhang.wei")
    browser = await signed_in(client, "zhang.wei")
    await browser.open("/account")

    # WHEN they try to change the password with a wrong current one
    response = await browser.submit(
        "/account/password", {"current": "Wrong-pass-1", "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )

    # THEN the error sits beside the current-password input, and the password is unchanged
    doc = parse(response.text)
    assert response.status_code == 422
    assert field_error(doc, "password-current") == "当前密码不正确"
    assert doc.find("input", id="password-current").attrs["aria-invalid"] == "true"
    assert (await User.get(id=user.id)).password_hash == user.password_hash


@pytest.mark.parametrize(
    ("new", "confirm", "input_id", "message"),
    [
        (NEW_PASSWORD, "Nanhu-Road-89", "password-confirm", "两次输入的新密码不一致"),
        ("short1A", "short1A", "password-new", "密码至少 8 位"),
    ],
)
async def test_a_new_password_that_does_not_pass_is_explained(
    client: httpx.AsyncClient, new: str, confirm: str, input_id: str, message: str
) -> None:
    await make_user("zhang.wei")
    browser = await signed_in(client, "zhang.wei")
    await browser.open("/account")

    response = await browser.submit(
        "/account/password", {"current": PASSWORD, "new": new, "confirm": confirm}
    )

    assert response.status_code == 422
    assert field_error(parse(response.text), input_id) == message


async def test_changing_the_password_signs_out_my_other_browsers(client: httpx.AsyncClient) -> None:
    # GIVEN a user signed in on two browsers
    await make_user("zhang.wei")
    browser = await signed_in(client, "zhang.wei")
    async with new_client() as phone:
        await signed_in(phone, "zhang.wei")

        # WHEN they change their password on the first
        await browser.open("/account")
        response = await browser.submit(
            "/account/password", {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        )

        # THEN the first stays signed in and says it worked; the other one is signed out
        assert response.status_code == 303
        _, doc = await browser.open(response.headers["location"])
        assert doc.find(class_="alert--success").text.startswith("密码已修改")
        assert (await phone.get("/account")).status_code == 303

    # AND the new password is the one that signs in
    async with new_client() as laptop:
        assert (await Browser(laptop).sign_in("zhang.wei", NEW_PASSWORD)).status_code == 303


# ---------- API tokens ----------


async def create_token(browser: Browser, name: str = "街道数据看板", *scopes: str) -> httpx.Response:
    await browser.open("/account")
    return await browser.submit("/account/tokens", {"name": name, "scopes": list(scopes), "days": "30"})


async def test_a_new_token_is_shown_once_and_then_works_on_graphql(client: httpx.AsyncClient) -> None:
    # GIVEN a signed-in user, WHEN they create a token
    await make_user("zhang.wei")
    browser = await signed_in(client, "zhang.wei")
    response = await create_token(browser, "街道数据看板", "write:grids")

    # THEN the secret is shown, with the warning that it will not be shown again
    doc = parse(response.text)
    box = doc.find("section", class_="secret-box")
    secret = box.find("code", id="new-token-secret").text
    assert secret.startswith("lz_")
    assert "请立即复制，此令牌只显示这一次" in box.text
    row = doc.find("tbody").find("tr")
    assert row.find("th").text == "街道数据看板"
    assert "read write:grids" in row.text
    assert "有效" in row.text

    # AND it is never shown again
    _, again = await browser.open("/account")
    assert secret not in again.find("main").text
    assert not again.find_all(class_="secret-box")

    # AND it works as a bearer token on /graphql
    body = await gql(client, VIEWER, headers={"authorization": f"Bearer {secret}"})
    assert body == {"data": {"viewer": {"username": "zhang.wei"}}}


async def test_revoking_a_token_stops_it_working(client: httpx.AsyncClient) -> None:
    # GIVEN a user with a token
    await make_user("zhang.wei")
    browser = await signed_in(client, "zhang.wei")
    doc = parse((await create_token(browser)).text)
    secret = doc.find("code", id="new-token-secret").text
    revoke = doc.find("tbody").find("form")
    assert "撤销" in revoke.attrs["hx-confirm"]

    # WHEN they revoke it
    response = await browser.submit(revoke.attrs["action"])

    # THEN the list says so, and the token is refused from then on
    assert response.status_code == 303
    _, doc = await browser.open(response.headers["location"])
    assert "已撤销" in doc.find("tbody").find("tr").text
    assert not doc.find("tbody").find_all("form")
    refused = await client.post(
        "/graphql", json={"query": VIEWER}, headers={"authorization": f"Bearer {secret}"}
    )
    assert refused.status_code == 401


async def test_someone_elses_token_cannot_be_revoked(client: httpx.AsyncClient) -> None:
    # GIVEN another user's token
    await make_user("li.na")
    owner = await signed_in(client, "li.na")
    await create_token(owner)
    token = await ApiToken.get(name="街道数据看板")
    await owner.submit("/signout")

    # WHEN somebody else posts its revoke form
    await make_user("zhang.wei")
    browser = await signed_in(client, "zhang.wei")
    await browser.open("/account")
    response = await browser.submit(f"/account/tokens/{token.id}/revoke")

    # THEN it is as if the token did not exist, and it stays active
    assert response.status_code == 404
    assert (await ApiToken.get(id=token.id)).revoked_at is None


async def test_a_token_form_error_keeps_what_was_filled_in(client: httpx.AsyncClient) -> None:
    await make_user("zhang.wei")
    browser = await signed_in(client, "zhang.wei")
    await browser.open("/account")

    response = await browser.submit(
        "/account/tokens", {"name": "  ", "scopes": ["write:grids"], "days": "400"}
    )

    doc = parse(response.text)
    assert response.status_code == 422
    assert field_error(doc, "token-name") == "令牌名称须为 1–60 个字符"
    assert doc.find("input", value="write:grids").attrs.get("checked") == ""
    assert doc.find("input", id="token-days").attrs["value"] == "400"
    assert await ApiToken.all().count() == 0


# ---------- rate limit ----------


@pytest.fixture
def three_sign_ins_per_window() -> Iterator[None]:
    default = config.policy()
    config.configure(AccountPolicy(sign_in_limit=3))
    yield
    config.configure(default)


@pytest.mark.usefixtures("three_sign_ins_per_window")
async def test_too_many_sign_ins_from_one_address_are_refused_for_a_while(client: httpx.AsyncClient) -> None:
    # GIVEN a limit of three sign-in attempts per address, all used up
    await make_user("zhang.wei")
    browser = Browser(client)
    for _ in range(3):
        await browser.sign_in("zhang.wei", "Wrong-pass-1")

    # WHEN a fourth arrives, even with the right password
    response = await browser.sign_in("zhang.wei")

    # THEN it is refused before the password is checked, saying when to come back
    doc = parse(response.text)
    assert response.status_code == 429
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 300
    assert main_heading(doc) == "请求过于频繁"
    assert doc.find("p", class_="error-page__message").text == f"请求过于频繁，请 {retry_after} 秒后再试"
    assert browser.session_cookie is None
    assert await AuditEntry.filter(action="auth.sign_in_failed").count() == 3


# ---------- header and CSP ----------


async def test_anonymous_visitors_see_a_sign_in_link_that_returns_them(client: httpx.AsyncClient) -> None:
    _, doc = await Browser(client).open("/grids/search")

    link = doc.find(id="site-account").find("a")
    assert link.text == "登录"
    assert link.attrs["href"] == "/signin?next=/grids/search"
    assert "用户管理" not in doc.find("nav", id="site-nav").text


@pytest.mark.parametrize("url", ["/signin", "/account"])
async def test_account_pages_carry_no_inline_script_or_style(client: httpx.AsyncClient, url: str) -> None:
    await make_user("zhang.wei")
    browser = await signed_in(client, "zhang.wei")
    await create_token(browser)

    response, doc = await browser.open(url)

    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert all(script.attrs.get("src", "").startswith("/static/") for script in doc.find_all("script"))
    assert not doc.find_all("style")
    assert not doc.find_all(style=True)
    assert not [e for e in doc.iter() if any(name.startswith("on") for name in e.attrs)]


@pytest.mark.usefixtures("three_sign_ins_per_window")
async def test_a_training_venue_signs_in_from_one_address_and_only_failures_count(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN 45 leaders at one venue, behind one address, with a limit of 3 failures per address
    for i in range(45):
        await make_user(f"venue.leader{i}")

    # WHEN they all sign in, one after another, from that address
    answers = [await Browser(client).sign_in(f"venue.leader{i}") for i in range(45)]

    # THEN every one of them gets in (successes are not counted) ...
    assert [a.status_code for a in answers] == [303] * 45
    # ... while wrong passwords still use up the address's allowance
    for _ in range(3):
        assert (await Browser(client).sign_in("venue.leader0", "Wrong-pass-1")).status_code == 422
    assert (await Browser(client).sign_in("venue.leader1")).status_code == 429


async def test_a_role_without_a_scope_never_reads_as_unlimited(client: httpx.AsyncClient) -> None:
    # Bureau staff work city-wide; a resident's role is not limited by area at all: neither reads
    # as "不限范围", which sounds like unlimited power.
    await make_user("chen.bureau", Role.BUREAU_STAFF, Role.RESIDENT)
    browser = await signed_in(client, "chen.bureau")

    _, doc = await browser.open("/account")

    scopes = [li.text for li in doc.find_all("li", class_="role-list__item")]
    assert "民政局工作人员 全市" in scopes
    assert "居民 （此角色不按范围限定）" in scopes
    assert "不限范围" not in doc.text
