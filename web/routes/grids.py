"""The grid browser: the city's towns, any cell by its code, and search."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from domain.errors import NotFound
from domain.grids import queries
from domain.grids.codes import RULES
from domain.grids.models import GridCell
from web.pages import grids as pages
from web.render import render

MAX_CODE_LENGTH = max(rule.length for rule in RULES.values())
MAX_QUERY_LENGTH = 100


def _is_code(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= MAX_CODE_LENGTH


async def overview(request: Request) -> Response:
    city = await pages.city()
    if city is None:
        return RedirectResponse("/", status_code=303)
    return await _cell_response(request, city)


async def cell_page(request: Request) -> Response:
    code: str = request.path_params["code"]
    cell = await queries.cell_by_code(code) if _is_code(code) else None
    if cell is None:
        raise NotFound(f"没有编码为 {code} 的网格单元。")
    return await _cell_response(request, cell)


async def _cell_response(request: Request, cell: GridCell) -> Response:
    panel = await pages.cell_panel(cell)
    context = {"panel": panel, "title": cell.name}
    return render(request, "grids/cell.html", context, fragment="grids/_panel.html")


async def search(request: Request) -> Response:
    query = request.query_params.get("q", "").strip()[:MAX_QUERY_LENGTH]
    after = request.query_params.get("after", "")
    results = await pages.search_cells(query, after if _is_code(after) else None) if query else None
    context = {"query": query, "results": results, "title": "搜索网格单元"}
    return render(request, "grids/search.html", context, fragment=_search_fragment(request))


def _search_fragment(request: Request) -> str:
    """Typing refreshes the results list alone; arriving from elsewhere swaps in form and results."""
    live = request.headers.get("hx-target") == "results"
    return "grids/_results.html" if live else "grids/_search.html"


def routes() -> list[Route]:
    return [
        Route("/grids", overview, name="grids"),
        Route("/grids/search", search, name="grid_search"),
        Route("/grids/{code}", cell_page, name="grid_cell"),
    ]
