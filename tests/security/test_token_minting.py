"""Tokens never mint tokens. Accounts, passwords, roles and tokens are managed only from a signed-in
browser session: a bearer token is refused on those page routes (whatever its scopes, and though
the page's CSRF cookie and token are easy to send along) and by the domain for any adapter.
Both databases."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from api.schema import build_schema
from domain.access import ALL_SCOPES, Actor, Role
from domain.accounts import service
from domain.accounts.models import ApiToken, RoleAssignment, User
from domain.accounts.service import SYSTEM
from domain.errors import ErrorCode, PermissionDenied, ValidationError
from tests.accounts import PASSWORD, actor_of, make_user
from tests.web.session import Browser

pytestmark = pytest.mark.usefixtures("db")


async def _legacy_token(user: User, scopes: list[str]) -> str:
    """A token as one was issued before `write:accounts` was retired (it can no longer be asked
    for): stored directly, as the old code stored it."""
    secret = "lz_" + "legacy" * 7
    await ApiToken.create(
        user_id=user.id,
        name="旧令牌",
        prefix=secret[:10],
        secret_hash=service._digest(secret),
        scopes=scopes,
        expires_at=datetime.now(UTC) + timedelta(days=30),
    )
    return secret


@pytest.mark.parametrize("scopes", [["read", "write:accounts"], [*ALL_SCOPES, "write:accounts"]])
async def test_a_token_cannot_create_a_token_on_the_account_page(
    client: httpx.AsyncClient, scopes: list[str]
) -> None:
    # GIVEN an administrator's token with account scopes, and a browser with the account page's
    # CSRF cookie and token (anyone can get a pair by opening the sign-in page)
    admin = await make_user("admin.li", Role.ADMIN)
    secret = await _legacy_token(admin, scopes)
    browser = Browser(client)
    await browser.open("/signin")
    tokens_before = await ApiToken.all().count()
    # WHEN the token posts the token form asking for every scope
    form = {"name": "全权令牌", "days": "30", "scopes": list(ALL_SCOPES)}
    response = await browser.submit("/account/tokens", form, headers={"authorization": f"Bearer {secret}"})
    # THEN it is refused by the policy (not the CSRF check), and no token was made
    assert response.status_code == 403
    assert "浏览器登录后管理" in response.text
    assert await ApiToken.all().count() == tokens_before


async def _token_actor(user: User, *scopes: str) -> Actor:
    issued = await service.create_token(actor=await actor_of(user), name="测试令牌", scopes=list(scopes))
    check = await service.actor_for_token(issued.secret)
    assert check.actor is not None
    return check.actor


Use = Callable[[Actor, User], Awaitable[object]]
ACCOUNT_USES: dict[str, Use] = {
    "create_token": lambda a, t: service.create_token(actor=a, name="再来一个", scopes=["read"]),
    "change_password": lambda a, t: service.change_password(actor=a, current=PASSWORD, new="Other-Pass-2026"),
    "create_user": lambda a, t: service.create_user(
        actor=a, name="新用户", username="new.user", password="Other-Pass-2026"
    ),
    "disable_user": lambda a, t: service.set_user_active(actor=a, user_id=t.id, active=False),
    "grant_role": lambda a, t: service.grant_role(actor=a, user_id=t.id, role=Role.ORGANISER),
}


@pytest.mark.parametrize("use", list(ACCOUNT_USES))
async def test_the_domain_refuses_account_management_to_any_token(use: str) -> None:
    # GIVEN an administrator acting through a token with every scope there is, and a target user
    admin = await make_user("admin.li", Role.ADMIN)
    target = await make_user("resident.zhao", Role.RESIDENT)
    actor = await _token_actor(admin, *ALL_SCOPES)
    users, tokens, roles = (
        await User.all().count(),
        await ApiToken.all().count(),
        await RoleAssignment.all().count(),
    )
    # WHEN it manages accounts, THEN it is refused and nothing changed
    with pytest.raises(PermissionDenied):
        await ACCOUNT_USES[use](actor, target)
    assert (users, tokens, roles) == (
        await User.all().count(),
        await ApiToken.all().count(),
        await RoleAssignment.all().count(),
    )
    assert (await User.get(id=target.id)).is_active


async def test_write_accounts_can_no_longer_be_asked_for() -> None:
    user = await make_user("resident.zhao")
    with pytest.raises(ValidationError) as refused:
        await service.create_token(actor=await actor_of(user), name="账号令牌", scopes=["write:accounts"])
    assert refused.value.code is ErrorCode.INVALID_SCOPE


async def test_a_session_still_creates_tokens(client: httpx.AsyncClient) -> None:
    # GIVEN a user signed in through the sign-in page (the positive control of the refusals above)
    await make_user("resident.zhao")
    browser = Browser(client)
    await browser.sign_in("resident.zhao")
    await browser.open("/account")
    # WHEN they create a token, THEN it is made with what they asked for
    response = await browser.submit("/account/tokens", {"name": "我的看板", "days": "30"})
    assert response.status_code == 200
    assert (await ApiToken.get(name="我的看板")).scopes == ["read"]
    assert SYSTEM.system  # the command line acts without a session, as ADMIN


def test_graphql_has_no_mutation_that_mints_tokens_or_manages_accounts() -> None:
    # Such mutations would be reachable with a bearer token: they belong on the session pages.
    mutation = build_schema(introspection=True).as_str()
    fields = re.search(r"type Mutation \{(.*?)\n\}", mutation, re.S)
    assert fields is not None
    names = re.findall(r"^\s+(\w+)\(", fields.group(1), re.M)
    assert names
    assert [n for n in names if re.search(r"token|password|user|role|account", n, re.I)] == []
