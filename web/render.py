"""One render helper: a full page for a normal request, only the fragment for an HTMX request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    page: str,
    context: dict[str, Any],
    *,
    fragment: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render `fragment` alone for HTMX requests (when given), else the full `page`."""
    name = fragment if fragment and is_htmx(request) else page
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["vary"] = "HX-Request"
    return response
