"""One render helper: a full page for a normal request, only the fragment for an HTMX request."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def thousands(value: int) -> str:
    return f"{value:,}"


templates.env.filters["thousands"] = thousands


def is_htmx(request: Request) -> bool:
    """An HTMX swap. A history-restore request rebuilds the whole page, so it is not one."""
    headers = request.headers
    return headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"


def render(
    request: Request,
    page: str,
    context: dict[str, Any],
    *,
    fragment: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render `fragment` alone for HTMX requests (when given), else the full `page`.

    Templates see `partial`: true when the fragment is sent alone, so it can carry its own
    `<title>` (htmx moves it to the document head)."""
    name = fragment if fragment is not None and is_htmx(request) else page
    response = templates.TemplateResponse(
        request, name, {**context, "partial": name != page}, status_code=status_code, headers=headers
    )
    response.headers["vary"] = "HX-Request"
    return response
