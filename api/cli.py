"""The `linzhi` command: serve, migrate, seed, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from tortoise import Tortoise

from api.settings import Settings
from domain.db import tortoise_config

SCHEMA_FILE = Path(__file__).parent / "schema.graphql"


def _ensure_data_dir(settings: Settings) -> None:
    if settings.database_url.startswith("sqlite://") and ":memory:" not in settings.database_url:
        Path(settings.database_url.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)


async def _with_orm(settings: Settings, work: Callable[[], Awaitable[None]]) -> None:
    _ensure_data_dir(settings)
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        await work()
    finally:
        await Tortoise.close_connections()


async def migrate(settings: Settings) -> None:
    """Apply every committed migration (Tortoise's own migration engine)."""
    from tortoise.migrations.api import migrate as run_migrations

    _ensure_data_dir(settings)
    try:
        await run_migrations(config=tortoise_config(settings.database_url))
    finally:
        await Tortoise.close_connections()


async def seed(settings: Settings) -> None:
    import seeds

    async def work() -> None:
        report = await seeds.load_all()
        print(report)

    await _with_orm(settings, work)


def export_schema() -> str:
    from api.schema import schema

    return schema.as_str() + "\n"


def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


def main(argv: list[str] | None = None) -> int:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(prog="linzhi", description="邻治 Linzhi")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="serve the web app and GraphQL API")
    serve_cmd.add_argument("--host", default=settings.host)
    serve_cmd.add_argument("--port", type=int, default=settings.port)
    serve_cmd.add_argument("--workers", type=int, default=settings.workers)
    commands.add_parser("migrate", help="apply database migrations")
    commands.add_parser("seed", help="load the demo seeds (idempotent)")
    export = commands.add_parser("export-schema", help="print or write the GraphQL SDL")
    export.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)

    if args.command == "serve":
        serve(settings, args.host, args.port, args.workers)
    elif args.command == "migrate":
        asyncio.run(migrate(settings))
    elif args.command == "seed":
        asyncio.run(seed(settings))
    elif args.command == "export-schema":
        sdl = export_schema()
        if args.output:
            args.output.write_text(sdl, encoding="utf-8")
        else:
            sys.stdout.write(sdl)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
