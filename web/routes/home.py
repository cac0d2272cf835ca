"""The home page: the city at a glance, and the way into the grid browser."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.pages import grids as pages
from web.render import render


async def home(request: Request) -> Response:
    city = await pages.city()
    context = {
        "city": city,
        "stats": await pages.subtree_stats(city) if city else None,
        "levels": pages.LEVELS[1:],
        "title": "首页",
    }
    return render(request, "home.html", context, fragment="_home.html")


def routes() -> list[Route]:
    return [Route("/", home, name="home")]
