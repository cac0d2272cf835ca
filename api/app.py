"""The application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tortoise.contrib.starlette import RegisterTortoise

from api.auth import AuthenticationMiddleware
from api.graphql_view import GraphQLView
from api.middleware import SecurityHeaders
from api.schema import build_schema
from api.settings import Settings
from domain import health, storage
from domain.accounts import config as accounts_config
from domain.db import tortoise_config
from web.app import exception_handlers, web_routes


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    accounts_config.configure_production(settings.is_production)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        storage.configure(settings.data_dir)
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            yield

    graphql = GraphQLView(
        build_schema(introspection=settings.introspection),
        graphql_ide="graphiql" if settings.graphiql else None,
        # Photo uploads. Safe from CSRF: cookie-authenticated POSTs must pass the Origin check.
        multipart_uploads_enabled=True,
    )
    app = Starlette(
        debug=False,
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            *web_routes(),
        ],
        middleware=[Middleware(SecurityHeaders), Middleware(AuthenticationMiddleware)],
        exception_handlers=exception_handlers(),
        lifespan=lifespan,
    )
    app.state.settings = settings
    return app


async def healthz(request: Request) -> JSONResponse:
    ok = await health.database_ok()
    return JSONResponse(
        {"status": "ok" if ok else "error", "database": "ok" if ok else "unreachable"},
        status_code=200 if ok else 503,
    )
