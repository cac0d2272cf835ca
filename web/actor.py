"""Who is acting on a page: the Actor the authentication middleware built for this request."""

from __future__ import annotations

from starlette.requests import Request

from domain.access import Actor


def actor(request: Request) -> Actor:
    """The request's actor; anonymous when no middleware set one (e.g. a test app)."""
    found = getattr(request.state, "actor", None)
    return found if isinstance(found, Actor) else Actor()
