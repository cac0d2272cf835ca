"""One render helper: a full page for a normal request, only the fragment for an HTMX request."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from domain.access import Role
from domain.accounts import policy
from domain.activities import policy as activity_policy
from domain.leaders import policy as leader_policy
from web import csrf
from web.actor import actor
from web.localtime import local_date, local_datetime


def viewer_context(request: Request) -> dict[str, Any]:
    """What every page's header needs: who is signed in and which staff pages they may open."""
    viewer = actor(request)
    return {
        "viewer": viewer,
        "can_manage_users": policy.can_manage_users(viewer),
        "can_view_audit": policy.can_view_audit(viewer),
        # The micro-leader pages: logging is decided by the leader row, the links by the role.
        "can_log_activities": viewer.has_role(Role.MICRO_LEADER, Role.GRID_STAFF),
        "is_micro_leader": viewer.has_role(Role.MICRO_LEADER),
        "can_review_activities": activity_policy.can_review_any(viewer),
        "can_open_training": leader_policy.can_open_training(viewer),
        "reviews_panels": viewer.has_role(Role.REVIEWER),
        "organises": any(g.role is Role.ORGANISER and g.organisation_id for g in viewer.grants),
    }


templates = Jinja2Templates(
    directory=Path(__file__).parent / "templates", context_processors=[viewer_context]
)


def thousands(value: int) -> str:
    return f"{value:,}"


def file_size(size: int) -> str:
    """A file's size as people read it: 1.5 MB, 320 KB, 12 字节."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} 字节"


@pass_context
def csrf_token(context: Context) -> str:
    return csrf.token(context["request"])


@pass_context
def csrf_input(context: Context) -> Markup:
    """The hidden input every state-changing form carries."""
    return csrf.hidden_input(context["request"])


templates.env.filters["thousands"] = thousands
templates.env.filters["file_size"] = file_size
templates.env.filters["local_datetime"] = local_datetime
templates.env.filters["local_date"] = local_date
templates.env.globals["csrf_token"] = csrf_token
templates.env.globals["csrf_input"] = csrf_input


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
    url: str | None = None,
) -> HTMLResponse:
    """Render `fragment` alone for HTMX requests (when given), else the full `page`.

    Templates see `partial`: true when the fragment is sent alone, so it can carry its own
    `<title>` (htmx moves it to the document head). `url` is the page's address when it answers
    a form post, so htmx shows that address rather than the form's action."""
    name = fragment if fragment is not None and is_htmx(request) else page
    response = templates.TemplateResponse(
        request, name, {**context, "partial": name != page}, status_code=status_code, headers=headers
    )
    response.headers["vary"] = "HX-Request"
    if url is not None and is_htmx(request):
        response.headers["hx-push-url"] = url
    csrf.issue(request, response)
    return response


def redirect(request: Request, url: str, *, reload: bool = False) -> Response:
    """See Other. With `reload` (signing in or out changes the whole page) htmx loads `url` as a
    new page instead of swapping it in."""
    if reload and is_htmx(request):
        response: Response = Response(status_code=200, headers={"hx-redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    response.headers["vary"] = "HX-Request"
    return response
