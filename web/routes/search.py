"""The search page: grid cells, micro-leaders (staff) and activity records, in sections."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.leaders.policy import can_search_by_name
from web.actor import actor
from web.pages import search as pages
from web.render import render


async def search(request: Request) -> Response:
    query = request.query_params.get("q", "").strip()[: pages.MAX_QUERY_LENGTH]
    viewer = actor(request)
    results = await pages.search(viewer, query) if query else None
    context = {
        "query": query,
        "results": results,
        "title": "搜索",
        "section_size": pages.SECTION_SIZE,
        "can_search_people": can_search_by_name(viewer),
    }
    return render(request, "search/search.html", context, fragment="search/_search.html")


def routes() -> list[Route]:
    return [Route("/search", search, name="search")]
