"""The strawberry ASGI view, with GraphQL-over-HTTP details: `application/graphql-response+json`
when the client accepts it (400 and no `data` for request errors), plain `application/json`
(200) for older clients."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from api.context import Context
from domain.access import Actor

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def wants_graphql_response(request: Request) -> bool:
    """True when the client prefers the new media type (or accepts it and not plain JSON)."""
    accept = request.headers.get("accept", "")
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media == GRAPHQL_RESPONSE:
            return True
        if media in (JSON, "application/*", "*/*"):
            return False
    return False


def actor_for(request: Request | WebSocket) -> Actor:
    """Every request is anonymous until the accounts issue adds sessions and tokens."""
    client = request.client
    return Actor(request_id=request.headers.get("x-request-id"), ip=client.host if client else None)


class GraphQLView(GraphQL[Context, None]):
    def encode_json(self, data: object) -> str:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        return Context(
            request=request,  # type: ignore[arg-type]
            response=response if isinstance(response, Response) else None,
            actor=actor_for(request),
        )

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        data = await super().process_result(request, result)
        request.state.request_error = result.data is None and all(
            error.path is None for error in result.errors or ()
        )
        return data

    async def run(self, request: Any, context: Any = None, root_value: Any = None) -> Any:
        if isinstance(request, WebSocket):
            return await super().run(request)
        response = await super().run(request)
        if not wants_graphql_response(request) or response.media_type != JSON:
            return response
        return self._as_graphql_response(request, response)

    def _as_graphql_response(self, request: Request, response: Response) -> Response:
        if not getattr(request.state, "request_error", False):
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
            return response
        body = json.loads(bytes(response.body))
        body.pop("data", None)
        return Response(
            json.dumps(body, ensure_ascii=False),
            status_code=400,
            media_type=GRAPHQL_RESPONSE,
            headers={k: v for k, v in response.headers.items() if k.lower() not in {"content-length", "content-type"}},
        )
