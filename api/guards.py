"""Pure-ASGI guards around the whole app: request-body limits counted while streaming, and clean
answers while the database is unavailable (docs/security.md).

- `BodyLimit`: every request has a byte budget chosen by its route (`limit_for`). A declared
  `Content-Length` above it is refused before anything is read; the bytes actually received are
  counted in the `receive` wrapper as the app reads them, and the first chunk past the budget
  stops the request with 413: nothing past the limit is read, parsed or spooled to disk.
- `DatabaseOutage`: a connection refused, a closed pool connection or a locked SQLite file,
  raised anywhere inside (the authentication middleware included, which queries the database
  before any view), becomes 503 with `Retry-After`, logged as one line without a stack trace.

Both answer `/graphql` with a GraphQL JSON error (`extensions.code`) and pages with a Chinese page.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.graphql_view import CONTENT_TYPES, GRAPHQL_RESPONSE, JSON, wants_graphql_response
from api.schema.errors import SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE
from domain.activities import photos
from domain.db import RETRY_AFTER_SECONDS, unavailable_reason
from domain.funding import files
from web import errors

log = logging.getLogger("linzhi.guards")

KB = 1024
MB = 1024 * KB
GRAPHQL_JSON_LIMIT = 1 * MB
FORM_LIMIT = 64 * KB
# Routes that take photos: every photo at its largest, plus the form's fields and part headers.
UPLOAD_LIMIT = photos.MAX_PHOTOS * photos.MAX_BYTES + 1 * MB
PHOTO_ROUTES = re.compile(r"/me/log|/me/activities/[1-9][0-9]{0,8}")
# The route that takes one attachment of a funding application: the largest file (a PDF), plus
# the form's fields and part headers.
ATTACHMENT_LIMIT = files.MAX_PDF_BYTES + 1 * MB
ATTACHMENT_ROUTES = re.compile(r"/funding/applications/[1-9][0-9]{0,8}/attachments")

PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
TOO_LARGE_MESSAGE = "请求内容过大（上限 {limit}），服务器未处理该请求"


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def _is_multipart(scope: Scope) -> bool:
    return _header(scope, b"content-type").lower().startswith("multipart/form-data")


def limit_for(scope: Scope) -> int:
    """The most bytes the request's body may have: GraphQL JSON 1 MB (a multipart photo upload
    to /graphql: the photo budget), the two activity forms that carry photos the photo budget,
    an application's attachment upload one PDF's budget, every other route 64 KB (forms; the
    rest take no body)."""
    path = scope["path"]
    if path == "/graphql":
        return UPLOAD_LIMIT if _is_multipart(scope) else GRAPHQL_JSON_LIMIT
    if scope["method"] == "POST" and PHOTO_ROUTES.fullmatch(path):
        return UPLOAD_LIMIT
    if scope["method"] == "POST" and ATTACHMENT_ROUTES.fullmatch(path):
        return ATTACHMENT_LIMIT
    return FORM_LIMIT


def human_size(size: int) -> str:
    return f"{size // MB} MB" if size >= MB else f"{size // KB} KB"


class PayloadTooLarge(Exception):
    """Raised from `receive` when the body passes its budget; `BodyLimit` answers 413."""


def _declared_length(scope: Scope) -> int | None:
    raw = _header(scope, b"content-length").strip()
    return int(raw) if raw.isascii() and raw.isdigit() else None


async def _graphql_error(
    scope: Scope, send: Send, status: int, message: str, code: str, headers: dict[str, str]
) -> None:
    media = GRAPHQL_RESPONSE if wants_graphql_response(Request(scope)) else JSON
    errors_ = [{"message": message, "extensions": {"code": code}}]
    body = json.dumps({"errors": errors_}, ensure_ascii=False).encode()
    raw_headers = [(b"content-type", CONTENT_TYPES[media].encode()), (b"content-length", b"%d" % len(body))]
    raw_headers += [(k.encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, **kwargs: Any) -> None:
    """The GraphQL error for /graphql, the Chinese error page for the rest."""
    headers: dict[str, str] = kwargs["headers"]
    if scope["path"] == "/graphql":
        await _graphql_error(scope, send, status, kwargs["message"], kwargs["code"], headers)
        return
    page = errors.error_page(Request(scope, receive), status, kwargs["text"], headers)
    await page(scope, receive, send)


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await self._too_large(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge()
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except PayloadTooLarge:
            if started:  # the app answered before reading on; nothing more can be said
                return
            await self._too_large(scope, receive, send, limit)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        message = TOO_LARGE_MESSAGE.format(limit=human_size(limit))
        text = errors.ErrorText(errors.PAYLOAD_TOO_LARGE.title, message)
        # The rest of the body is never read, so the connection cannot carry another request.
        headers = {"connection": "close"}
        details = {"message": message, "code": PAYLOAD_TOO_LARGE, "text": text, "headers": headers}
        await _refuse(scope, receive, send, 413, **details)


class OutageTracebacks(logging.Filter):
    """Drops the stack trace from a library's log record about an unreachable database (asyncpg
    retrying its pool's connection floor), keeping the line and the reason."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        reason = unavailable_reason(error) if error is not None else None
        if reason is not None:
            record.msg, record.args = f"{record.getMessage()}: {reason}", None
            record.exc_info, record.exc_text = None, None
        return True


OUTAGE_LOGGERS = ("asyncpg.pool",)


def quiet_outage_tracebacks() -> None:
    for name in OUTAGE_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, OutageTracebacks) for f in logger.filters):
            logger.addFilter(OutageTracebacks())


class DatabaseOutage:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except Exception as error:
            reason = unavailable_reason(error)
            if reason is None or started:
                raise
            log.warning("database unavailable (%s %s): %s", scope["method"], scope["path"], reason)
            await self.unavailable(scope, receive, send)

    @staticmethod
    async def unavailable(scope: Scope, receive: Receive, send: Send) -> None:
        headers = {"retry-after": str(RETRY_AFTER_SECONDS)}
        await _refuse(
            scope,
            receive,
            send,
            503,
            message=UNAVAILABLE_MESSAGE,
            code=SERVICE_UNAVAILABLE,
            text=errors.SERVICE_UNAVAILABLE,
            headers=headers,
        )
