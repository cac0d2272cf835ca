"""Signing in and out, and one's own account: password and API tokens."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain import ratelimit
from domain.access import READ, WRITE_SCOPES, Actor, require_signed_in
from domain.accounts import passwords, service
from domain.accounts.config import policy as account_policy
from domain.errors import DomainError, ErrorCode, RateLimited, ValidationError
from web import cookies
from web.actor import actor
from web.forms import FORM, MAX_PASSWORD, field_errors, text, texts, whole_number
from web.pages import accounts as pages
from web.render import redirect, render

MAX_IDENTIFIER = 100
ACCOUNT_URL = "/account"
PASSWORD_URL = "/account/password"
# What a session may do while its password, reset by an administrator, waits to be changed.
WHILE_PASSWORD_RESET = frozenset(
    {"change_password_page", "change_password", "sign_out", "sign_in", "sign_in_submit"}
)
# Where a sign-in lands when no page asked for it: the role-aware 工作台.
LANDING_URL = "/workbench"
SIGN_IN_ERRORS = frozenset({ErrorCode.BAD_CREDENTIALS, ErrorCode.ACCOUNT_LOCKED})
NOTICES = {
    "password": "密码已修改。您在其他设备上的登录已全部退出。",
    "token-revoked": "令牌已撤销，使用它的应用将无法再访问。",
}


def safe_next(value: str | None) -> str:
    """Only a path on this site: never another host (`//evil.example`, `/\\evil.example`)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value if value.isprintable() else LANDING_URL
    return LANDING_URL


def sign_in_redirect(request: Request) -> Response:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(request, f"/signin?next={quote(here, safe='/')}")


# --- signing in and out -----------------------------------------------------------------------


def _sign_in_form(
    request: Request, *, next_url: str, identifier: str = "", errors: dict[str, str] | None = None
) -> Response:
    rules = account_policy()
    context = {
        "title": "登录",
        "identifier": identifier,
        "next_url": next_url,
        "errors": errors or {},
        "error": (errors or {}).get(FORM),
        "lockout_attempts": rules.lockout_attempts,
        "lockout_minutes": int(rules.lockout_duration.total_seconds() // 60),
    }
    status = 422 if errors else 200
    url = "/signin" if next_url == LANDING_URL else f"/signin?next={quote(next_url, safe='/')}"
    return render(
        request,
        "accounts/signin.html",
        context,
        fragment="accounts/_signin.html",
        status_code=status,
        url=url,
    )


async def sign_in_page(request: Request) -> Response:
    return _sign_in_form(request, next_url=safe_next(request.query_params.get("next")))


async def sign_in(request: Request) -> Response:
    viewer = actor(request)
    form = await request.form()
    identifier = text(form, "identifier", MAX_IDENTIFIER).strip()
    password = text(form, "password", MAX_PASSWORD + 1)  # one more: too long is refused, not cut
    next_url = safe_next(text(form, "next"))
    rules = account_policy()
    # Failed sign-ins per address are limited (a whole training venue signs in from one address:
    # successes are not counted); each account also locks after its own failures.
    failures: dict[str, Any] = {
        "key": f"sign-in:ip:{viewer.ip or 'unknown'}",
        "limit": rules.sign_in_limit,
        "window_seconds": rules.sign_in_window,
    }
    await ratelimit.refuse_if_spent(**failures)
    missing = _missing_credentials(identifier, password)
    if missing:
        return _sign_in_form(request, next_url=next_url, identifier=identifier, errors=missing)
    try:
        signed_in = await service.sign_in(
            actor=viewer,
            identifier=identifier,
            password=password,
            user_agent=request.headers.get("user-agent"),
        )
    except ValidationError as error:  # an identifier or password no account can have
        await _count_failure(failures)
        shown = identifier if identifier.isprintable() else ""
        errors = field_errors(error, {"identifier", "password"})
        return _sign_in_form(request, next_url=next_url, identifier=shown, errors=errors)
    except DomainError as error:
        if error.code not in SIGN_IN_ERRORS:
            raise
        await _count_failure(failures)
        return _sign_in_form(request, next_url=next_url, identifier=identifier, errors={FORM: error.message})
    landing = PASSWORD_URL if signed_in.actor.must_change_password else next_url
    response = redirect(request, landing, reload=True)
    max_age = int(rules.session_absolute.total_seconds())
    cookies.put(request, response, cookies.SESSION, signed_in.session_secret, max_age=max_age)
    return response


async def _count_failure(failures: dict[str, Any]) -> None:
    """One more failure from this address; the next attempt past the limit is refused up front."""
    with contextlib.suppress(RateLimited):
        await ratelimit.hit(**failures)


def _missing_credentials(identifier: str, password: str) -> dict[str, str]:
    missing = {"identifier": "请输入用户名或手机号"} if not identifier else {}
    return missing | ({"password": "请输入密码"} if not password else {})


async def sign_out(request: Request) -> Response:
    await service.sign_out(actor=actor(request))
    response = redirect(request, "/", reload=True)
    cookies.delete(request, response, cookies.SESSION)
    return response


# --- my account -------------------------------------------------------------------------------


async def _account(request: Request, viewer: Actor, *, status_code: int = 200, **extra: Any) -> Response:
    context = {
        "title": "我的账号",
        "view": await pages.account_view(viewer),
        "write_scopes": WRITE_SCOPES,
        "max_token_days": pages.max_token_days(),
        "password_errors": {},
        "token_errors": {},
        "token_form": pages.TokenForm(),
        "issued": None,
        "notice": None,
        **extra,
    }
    return render(
        request,
        "accounts/account.html",
        context,
        fragment="accounts/_account.html",
        status_code=status_code,
        url=ACCOUNT_URL,
    )


async def account_page(request: Request) -> Response:
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    return await _account(request, viewer, notice=NOTICES.get(request.query_params.get("done", "")))


def password_gate(route: Route) -> Route:
    """The same route, leading a session whose password an administrator reset to the page that
    changes it: until then no other page answers (the domain gives such an actor no role)."""
    if route.name in WHILE_PASSWORD_RESET:
        return route
    endpoint: Callable[[Request], Awaitable[Response]] = route.endpoint

    async def gated(request: Request) -> Response:
        if actor(request).must_change_password:
            return redirect(request, PASSWORD_URL, reload=True)
        return await endpoint(request)

    return Route(route.path, gated, methods=list(route.methods or ()), name=route.name)


def _password_form(
    request: Request, *, errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    """The one page of a session that must replace a temporary password."""
    context = {
        "title": "设置新密码",
        "username": actor(request).display_name,
        "password_errors": errors or {},
    }
    return render(
        request,
        "accounts/password.html",
        context,
        fragment="accounts/_password.html",
        status_code=status_code,
        url=PASSWORD_URL,
    )


async def change_password_page(request: Request) -> Response:
    viewer = actor(request)
    if viewer.is_anonymous:
        return sign_in_redirect(request)
    if not viewer.must_change_password:
        return redirect(request, ACCOUNT_URL)
    return _password_form(request)


async def change_password(request: Request) -> Response:
    viewer = actor(request)
    require_signed_in(viewer)
    form = await request.form()
    current, new = text(form, "current", MAX_PASSWORD), text(form, "new", MAX_PASSWORD)
    errors: dict[str, str] = {}
    try:
        if new != text(form, "confirm", MAX_PASSWORD):
            errors = {"confirm": "两次输入的新密码不一致"}
            passwords.check_policy(new, "new")  # nothing changes; the new password's errors too
        else:
            await service.change_password(actor=viewer, current=current, new=new)
    except ValidationError as error:
        errors = {**field_errors(error, {"current", "new"}), **errors}
    if errors and viewer.must_change_password:
        return _password_form(request, errors=errors, status_code=422)
    if errors:
        return await _account(request, viewer, password_errors=errors, status_code=422)
    return redirect(request, f"{ACCOUNT_URL}?done=password", reload=viewer.must_change_password)


async def create_token(request: Request) -> Response:
    viewer = actor(request)
    require_signed_in(viewer)
    form = await request.form()
    filled = pages.TokenForm(name=text(form, "name"), scopes=texts(form, "scopes"), days=text(form, "days"))
    days = whole_number(filled.days)
    try:  # days that are not a number are refused as 0 days, with the other inputs' errors
        issued = await service.create_token(
            actor=viewer, name=filled.name, scopes=[READ, *filled.scopes], expires_in_days=days or 0
        )
    except ValidationError as error:
        errors = field_errors(error, {"name", "scopes", "days"}, {"expiresInDays": "days"})
        if days is None:
            errors["days"] = "请输入有效天数（整数）"
        return await _token_refused(request, viewer, filled, errors)
    return await _account(request, viewer, issued=issued)


async def _token_refused(
    request: Request, viewer: Actor, filled: pages.TokenForm, errors: dict[str, str]
) -> Response:
    return await _account(request, viewer, token_form=filled, token_errors=errors, status_code=422)


async def revoke_token(request: Request) -> Response:
    await service.revoke_token(actor=actor(request), token_id=request.path_params["token_id"])
    return redirect(request, f"{ACCOUNT_URL}?done=token-revoked")


def routes() -> list[Route]:
    return [
        Route("/signin", sign_in_page, methods=["GET"], name="sign_in"),
        Route("/signin", sign_in, methods=["POST"], name="sign_in_submit"),
        Route("/signout", sign_out, methods=["POST"], name="sign_out"),
        Route("/account", account_page, methods=["GET"], name="account"),
        Route(PASSWORD_URL, change_password_page, methods=["GET"], name="change_password_page"),
        Route(PASSWORD_URL, change_password, methods=["POST"], name="change_password"),
        Route("/account/tokens", create_token, methods=["POST"], name="create_token"),
        Route("/account/tokens/{token_id:id}/revoke", revoke_token, methods=["POST"], name="revoke_token"),
    ]
