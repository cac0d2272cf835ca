"""CSRF protection for form posts: a double-submit token.

A random token lives in the CSRF cookie (`__Host-linzhi_csrf` over https, `linzhi_csrf` over
http, see web/cookies.py); every page renders it into its forms (a hidden `csrf_token` input) and
into `<body hx-headers>` (the `X-CSRF-Token` header of htmx requests). A state-changing request
must send the cookie's value back in one of them: another site can make the browser send the
cookie, but cannot read it to copy it into the form. `/graphql` is not a page route and relies on
its own Origin check.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web import cookies

FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_BYTES = 32
TOKEN_LENGTH = 43  # secrets.token_urlsafe(32)

Endpoint = Callable[[Request], Awaitable[Response]]


class CsrfRejected(Exception):
    """A state-changing request without the page's token: stale, or forged by another site."""


def _well_formed(value: str) -> bool:
    return len(value) == TOKEN_LENGTH and all(c.isascii() and (c.isalnum() or c in "-_") for c in value)


def token(request: Request) -> str:
    """This browser's token: the cookie's, or a new one that `issue` will set."""
    current: str | None = getattr(request.state, "csrf_token", None)
    if current is not None:
        return current
    cookie = cookies.get(request, cookies.CSRF) or ""
    current = cookie if _well_formed(cookie) else secrets.token_urlsafe(TOKEN_BYTES)
    request.state.csrf_token = current
    request.state.csrf_new = current != cookie
    return current


def hidden_input(request: Request) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, token(request))


def issue(request: Request, response: Response) -> None:
    """Set the cookie when this response rendered a token the browser does not have yet."""
    if getattr(request.state, "csrf_new", False):
        cookies.put(request, response, cookies.CSRF, token(request))


async def verify(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    cookie = cookies.get(request, cookies.CSRF) or ""
    sent = request.headers.get(HEADER)
    if sent is None:
        field = (await request.form()).get(FIELD)
        sent = field if isinstance(field, str) else ""
    if not (_well_formed(cookie) and secrets.compare_digest(cookie.encode(), sent.encode())):
        raise CsrfRejected()


def protect(route: Route) -> Route:
    """The same route, refusing state-changing requests that do not carry the token."""
    if not (route.methods or set()) - SAFE_METHODS:
        return route
    endpoint: Endpoint = route.endpoint

    async def checked(request: Request) -> Response:
        await verify(request)
        return await endpoint(request)

    return Route(route.path, checked, methods=list(route.methods or ()), name=route.name)
