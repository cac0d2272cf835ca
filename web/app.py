"""Web routes (HTML + HTMX). Thin: parse input, call domain queries/services, render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from web.render import render

STATIC_DIR = Path(__file__).parent / "static"


async def home(request: Request) -> Response:
    return RedirectResponse("/grids", status_code=302)


def web_routes() -> list[BaseRoute]:
    return [
        Route("/", home),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]


async def not_found(request: Request, exc: Exception) -> Response:
    return render(request, "errors/404.html", {}, status_code=404)


async def server_error(request: Request, exc: Exception) -> Response:
    return render(request, "errors/500.html", {}, status_code=500)


def exception_handlers() -> dict[Any, Any]:
    return {404: not_found, HTTPException: not_found, 500: server_error}
