"""Who is calling /graphql: bearer tokens (refused with a reason and no data when bad) and session
cookies (accepted for a POST only from the site's own origin)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from domain.access import ANONYMOUS, Role
from domain.accounts import service
from domain.accounts.models import ApiToken, User
from domain.audit.models import AuditEntry
from domain.grids.models import GridCell
from tests.accounts import PASSWORD, actor_of, make_user
from tests.api.graphql import global_id
from tests.factories import build_tree, reload

VIEWER = "{ viewer { username authenticatedBy } }"

RENAME = """
mutation ($input: GridCellUpdateInput!) {
  gridCellUpdate(input: $input) { gridCell { name } userErrors { code } }
}
"""

UNAUTHENTICATED = {"code": "UNAUTHENTICATED"}


async def _post(
    client: httpx.AsyncClient, query: str, headers: dict[str, str], **variables: Any
) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


async def _rename(client: httpx.AsyncClient, cell: GridCell, headers: dict[str, str]) -> httpx.Response:
    return await _post(
        client, RENAME, headers, input={"id": global_id("GridCell", cell.id), "name": "改名网格"}
    )


async def _assert_unchanged(cell: GridCell) -> None:
    assert (await reload(cell)).name == cell.name
    assert not await AuditEntry.filter(action="grid.update").exists()


def _assert_refused(response: httpx.Response, status: int, message: str, code: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"errors": [{"message": message, "extensions": {"code": code}}]}


async def _issued(user: User) -> service.IssuedToken:
    return await service.create_token(actor=await actor_of(user), name="对接令牌", scopes=["write:grids"])


# --- bearer tokens ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Bearer lz_not-a-real-token", id="garbage"),
        pytest.param("Bearer ", id="empty"),
        pytest.param("Bearer", id="no-secret"),
        pytest.param("Basic dXNlcjpQaW5naHUtMjAyNg==", id="other-scheme"),
    ],
)
async def test_a_bad_bearer_gets_401_and_no_data(client: httpx.AsyncClient, authorization: str) -> None:
    # GIVEN a cell
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    # WHEN a caller sends credentials that are not a valid token
    response = await _rename(client, tree.grids[0], {"authorization": authorization})
    # THEN it is refused as unauthenticated, told how to authenticate, and nothing runs
    _assert_refused(response, 401, "令牌无效", "UNAUTHENTICATED")
    assert response.headers["www-authenticate"] == "Bearer"
    assert "data" not in response.json()
    await _assert_unchanged(tree.grids[0])


async def test_a_revoked_token_is_refused_at_once(client: httpx.AsyncClient) -> None:
    # GIVEN a bureau staff member's token that worked, then was revoked
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    user = await make_user("bureau.qian", Role.BUREAU_STAFF)
    issued = await _issued(user)
    headers = {"authorization": f"Bearer {issued.secret}"}
    assert (await _post(client, VIEWER, headers)).status_code == 200
    await service.revoke_token(actor=await actor_of(user), token_id=issued.token.id)
    # WHEN it is used again
    response = await _rename(client, tree.grids[0], headers)
    # THEN it is refused with the reason, and the change is not made
    _assert_refused(response, 401, "令牌已被撤销", "UNAUTHENTICATED")
    assert response.headers["www-authenticate"] == "Bearer"
    await _assert_unchanged(tree.grids[0])


async def test_an_expired_token_is_refused(client: httpx.AsyncClient) -> None:
    # GIVEN a token past its expiry
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    issued = await _issued(await make_user("bureau.sun", Role.BUREAU_STAFF))
    await ApiToken.filter(id=issued.token.id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    # WHEN it is used
    response = await _rename(client, tree.grids[0], {"authorization": f"Bearer {issued.secret}"})
    # THEN it is refused as expired, and the change is not made
    _assert_refused(response, 401, "令牌已过期", "UNAUTHENTICATED")
    await _assert_unchanged(tree.grids[0])


async def test_a_token_of_a_disabled_account_is_refused(client: httpx.AsyncClient) -> None:
    # GIVEN a valid token whose account was then disabled
    user = await make_user("app.disabled")
    issued = await _issued(user)
    await User.filter(id=user.id).update(is_active=False)
    # WHEN it is used
    response = await _post(client, VIEWER, {"authorization": f"Bearer {issued.secret}"})
    # THEN it is refused
    _assert_refused(response, 401, "令牌所属账号已停用", "UNAUTHENTICATED")


async def test_a_valid_token_is_served_and_its_use_recorded(client: httpx.AsyncClient) -> None:
    # GIVEN a fresh, never used token
    issued = await _issued(await make_user("app.dashboard"))
    assert (await ApiToken.get(id=issued.token.id)).last_used_at is None
    # WHEN it is used
    response = await _post(client, VIEWER, {"authorization": f"Bearer {issued.secret}"})
    # THEN the caller is served as the token's user, and the token shows when it was last used
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"username": "app.dashboard", "authenticatedBy": "TOKEN"}}}
    last_used = (await ApiToken.get(id=issued.token.id)).last_used_at
    assert last_used is not None
    assert datetime.now(UTC) - last_used < timedelta(minutes=1)


async def test_a_bad_bearer_is_refused_even_with_a_good_cookie(client: httpx.AsyncClient) -> None:
    # GIVEN a signed-in browser
    await make_user("zhou.min")
    signed = await service.sign_in(actor=ANONYMOUS, identifier="zhou.min", password=PASSWORD)
    # WHEN it also sends a bad bearer token
    headers = {
        "cookie": f"linzhi_session={signed.session_secret}",
        "origin": "http://test",
        "authorization": "Bearer lz_stale",
    }
    response = await _post(client, VIEWER, headers)
    # THEN the token decides: the caller meant to use it
    _assert_refused(response, 401, "令牌无效", "UNAUTHENTICATED")


# --- session cookies --------------------------------------------------------------------------


async def _signed_in_bureau_staff() -> dict[str, str]:
    await make_user("bureau.wu", Role.BUREAU_STAFF)
    signed = await service.sign_in(actor=ANONYMOUS, identifier="bureau.wu", password=PASSWORD)
    return {"cookie": f"linzhi_session={signed.session_secret}"}


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param({}, id="no-origin"),
        pytest.param({"origin": "http://evil.example"}, id="other-site"),
        pytest.param({"origin": "http://test.evil.example"}, id="lookalike"),
        pytest.param({"referer": "http://evil.example/page"}, id="other-referer"),
    ],
)
async def test_a_cookie_post_from_elsewhere_is_forbidden(
    client: httpx.AsyncClient, origin: dict[str, str]
) -> None:
    # GIVEN a signed-in bureau staff member's session cookie
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    cookie = await _signed_in_bureau_staff()
    # WHEN a POST carries that cookie without the site's own Origin (a cross-site request)
    response = await _rename(client, tree.grids[0], {**cookie, **origin})
    # THEN it is forbidden with no data, and the change is not made
    _assert_refused(response, 403, "跨站请求被拒绝：Origin 与站点不符", "FORBIDDEN")
    await _assert_unchanged(tree.grids[0])


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param({"origin": "http://test"}, id="origin"),
        pytest.param({"referer": "http://test/grids"}, id="referer"),
    ],
)
async def test_a_cookie_post_from_the_site_itself_is_served(
    client: httpx.AsyncClient, origin: dict[str, str]
) -> None:
    # GIVEN a signed-in bureau staff member's session cookie
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    cookie = await _signed_in_bureau_staff()
    # WHEN the site's own page posts with it
    viewer = await _post(client, VIEWER, {**cookie, **origin})
    renamed = await _rename(client, tree.grids[0], {**cookie, **origin})
    # THEN the caller acts as the signed-in user
    assert viewer.status_code == 200
    assert viewer.json() == {"data": {"viewer": {"username": "bureau.wu", "authenticatedBy": "SESSION"}}}
    assert renamed.status_code == 200
    assert renamed.json()["data"]["gridCellUpdate"] == {"gridCell": {"name": "改名网格"}, "userErrors": []}
    assert (await reload(tree.grids[0])).name == "改名网格"


async def test_a_cookie_get_query_needs_no_origin(client: httpx.AsyncClient) -> None:
    # GIVEN a signed-in browser
    cookie = await _signed_in_bureau_staff()
    # WHEN it reads over GET without an Origin (reads cannot change anything)
    response = await client.get("/graphql", params={"query": VIEWER}, headers=cookie)
    # THEN it is served as the signed-in user
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["username"] == "bureau.wu"


async def test_a_stale_cookie_is_simply_anonymous(client: httpx.AsyncClient) -> None:
    # GIVEN a session that was signed out
    cookie = await _signed_in_bureau_staff()
    signed_out = await service.actor_for_session(cookie["cookie"].split("=", 1)[1])
    assert signed_out is not None
    await service.sign_out(actor=signed_out)
    # WHEN the old cookie comes back from the site
    response = await _post(client, VIEWER, {**cookie, "origin": "http://test"})
    # THEN the caller is anonymous, not refused
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": None}}
