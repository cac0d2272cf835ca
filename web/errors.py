"""Error pages in Chinese: a full page for a normal request, the panel alone for HTMX."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from domain.errors import DomainError, NotFound, PermissionDenied, RateLimited, Unauthenticated
from web.csrf import CsrfRejected
from web.render import render


@dataclass(frozen=True)
class ErrorText:
    title: str
    message: str


NOT_FOUND = ErrorText("页面不存在", "您访问的页面不存在或已被移除。")
FORBIDDEN = ErrorText("没有访问权限", "您没有查看此页面的权限。")
UNAUTHENTICATED = ErrorText("请先登录", "请登录后再访问此页面。")
TOO_MANY_REQUESTS = ErrorText("请求过于频繁", "请稍后再试。")
BAD_REQUEST = ErrorText("无法处理该请求", "请求的方法或参数不受支持。")
STALE_FORM = ErrorText("请求已过期", "请求已过期，请刷新页面后重试")
PAYLOAD_TOO_LARGE = ErrorText("提交的内容过大", "提交的内容超过了大小上限，服务器未处理该请求。")
SERVICE_UNAVAILABLE = ErrorText("服务暂时不可用", "数据库暂时无法访问，请稍后再试。您提交的内容未被处理。")
SERVER_ERROR = ErrorText("服务器出错了", "请稍后再试。如果问题持续存在，请联系平湖市民政局信息管理员。")

DOMAIN_ERRORS: dict[type[DomainError], tuple[HTTPStatus, ErrorText]] = {
    NotFound: (HTTPStatus.NOT_FOUND, NOT_FOUND),
    PermissionDenied: (HTTPStatus.FORBIDDEN, FORBIDDEN),
    Unauthenticated: (HTTPStatus.UNAUTHORIZED, UNAUTHENTICATED),
    RateLimited: (HTTPStatus.TOO_MANY_REQUESTS, TOO_MANY_REQUESTS),
}


def error_page(
    request: Request, status: int, text: ErrorText, headers: Mapping[str, str] | None = None
) -> Response:
    context = {"title": text.title, "message": text.message, "status": status}
    return render(
        request,
        "errors/error.html",
        context,
        fragment="errors/_error.html",
        status_code=status,
        headers=headers,
    )


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    text = NOT_FOUND if exc.status_code == HTTPStatus.NOT_FOUND else BAD_REQUEST
    return error_page(request, exc.status_code, text, exc.headers)


async def domain_error(request: Request, exc: Exception) -> Response:
    """A use case refused: the page says why, in the domain's own words."""
    assert isinstance(exc, DomainError)
    status, text = DOMAIN_ERRORS.get(type(exc), (HTTPStatus.BAD_REQUEST, BAD_REQUEST))
    headers = {"retry-after": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return error_page(request, status, ErrorText(text.title, exc.message), headers)


async def csrf_rejected(request: Request, exc: Exception) -> Response:
    """A form post without this browser's token: nothing was changed."""
    assert isinstance(exc, CsrfRejected)
    return error_page(request, HTTPStatus.FORBIDDEN, STALE_FORM)


async def server_error(request: Request, exc: Exception) -> Response:
    return error_page(request, HTTPStatus.INTERNAL_SERVER_ERROR, SERVER_ERROR)
