"""The strawberry ASGI view, with the GraphQL-over-HTTP details strawberry leaves out.

- `application/graphql-response+json` when the client's Accept header prefers it; request errors
  (parse, validation, variable coercion: no `data` and no error with a `path`) then get 400 and no
  `data` key. Plain `application/json` clients keep the old behaviour: always 200.
- Malformed HTTP requests (bad JSON, no query, invalid parameters) get a JSON `errors` body in
  the negotiated media type instead of strawberry's plain text; mutations over GET get 405.

Successful responses are passed through untouched (only a header changes), so the hot path pays
nothing for this.

Queries are first offered to the compiled read path (`api/compiler`, docs/compiler.md): one SQL
statement builds the JSON of `data`. When it cannot answer (anything not compilable, and every
request strawberry would refuse) the request runs through strawberry as before. Outside production
every GraphQL response says which path ran in its `X-Linzhi-Read-Path` header; a request sending
`X-Linzhi-Read-Path: report` also gets `extensions.readPath` (and the fallback reason) in the body,
and `X-Linzhi-Read-Path: resolvers` forces the resolvers (the differential tests use both).

Denial of service (docs/security.md): a query gets `request_timeout` seconds on both read paths
together (`domain.timeouts.within`: its running statement is stopped too), else the error code
TIMEOUT (503 with graphql-response+json, 200 with plain JSON); a response body over
`max_response_bytes` is replaced by the error RESPONSE_TOO_LARGE (400 / 200), like a refused query.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from api.auth import actor_of
from api.compiler.runtime import CompiledReadPath
from api.compiler.sql import Fallback
from api.context import Context
from api.result_cache import BYPASS, OFF, Lookup, ResultCache
from api.schema.errors import is_unavailable
from domain.db import RETRY_AFTER_SECONDS
from domain.input import GRAPHQL_NUL_ESCAPE, NUL_MESSAGE, contains_nul
from domain.timeouts import BudgetExceeded, deadline_in, within

log = logging.getLogger("linzhi.graphql")
TIMEOUT = "TIMEOUT"
TOO_LARGE = "RESPONSE_TOO_LARGE"

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
CONTENT_TYPES = {GRAPHQL_RESPONSE: f"{GRAPHQL_RESPONSE}; charset=utf-8", JSON: JSON}


def wants_graphql_response(request: Request) -> bool:
    """True when the first acceptable GraphQL media type in Accept is graphql-response+json.

    The same rule as the graphql-http reference server: Accept entries are taken in order, `q`
    weights are ignored, and a missing header or `*/*` means `application/json`."""
    for part in request.headers.get("accept", "").split(","):
        media = part.split(";", 1)[0].strip().lower()
        if media == GRAPHQL_RESPONSE:
            return True
        if media in (JSON, "application/*", "*/*"):
            return False
    return False


def is_request_error(result: ExecutionResult) -> bool:
    """The operation never ran: parse, validation or variable coercion failed (or a limit refused
    it). Field errors always carry a `path`."""
    return result.data is None and bool(result.errors) and all(e.path is None for e in result.errors or ())


READ_PATH_HEADER = "x-linzhi-read-path"
NOT_UTF8 = "请求体不是有效的 UTF-8 编码"
TOO_DEEP = "请求的 JSON 嵌套层数过多"


def decode_request_json(data: str | bytes) -> object:
    """`json.loads`, with the bad input it does not report as JSON errors turned into 400s:
    bytes that are not UTF-8, and nesting deeper than the interpreter's stack."""
    try:
        return json.loads(data)
    except UnicodeDecodeError as error:
        raise HTTPException(400, NOT_UTF8) from error
    except RecursionError as error:
        raise HTTPException(400, TOO_DEEP) from error


def has_nul(query: object, variables: object) -> bool:
    """A NUL in the variables, or spelled as an escape in one of the query's string literals."""
    escaped = isinstance(query, str) and GRAPHQL_NUL_ESCAPE.search(query) is not None
    return escaped or contains_nul(variables)


# GraphiQL from vendored files under web/static (strawberry's page loads them from a CDN, which a
# government intranet cannot reach).
GRAPHIQL_HTML = (Path(__file__).resolve().parents[1] / "web" / "templates" / "graphiql.html").read_text()


def _debug(request: Request) -> bool:
    """Outside production: the read path is reported and may be chosen by the client."""
    settings = getattr(request.app.state, "settings", None)
    return str(getattr(settings, "env", "production")) != "production"


def _report(request: Request) -> bool:
    return _debug(request) and request.headers.get(READ_PATH_HEADER) in ("report", "resolvers")


CACHE_HEADER = "x-linzhi-cache"  # hit, miss, bypass (not cacheable) or off (docs/compiler.md)


def _etag(lookup: Lookup, media_type: str) -> str | None:
    """A GET's entity tag: the cache key (document, variables, day, read tables' versions) and
    the media type; the body is a function of these."""
    if lookup.key is None:
        return None
    return '"' + hashlib.sha256(f"{lookup.key}|{media_type}".encode()).hexdigest()[:32] + '"'


def _not_modified(request: Request, lookup: Lookup, media_type: str) -> bool:
    """A GET whose If-None-Match names the current entity tag: the client's copy is current
    (answered without running the query, whether or not the entry is in the store)."""
    if request.method != "GET" or _report(request):
        return False
    etag = _etag(lookup, media_type)
    given = request.headers.get("if-none-match")
    return etag is not None and given is not None and etag in [t.strip() for t in given.split(",")]


class GraphQLView(GraphQL[Context, None]):
    def __init__(
        self,
        schema: Any,
        *,
        request_timeout: float = 10.0,
        max_response_bytes: int = 5 * 1024 * 1024,
        cache: ResultCache | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(schema, **kwargs)
        self.read_path = CompiledReadPath(schema)
        self.cache = cache or ResultCache(OFF)
        self.request_timeout = request_timeout
        self.max_response_bytes = max_response_bytes

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(GRAPHIQL_HTML)

    def encode_json(self, data: object) -> str:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def decode_json(self, data: str | bytes) -> object:
        return decode_request_json(data)

    async def parse_http_body(self, request: Any) -> Any:
        data = await super().parse_http_body(request)
        for item in data if isinstance(data, list) else [data]:
            if has_nul(item.query, item.variables):
                raise HTTPException(400, NUL_MESSAGE)
        return data

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        return Context(
            request=request,  # type: ignore[arg-type]
            response=response if isinstance(response, Response) else None,
            actor=actor_of(request.scope.get("state", {})),
        )

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        if isinstance(request, WebSocket):
            return await super().run(request, context, root_value)
        media_type = GRAPHQL_RESPONSE if wants_graphql_response(request) else JSON
        request.state.graphql_media_type, request.state.graphql_request_error = media_type, False
        request.state.read_path_fallback = None
        request.state.graphql_unavailable = False
        request.state.graphql_deadline = deadline_in(self.request_timeout)
        request.state.graphql_timeout = False
        request.state.cache_status = BYPASS if self.cache.on else OFF
        if context is UNSET and request.method in ("POST", "GET"):
            compiled = await self._compiled(request, media_type)
            if compiled is not None:
                return compiled
        try:
            response: Response = await super().run(request, context, root_value)
        except HTTPException as error:
            return self._http_error(request, error, media_type)
        if len(response.body) > self.max_response_bytes:
            return self._too_large(request, media_type, len(response.body))
        if _debug(request):
            response.headers[READ_PATH_HEADER] = "resolvers"
        response.headers[CACHE_HEADER] = request.state.cache_status
        if request.state.graphql_unavailable:
            response.status_code = 503
            response.headers["retry-after"] = str(RETRY_AFTER_SECONDS)
        if media_type == GRAPHQL_RESPONSE and response.media_type == JSON:
            response.headers["content-type"] = CONTENT_TYPES[GRAPHQL_RESPONSE]
            if request.state.graphql_timeout or request.state.graphql_unavailable:
                response.status_code = 503
            elif request.state.graphql_request_error:
                response.status_code = 400
        return response

    async def execute_single(self, request: Any, *args: Any, **kwargs: Any) -> ExecutionResult:
        """Queries run within the request's time budget (a mutation is exempted once parsed:
        `QueryCost.on_execute`, and left to finish)."""
        deadline = getattr(request.state, "graphql_deadline", None)
        if deadline is None:
            return await super().execute_single(request, *args, **kwargs)
        try:
            async with within(deadline, self.request_timeout):
                return await super().execute_single(request, *args, **kwargs)
        except BudgetExceeded as exceeded:
            request.state.graphql_timeout = True
            log.warning("GraphQL query over its time budget (%s s)", self.request_timeout)
            error = GraphQLError(exceeded.message, extensions={"code": TIMEOUT})
            return ExecutionResult(data=None, errors=[error])

    def _error(
        self, request: Request, media_type: str, message: str, code: str, status: int, **extensions: Any
    ) -> Response:
        """A request-level error: `status` with graphql-response+json (no `data`), else 200."""
        body: dict[str, Any] = {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
        if media_type == JSON:
            body, status = {"data": None, **body}, 200
        response = Response(self.encode_json(body), status_code=status, media_type=CONTENT_TYPES[media_type])
        if _debug(request):
            path = "compiled" if request.state.read_path_fallback is None else "resolvers"
            response.headers[READ_PATH_HEADER] = path
        return response

    def _too_large(self, request: Request, media_type: str, size: int) -> Response:
        log.warning("GraphQL response of %d bytes refused (limit %d)", size, self.max_response_bytes)
        megabytes = self.max_response_bytes / (1024 * 1024)
        message = f"响应过大（{size} 字节，上限 {megabytes:g} MB），请减少分页大小或所选字段"
        return self._error(request, media_type, message, TOO_LARGE, 400, limit=self.max_response_bytes)

    async def _payload(self, request: Request) -> tuple[str, Any, Any, Any] | None:
        """(query, operation name, variables, extensions) of a POST with a JSON body, or of a GET
        when the result cache is on (the compiled path answers public GETs so that they get an
        ETag); None leaves the request to strawberry."""
        if request.method == "GET":
            params = request.query_params
            if not self.cache.on or "query" not in params:
                return None
            try:
                variables = json.loads(params["variables"]) if "variables" in params else None
                extensions = json.loads(params["extensions"]) if "extensions" in params else None
            except (ValueError, RecursionError):
                return None
            return params["query"], params.get("operationName"), variables, extensions
        if not request.headers.get("content-type", "").startswith(JSON):
            return None
        try:
            payload = json.loads(await request.body())
        except (ValueError, RecursionError):
            return None  # strawberry answers malformed bodies
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return None
        return (
            payload["query"],
            payload.get("operationName"),
            payload.get("variables"),
            payload.get("extensions"),
        )

    async def _compiled(self, request: Request, media_type: str) -> Response | None:
        """The response of the compiled read path (through the result cache for anonymous
        readers), or None to run strawberry (see api/compiler, api/result_cache.py)."""
        payload = await self._payload(request)
        if payload is None:
            return None
        query, operation_name, variables, extensions = payload
        lookup = Lookup(BYPASS if self.cache.on else OFF)
        try:
            if not isinstance(variables, dict | None) or not isinstance(operation_name, str | None):
                raise Fallback("request error (parameters)")
            if extensions:
                raise Fallback("request extensions")
            if has_nul(query, variables):
                raise Fallback("request error (NUL)")
            if _debug(request) and request.headers.get(READ_PATH_HEADER) == "resolvers":
                raise Fallback("resolvers requested")
            actor = actor_of(request.scope.get("state", {}))
            async with within(request.state.graphql_deadline, self.request_timeout):
                if self.cache.applies(actor):
                    lookup = await self.cache.lookup(query, operation_name, variables)
                    if _not_modified(request, lookup, media_type):
                        return self._not_modified(request, lookup, media_type)
                data = lookup.data
                if data is None:
                    data = await self.read_path.run(
                        query, operation_name, variables, actor, on_plan=lookup.saw
                    )
                    await self.cache.store_answer(lookup, data)
        except Fallback as fallback:
            self.cache.fell_back(lookup)
            self.read_path.record(fallback.reason, operation_name)
            request.state.read_path_fallback = fallback.reason
            request.state.cache_status = BYPASS if self.cache.on else OFF
            return None
        except BudgetExceeded as exceeded:
            log.warning("GraphQL query over its time budget (%s s)", self.request_timeout)
            return self._error(request, media_type, exceeded.message, TIMEOUT, 503)
        return self._compiled_response(request, media_type, data, lookup)

    def _compiled_response(self, request: Request, media_type: str, data: str, lookup: Lookup) -> Response:
        debug = _debug(request)
        extensions = b',"extensions":{"readPath":"compiled"}' if debug and _report(request) else b""
        encoded = b'{"data":' + data.encode() + extensions + b"}"
        if len(encoded) > self.max_response_bytes:
            return self._too_large(request, media_type, len(encoded))
        headers = {CACHE_HEADER: lookup.status}
        if debug:
            headers[READ_PATH_HEADER] = "compiled"
        etag = _etag(lookup, media_type) if request.method == "GET" else None
        if etag is not None:
            headers["etag"] = etag
            headers["cache-control"] = "no-cache"  # always revalidate: never a stale copy
        return Response(encoded, status_code=200, headers=headers, media_type=CONTENT_TYPES[media_type])

    def _not_modified(self, request: Request, lookup: Lookup, media_type: str) -> Response:
        self.cache.stats.not_modified += 1
        headers = {"etag": _etag(lookup, media_type) or "", "cache-control": "no-cache", CACHE_HEADER: "hit"}
        if _debug(request):
            headers[READ_PATH_HEADER] = "compiled"
        return Response(status_code=304, headers=headers)

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        data = await super().process_result(request, result)
        reason = getattr(request.state, "read_path_fallback", None)
        if reason is not None and _report(request):
            extensions = data.get("extensions") or {}
            data["extensions"] = {**extensions, "readPath": "resolvers", "fallback": reason}
        if any(is_unavailable(error) for error in result.errors or ()):
            request.state.graphql_unavailable = True
        if request.state.graphql_media_type == GRAPHQL_RESPONSE and is_request_error(result):
            data.pop("data", None)
            request.state.graphql_request_error = True
        return data

    def _http_error(self, request: Request, error: HTTPException, media_type: str) -> Response:
        status, headers = error.status_code, {}
        if request.method == "GET" and isinstance(error.__cause__, InvalidOperationTypeError):
            status, headers = 405, {"allow": "POST"}
        body = self.encode_json({"errors": [{"message": error.reason}]})
        return Response(body, status_code=status, headers=headers, media_type=CONTENT_TYPES[media_type])
