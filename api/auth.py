"""Authentication middleware: builds the request's Actor once, for pages and GraphQL alike,
refuses bad tokens, applies the GraphQL rate limits (per token, per account for cookie sessions,
per client IP for anonymous callers) and the Origin check on cookie-authenticated GraphQL requests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from domain import ratelimit
from domain.access import Actor
from domain.accounts.config import policy
from domain.accounts.service import Authentication, authenticate
from domain.errors import RateLimited
from domain.ratelimit import DATABASE, Counters, Rule
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


@dataclass(frozen=True)
class GraphQLRateLimits:
    """Rules per kind of caller (None: no limit); `token` unset means the account policy's."""

    anonymous: Rule | None = None
    session: Rule | None = None
    token: Rule | None = None
    token_from_policy: bool = True
    counters: Counters = field(default=DATABASE)

    def rule_for(self, scope: Scope, auth: Authentication) -> tuple[str, Rule] | None:
        actor = auth.actor
        if actor.token_id is not None:
            rule = self.token
            if self.token_from_policy:
                rules = policy()
                rule = Rule(rules.graphql_token_limit, rules.graphql_token_window)
            return (f"graphql:token:{actor.token_id}", rule) if rule else None
        if actor.user_id is not None:
            return (f"graphql:account:{actor.user_id}", self.session) if self.session else None
        return (f"graphql:ip:{client_ip(scope) or 'unknown'}", self.anonymous) if self.anonymous else None


class AuthenticationMiddleware:
    def __init__(self, app: ASGIApp, limits: GraphQLRateLimits | None = None) -> None:
        self.app = app
        self.limits = limits or GraphQLRateLimits()

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
        if auth.actor.must_change_password:
            message = "管理员已重置此账号的密码：请先在网页上登录并设置新密码"
            await _send_json(send, 403, message, "PASSWORD_CHANGE_REQUIRED", {})
            return True
        if auth.by_cookie and scope["method"] == "POST" and not same_origin(scope):
            await _send_json(send, 403, "跨站请求被拒绝：Origin 与站点不符", "FORBIDDEN", {})
            return True
        limited_by = self.limits.rule_for(scope, auth)
        if limited_by is not None:
            key, rule = limited_by
            try:
                await ratelimit.hit(
                    key, limit=rule.limit, window_seconds=rule.window_seconds, counters=self.limits.counters
                )
            except RateLimited as limited:
                retry = {"retry-after": str(limited.retry_after)}
                await _send_json(send, 429, limited.message, "RATE_LIMITED", retry)
                return True
        return False


def actor_of(scope_state: dict[str, object]) -> Actor:
    actor = scope_state.get("actor")
    return actor if isinstance(actor, Actor) else Actor()
