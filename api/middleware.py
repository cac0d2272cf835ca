"""Pure-ASGI middleware: a request id on every response and the security headers."""

from __future__ import annotations

import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web import cookies

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# GraphiQL (development only) runs from vendored files; its editor sets inline styles.
GRAPHIQL_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)

# No page needs any of these; the 记一笔 photo upload is a plain file input, which needs no
# camera permission (the phone's own picker offers the camera).
# (Only features Chromium recognises: an unknown one is logged as an error on every page.)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), hid=(), midi=(), "
    "magnetometer=(), gyroscope=(), accelerometer=(), display-capture=(), publickey-credentials-get=()"
)
HSTS = "max-age=31536000; includeSubDomains"
NO_STORE = "no-store"
# Pages that take a password: never kept by a shared computer's browser cache or a proxy.
NO_STORE_PATHS = ("/signin", "/signout")
PUBLIC_PREFIXES = ("/static/",)
SESSION_COOKIE = f"{cookies.SESSION}=".encode()


def _carries_credentials(scope: Scope) -> bool:
    """A session cookie (either name) or an Authorization header: the answer may be private."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return True
        if name == b"cookie" and SESSION_COOKIE in value:  # also matches the `__Host-` name
            return True
    return False


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        graphql_get = scope["path"] == "/graphql" and scope["method"] == "GET"
        https = scope.get("scheme") == "https"
        private = not scope["path"].startswith(PUBLIC_PREFIXES) and (
            _carries_credentials(scope) or scope["path"].startswith(NO_STORE_PATHS)
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["x-request-id"] = request_id
                is_ide = graphql_get and headers.get("content-type", "").startswith("text/html")
                headers.setdefault("content-security-policy", GRAPHIQL_CSP if is_ide else CSP)
                headers["x-content-type-options"] = "nosniff"
                headers["referrer-policy"] = "same-origin"
                headers["x-frame-options"] = "DENY"
                headers["permissions-policy"] = PERMISSIONS_POLICY
                if https:
                    headers["strict-transport-security"] = HSTS
                declared_private = headers.get("cache-control", "").startswith("private")
                if (private or "set-cookie" in headers or _signed_in(scope)) and not declared_private:
                    headers["cache-control"] = NO_STORE
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _signed_in(scope: Scope) -> bool:
    actor = scope.get("state", {}).get("actor")
    return actor is not None and not getattr(actor, "is_anonymous", True)


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")[:64]
            return candidate if candidate.replace("-", "").isalnum() else None
    return None
