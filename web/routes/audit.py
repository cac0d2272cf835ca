"""The audit log for bureau staff and administrators: filters, keyset pages, chain verification."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.access import Actor
from domain.accounts import policy
from domain.audit.service import ChainReport, verify_chain
from web.actor import actor
from web.forms import whole_number
from web.pages import audit as pages
from web.render import is_htmx, render
from web.routes.accounts import sign_in_redirect


def _auditor(request: Request) -> Actor | None:
    """The acting bureau staff member or administrator; None when nobody is signed in."""
    viewer = actor(request)
    if viewer.is_anonymous:
        return None
    policy.require_view_audit(viewer)
    return viewer


async def audit_page(request: Request) -> Response:
    if _auditor(request) is None:
        return sign_in_redirect(request)
    return await _audit(request)


async def _audit(request: Request, chain: ChainReport | None = None) -> Response:
    query = pages.AuditQuery.from_params(dict(request.query_params))
    before = whole_number(request.query_params.get("before", ""))
    context = {
        "title": "审计日志",
        "view": await pages.audit_view(query, before),
        "errors": pages.date_errors(query),
        "actions": pages.ACTION_LABELS,
        "objects": pages.OBJECT_LABELS,
        "chain": chain,
    }
    return render(request, "admin/audit.html", context, fragment="admin/_audit.html")


async def verify(request: Request) -> Response:
    """Walk the whole chain. The button puts the verdict beside itself; without JavaScript the
    audit page comes back with the verdict in place."""
    if _auditor(request) is None:
        return sign_in_redirect(request)
    report = await verify_chain()
    if is_htmx(request):
        return render(request, "admin/_chain.html", {"chain": report})
    return await _audit(request, report)


def routes() -> list[Route]:
    return [
        Route("/admin/audit", audit_page, methods=["GET"], name="audit"),
        Route("/admin/audit/verify", verify, methods=["GET"], name="audit_verify"),
    ]
