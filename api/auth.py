"""Authentication middleware: builds the request's Actor once, for pages and GraphQL alike,
refuses bad tokens, applies the per-token rate limit and the Origin check on cookie-authenticated
GraphQL requests."""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from domain import ratelimit
from domain.access import Actor
from domain.accounts.config import policy
from domain.accounts.service import Authentication, authenticate
from domain.errors import RateLimited
from web import cookies

SKIP_PREFIXES = ("/static/", "/healthz")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def session_secret(scope: Scope) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    https = scope.get("scheme") == "https"
    morsel = SimpleCookie(raw).get(cookies.name(cookies.SESSION, https=https))
    return morsel.value if morsel else None


def bearer_token(scope: Scope) -> str | None:
    raw = _header(scope, b"authorization")
    if raw is None:
        return None
    scheme, _, token = raw.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def client_ip(scope: Scope) -> str | None:
    """The client's address: the TCP peer, or — when the peer is a trusted proxy
    (LINZHI_TRUSTED_PROXIES) — the right-most X-Forwarded-For address that is not a trusted proxy;
    api.proxies.ForwardedHeaders has put it in the scope before this runs."""
    client = scope.get("client")
    return str(client[0]) if client else None


def same_origin(scope: Scope) -> bool:
    origin = _header(scope, b"origin") or _header(scope, b"referer")
    host = _header(scope, b"host")
    return bool(origin and host and urlsplit(origin).netloc == host)


async def _send_json(send: Send, status: int, message: str, code: str, extra: dict[str, str]) -> None:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}, ensure_ascii=False)
    headers = [(b"content-type", b"application/json; charset=utf-8")]
    headers += [(k.encode(), v.encode()) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body.encode()})


class AuthenticationMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(SKIP_PREFIXES):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        auth = await authenticate(
            session_secret=session_secret(scope),
            bearer=bearer_token(scope),
            request_id=state.get("request_id"),
            ip=client_ip(scope),
        )
        if await self._refused(scope, send, auth):
            return
        state["actor"] = auth.actor
        await self.app(scope, receive, send)

    async def _refused(self, scope: Scope, send: Send, auth: Authentication) -> bool:
        if auth.refused is not None:
            await _send_json(send, 401, auth.refused, "UNAUTHENTICATED", {"www-authenticate": "Bearer"})
            return True
        if scope["path"] != "/graphql":
            return False
        if auth.by_cookie and scope["method"] == "POST" and not same_origin(scope):
            await _send_json(send, 403, "跨站请求被拒绝：Origin 与站点不符", "FORBIDDEN", {})
            return True
        if auth.actor.token_id is not None:
            rules = policy()
            try:
                await ratelimit.hit(
                    f"graphql:token:{auth.actor.token_id}",
                    limit=rules.graphql_token_limit,
                    window_seconds=rules.graphql_token_window,
                )
            except RateLimited as limited:
                retry = {"retry-after": str(limited.retry_after)}
                await _send_json(send, 429, limited.message, "RATE_LIMITED", retry)
                return True
        return False


def actor_of(scope_state: dict[str, object]) -> Actor:
    actor = scope_state.get("actor")
    return actor if isinstance(actor, Actor) else Actor()
