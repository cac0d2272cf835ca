"""Shared fixtures. Every database test runs on SQLite and, when LINZHI_TEST_POSTGRES is set,
on PostgreSQL too; each test gets a fresh, empty database."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio
from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import generate_config
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import TortoiseContext, tortoise_test_context

from domain import versions
from domain.db import MODEL_MODULES, is_postgres, with_postgres_session

POSTGRES_URL = os.environ.get("LINZHI_TEST_POSTGRES", "").rstrip("/")


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> None:
    """argon2id with small parameters: the same algorithm, a fraction of the time per hash."""
    from domain.accounts import passwords

    passwords.use_parameters(time_cost=1, memory_cost=1024, parallelism=1)


def pytest_report_header() -> str:
    if POSTGRES_URL:
        return f"databases: SQLite and PostgreSQL ({POSTGRES_URL})"
    return (
        "databases: SQLite only — LINZHI_TEST_POSTGRES is not set, so nothing runs on PostgreSQL: "
        "no real concurrency, no outage test (CI always sets it)"
    )


def _database_params() -> list[str]:
    return ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """One PostgreSQL database for the session, its schema generated once; each test starts by
    emptying it, which is far cheaper than creating a database per test."""
    base = POSTGRES_URL.rsplit("/", 1)[0].replace("postgresql://", "postgres://", 1)
    url = f"{base}/linzhi_test_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        async with TortoiseContext() as ctx:
            await ctx.init(config=_config(url), _create_db=True)
            await ctx.generate_schemas(safe=False)
            await versions.install()

    async def drop() -> None:
        async with TortoiseContext() as ctx:
            await ctx.init(config=_config(url))
            await Tortoise._drop_databases()

    asyncio.run(create())
    yield url
    asyncio.run(drop())


def _config(url: str) -> dict[str, Any]:
    config: dict[str, Any] = generate_config(url, app_modules={"models": MODEL_MODULES}, testing=True)
    if is_postgres(url):
        with_postgres_session(config["connections"]["default"])  # as the app connects
    return config


@pytest.fixture(params=_database_params())
def database_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return "sqlite://:memory:"
    return str(request.getfixturevalue("postgres_database"))


async def _empty_every_table() -> None:
    """DELETE with foreign-key triggers off (superuser; the test database's owner is): a few
    milliseconds, where TRUNCATE of every table costs about a third of a second."""
    deletes = "; ".join(f'DELETE FROM "{model._meta.db_table}"' for model in Tortoise.apps["models"].values())
    await connections.get("default").execute_script(
        f"SET session_replication_role = replica; {deletes}; SET session_replication_role = DEFAULT"
    )


@pytest_asyncio.fixture
async def db(database_url: str) -> AsyncIterator[None]:
    # Tortoise caches INSERT statements per connection *name*, not per dialect: a statement built
    # for SQLite would be replayed against PostgreSQL in the next test.
    EXECUTOR_CACHE.clear()
    if database_url.startswith("sqlite"):
        async with tortoise_test_context(MODEL_MODULES, db_url=database_url):
            await versions.install()  # as `linzhi migrate` does (migrations/0019)
            yield
        return
    async with TortoiseContext() as ctx:
        await ctx.init(config=_config(database_url))
        await _empty_every_table()
        await versions.new_epoch()  # emptied past the triggers: no cached answer may outlive it
        yield


@dataclass
class SqlLog(logging.Handler):
    """Collects the SQL statements Tortoise sends while it is attached."""

    statements: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        logging.Handler.__init__(self, logging.DEBUG)

    def __hash__(self) -> int:
        return id(self)

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
            self.statements.append(message)

    def reset(self) -> None:
        self.statements.clear()

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def sql_log() -> Iterator[SqlLog]:
    logger = logging.getLogger("tortoise.db_client")
    handler = SqlLog()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(previous)


@pytest_asyncio.fixture
async def client(db: None) -> AsyncIterator[httpx.AsyncClient]:
    from api.app import create_app
    from api.settings import Settings

    app = create_app(Settings.for_tests())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@dataclass
class LiveServer:
    url: str
    database_url: str


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_healthy(url: str, seconds: float = 30) -> None:
    """Until a server started in another process answers its health check."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app as users run it: migrated, seeded, served by uvicorn in its own process."""
    import subprocess
    import sys

    workdir = tmp_path_factory.mktemp("live")
    database_url = f"sqlite://{workdir}/linzhi.sqlite3"
    port = _free_port()
    env = {**os.environ, "LINZHI_DATABASE_URL": database_url, "LINZHI_PORT": str(port)}
    for command in ("migrate", "seed"):
        subprocess.run(
            [sys.executable, "-m", "api.cli", command], env=env, check=True, capture_output=True, timeout=120
        )
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url)
        yield LiveServer(url=url, database_url=database_url)
    finally:
        server.terminate()
        server.wait(timeout=10)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser journeys last: sync Playwright keeps an event loop running for the rest of the
    session, which async tests collected after it could not start their own loop beside."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


@pytest.fixture
async def funding_clerks(db: None) -> None:
    """The funding tests' two bureau clerks (`tests.factories_funding.CLERK`, `CHECKER`) hold
    real accounts: what they create (a round's review panel) names its creator."""
    from domain.accounts.models import User
    from domain.people.models import Person

    for user_id, username in ((9001, "clerk.wang"), (9002, "clerk.li")):
        person = await Person.create(name=username, mobile="", is_demo=False)
        await User.create(id=user_id, person_id=person.id, username=username, is_app=False)
