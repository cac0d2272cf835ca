"""The application factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tortoise.contrib.starlette import RegisterTortoise

from api.anchoring import anchor_every
from api.auth import AuthenticationMiddleware, GraphQLRateLimits
from api.graphql_view import GraphQLView
from api.guards import BodyLimit, DatabaseOutage, quiet_outage_tracebacks
from api.middleware import SecurityHeaders
from api.proxies import ForwardedHeaders
from api.result_cache import RedisStore, ResultCache
from api.schema import build_schema
from api.settings import Settings
from domain import health, storage
from domain.accounts import config as accounts_config
from domain.audit import keys as audit_keys
from domain.db import tortoise_config
from domain.ratelimit import DATABASE, RedisCounters, parse_rule
from web.app import exception_handlers, web_routes


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    quiet_outage_tracebacks()

    limits = rate_limits(settings)
    audit_keys.configure(settings.audit_keyring())
    accounts_config.configure_production(settings.is_production)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        storage.configure(settings.data_dir)
        config = tortoise_config(settings.database_url, statement_timeout=settings.request_timeout)
        async with RegisterTortoise(app, config=config):
            anchoring = None
            if settings.audit_anchor_seconds > 0:
                anchoring = asyncio.create_task(
                    anchor_every(settings.audit_anchor_seconds, settings.audit_anchor_file)
                )
            try:
                yield
            finally:
                if anchoring is not None:
                    anchoring.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await anchoring
        if isinstance(limits.counters, RedisCounters):
            await limits.counters.close()
        await cache.close()

    cache = result_cache(settings)
    graphql = GraphQLView(
        build_schema(introspection=settings.introspection),
        graphql_ide="graphiql" if settings.graphiql else None,
        # Photo uploads. Safe from CSRF: cookie-authenticated POSTs must pass the Origin check.
        multipart_uploads_enabled=True,
        request_timeout=settings.request_timeout,
        max_response_bytes=settings.max_response_bytes,
        cache=cache,
    )
    app = Starlette(
        debug=False,
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            *web_routes(),
        ],
        middleware=[
            Middleware(ForwardedHeaders, trusted=settings.trusted_proxies),
            Middleware(SecurityHeaders),
            Middleware(BodyLimit),
            Middleware(DatabaseOutage),
            Middleware(AuthenticationMiddleware, limits=limits),
        ],
        exception_handlers=exception_handlers(),
        lifespan=lifespan,
    )
    app.state.settings = settings
    return app


def result_cache(settings: Settings) -> ResultCache:
    """The result cache of public reads the settings ask for (docs/compiler.md "Result cache")."""
    store = RedisStore(settings.cache_url, settings.cache_prefix) if settings.cache_url else None
    return ResultCache(settings.cache, max_bytes=settings.cache_bytes, store=store)


def rate_limits(settings: Settings) -> GraphQLRateLimits:
    """The GraphQL rate limits of the settings, counted in Redis when one is configured."""
    token = settings.rate_limit_token
    return GraphQLRateLimits(
        anonymous=parse_rule(settings.rate_limit_anonymous or "off"),
        session=parse_rule(settings.rate_limit_session or "off"),
        token=parse_rule(token) if token is not None else None,
        token_from_policy=token is None,
        counters=RedisCounters(settings.redis_url, settings.redis_prefix) if settings.redis_url else DATABASE,
    )


async def healthz(request: Request) -> JSONResponse:
    ok = await health.database_ok()
    return JSONResponse(
        {"status": "ok" if ok else "error", "database": "ok" if ok else "unreachable"},
        status_code=200 if ok else 503,
    )
