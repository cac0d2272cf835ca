"""The names of the two cookies (the session and the CSRF token), in one place for the
authentication middleware (api/) and the pages (web/).

Over https both carry the `__Host-` prefix: the browser then accepts them only with `Secure`,
`Path=/` and no `Domain`, so neither a sibling subdomain nor a plain-http page on the same host can
plant or overwrite them. Over plain http (local development) the prefix would make the browser
drop the cookie, so the plain names are used there, and only there: an https request reads only
the prefixed name."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

SESSION = "linzhi_session"
CSRF = "linzhi_csrf"
HOST_PREFIX = "__Host-"


def name(base: str, *, https: bool) -> str:
    return f"{HOST_PREFIX}{base}" if https else base


def is_https(request: Request) -> bool:
    """The scheme the browser used (X-Forwarded-Proto counts only from a trusted proxy, which
    the ForwardedHeaders middleware has already applied to the request's scope)."""
    return request.url.scheme == "https"


def read(cookies: Mapping[str, str], base: str, *, https: bool) -> str | None:
    return cookies.get(name(base, https=https))


def get(request: Request, base: str) -> str | None:
    return read(request.cookies, base, https=is_https(request))


def put(request: Request, response: Response, base: str, value: str, *, max_age: int | None = None) -> None:
    https = is_https(request)
    response.set_cookie(
        name(base, https=https), value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=https
    )


def delete(request: Request, response: Response, base: str) -> None:
    https = is_https(request)
    response.delete_cookie(name(base, https=https), path="/", httponly=True, samesite="lax", secure=https)
