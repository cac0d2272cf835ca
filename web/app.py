"""Web routes (HTML + HTMX). Thin: parse input, call domain queries/services, render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from domain.errors import DomainError
from web import errors
from web.routes import grids, home

STATIC_DIR = Path(__file__).parent / "static"


def web_routes() -> list[BaseRoute]:
    return [
        *home.routes(),
        *grids.routes(),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]


def exception_handlers() -> dict[Any, Any]:
    return {
        HTTPException: errors.http_error,
        DomainError: errors.domain_error,
        500: errors.server_error,
    }
