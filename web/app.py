"""Web routes (HTML + HTMX). Thin: parse input, call domain queries/services, render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from domain.errors import DomainError
from web import csrf, errors, forms
from web.csrf import CsrfRejected
from web.routes import (
    accounts,
    activities,
    admin,
    audit,
    calendar,
    funding,
    funding_staff,
    grids,
    home,
    leaders,
    organisations,
    review_panels,
    search,
    socialwork,
    training,
    workbench,
)

STATIC_DIR = Path(__file__).parent / "static"


def web_routes() -> list[BaseRoute]:
    """Every page route; each one that changes state is CSRF-protected here, so none can forget,
    none receives a NUL in its input, and none but changing it answers a session whose password
    an administrator reset."""
    pages = [
        *home.routes(),
        *grids.routes(),
        *search.routes(),
        *accounts.routes(),
        *admin.routes(),
        *audit.routes(),
        *leaders.routes(),
        *organisations.routes(),
        *funding.routes(),
        *funding_staff.routes(),
        *calendar.routes(),
        *socialwork.routes(),
        *training.routes(),
        *activities.routes(),
        *review_panels.routes(),
        *workbench.routes(),
    ]
    return [
        *(csrf.protect(forms.guarded(accounts.password_gate(route))) for route in pages),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]


def exception_handlers() -> dict[Any, Any]:
    return {
        HTTPException: errors.http_error,
        DomainError: errors.domain_error,
        CsrfRejected: errors.csrf_rejected,
        500: errors.server_error,
    }
