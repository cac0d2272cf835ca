"""Response headers and cookies: `Cache-Control: no-store` on everything a signed-in user (or a
token) gets and on the sign-in pages, a Permissions-Policy everywhere, and over https HSTS and
`__Host-` cookies (Secure, Path=/, no Domain); plain names over http for local development."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from api.app import create_app
from api.middleware import HSTS
from api.settings import Settings
from domain.accounts.models import Session
from tests.accounts import PASSWORD, make_user
from tests.api.graphql import bearer
from tests.web.html import parse
from tests.web.session import Browser

pytestmark = pytest.mark.usefixtures("db")
VIEWER = "{ viewer { username } }"


@pytest_asyncio.fixture
async def https(db: None) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(Settings.for_tests()))
    async with httpx.AsyncClient(transport=transport, base_url="https://test") as client:
        yield client


async def _signed_in(client: httpx.AsyncClient) -> Browser:
    await make_user("zhang.wei")
    browser = Browser(client)
    response = await browser.sign_in("zhang.wei")
    assert response.status_code == 303, response.text
    return browser


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    """name → the whole Set-Cookie line."""
    lines = response.headers.get_list("set-cookie")
    return {line.split("=", 1)[0]: line for line in lines}


# --- Cache-Control ---------------------------------------------------------------------------


async def test_the_sign_in_page_and_its_answers_are_not_stored(client: httpx.AsyncClient) -> None:
    await make_user("zhang.wei")
    browser = Browser(client)
    page, _ = await browser.open("/signin")
    wrong = await browser.submit("/signin", {"identifier": "zhang.wei", "password": "wrong-password"})
    right = await browser.submit("/signin", {"identifier": "zhang.wei", "password": PASSWORD})
    assert (page.status_code, wrong.status_code, right.status_code) == (200, 422, 303)
    for response in (page, wrong, right):
        assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("url", ["/", "/account", "/grids", "/me/activities", "/no-such-page"])
async def test_every_page_a_signed_in_user_gets_is_not_stored(client: httpx.AsyncClient, url: str) -> None:
    await _signed_in(client)
    response = await client.get(url)
    assert response.headers["cache-control"] == "no-store"


async def test_the_page_showing_a_new_token_once_is_not_stored(client: httpx.AsyncClient) -> None:
    browser = await _signed_in(client)
    await browser.open("/account")
    response = await browser.submit("/account/tokens", {"name": "看板", "days": "30"})
    secret = parse(response.text).find("code", id="new-token-secret").text
    assert secret.startswith("lz_")
    assert response.headers["cache-control"] == "no-store"


async def test_graphql_answers_to_a_token_or_a_session_are_not_stored(client: httpx.AsyncClient) -> None:
    user = await make_user("li.na")
    by_token = await client.post("/graphql", json={"query": VIEWER}, headers=await bearer(user))
    assert by_token.json() == {"data": {"viewer": {"username": "li.na"}}}
    await Browser(client).sign_in("li.na")
    by_cookie = await client.post("/graphql", json={"query": VIEWER}, headers={"origin": "http://test"})
    assert by_cookie.json() == {"data": {"viewer": {"username": "li.na"}}}
    for response in (by_token, by_cookie):
        assert response.headers["cache-control"] == "no-store"


async def test_a_refused_token_is_not_stored_either(client: httpx.AsyncClient) -> None:
    refused = await client.post(
        "/graphql", json={"query": VIEWER}, headers={"authorization": "Bearer lz_nope"}
    )
    assert refused.status_code == 401
    assert refused.headers["cache-control"] == "no-store"


async def test_public_answers_without_credentials_keep_their_caching(client: httpx.AsyncClient) -> None:
    # the rule follows credentials, not every response: an anonymous health check or query is not marked
    health = await client.get("/healthz")
    anonymous = await client.post("/graphql", json={"query": "{ __typename }"})
    assert "cache-control" not in health.headers
    assert "cache-control" not in anonymous.headers


# --- Permissions-Policy and HSTS -------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_every_response_has_a_permissions_policy(scheme: str, db: None) -> None:
    transport = httpx.ASGITransport(app=create_app(Settings.for_tests()))
    async with httpx.AsyncClient(transport=transport, base_url=f"{scheme}://test") as client:
        responses = [
            await client.get("/"),
            await client.get("/signin"),
            await client.get("/healthz"),
            await client.get("/static/css/app.css"),
            await client.get("/no-such-page"),
            await client.post("/graphql", json={"query": "{ __typename }"}),
            await client.post("/graphql", json={"query": VIEWER}, headers={"authorization": "Bearer x"}),
        ]
    for response in responses:
        policy = response.headers["permissions-policy"]
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert f"{feature}=()" in policy, (response.url, policy)


async def test_https_responses_carry_hsts(https: httpx.AsyncClient) -> None:
    for response in (
        await https.get("/"),
        await https.get("/healthz"),
        await https.get("/static/css/app.css"),
    ):
        assert response.headers["strict-transport-security"] == HSTS
    assert HSTS == "max-age=31536000; includeSubDomains"


async def test_plain_http_responses_carry_no_hsts(client: httpx.AsyncClient) -> None:
    # a browser ignores HSTS over http, and a developer's localhost must not be pinned to https
    assert "strict-transport-security" not in (await client.get("/")).headers


# --- cookies ---------------------------------------------------------------------------------


async def test_https_cookies_are_host_prefixed_and_secure(https: httpx.AsyncClient) -> None:
    await make_user("zhang.wei")
    browser = Browser(https)
    page, _ = await browser.open("/signin")
    signed = await browser.submit("/signin", {"identifier": "zhang.wei", "password": PASSWORD})
    csrf = _set_cookies(page)["__Host-linzhi_csrf"]
    session = _set_cookies(signed)["__Host-linzhi_session"]
    for line in (csrf, session):
        assert "; Secure" in line
        assert "; Path=/" in line
        assert "Domain" not in line
        assert "HttpOnly" in line
    # AND the prefixed cookies work: the user is signed in over https
    account = await https.get("/account")
    assert account.status_code == 200
    assert "zhang.wei" in account.text
    out = await browser.submit("/signout")
    assert '__Host-linzhi_session=""' in _set_cookies(out)["__Host-linzhi_session"]


async def test_http_cookies_keep_their_plain_names(client: httpx.AsyncClient) -> None:
    await make_user("zhang.wei")
    browser = Browser(client)
    page, _ = await browser.open("/signin")
    signed = await browser.submit("/signin", {"identifier": "zhang.wei", "password": PASSWORD})
    assert set(_set_cookies(page)) == {"linzhi_csrf"}
    assert set(_set_cookies(signed)) == {"linzhi_session"}
    assert "Secure" not in _set_cookies(signed)["linzhi_session"]


async def test_over_https_an_unprefixed_session_cookie_is_not_accepted(
    client: httpx.AsyncClient, https: httpx.AsyncClient
) -> None:
    # GIVEN a valid session secret, as a plain-named cookie (which a sibling subdomain or a
    # plain-http page could plant: only `__Host-` cookies are out of their reach)
    await _signed_in(client)
    secret = client.cookies.get("linzhi_session")
    assert secret
    # WHEN it is sent over https under the plain name, THEN it signs nobody in
    planted = await https.post(
        "/graphql",
        json={"query": VIEWER},
        headers={"cookie": f"linzhi_session={secret}", "origin": "https://test"},
    )
    assert planted.json() == {"data": {"viewer": None}}
    # AND under the prefixed name it does
    proper = await https.post(
        "/graphql",
        json={"query": VIEWER},
        headers={"cookie": f"__Host-linzhi_session={secret}", "origin": "https://test"},
    )
    assert proper.json() == {"data": {"viewer": {"username": "zhang.wei"}}}


async def test_over_https_an_unprefixed_csrf_cookie_does_not_pass_the_check(https: httpx.AsyncClient) -> None:
    # GIVEN an attacker who planted `linzhi_csrf=<known>` and posts the same value in the form
    await make_user("zhang.wei")
    known = "A" * 43
    response = await https.post(
        "/signin",
        data={"identifier": "zhang.wei", "password": PASSWORD, "csrf_token": known},
        headers={"cookie": f"linzhi_csrf={known}"},
    )
    # THEN the double-submit check does not count it, and no session starts
    assert response.status_code == 403
    assert await Session.all().count() == 0
