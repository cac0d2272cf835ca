"""Schemathesis over the whole GraphQL schema: every query and mutation field, with generated
arguments and selections, sent to the real app (the `create_app` factory over a small seeded
database, on SQLite and PostgreSQL), anonymously and with bearer tokens holding every scope.

The rule: no generated operation makes a server error. No HTTP 5xx, no GraphQL error that
`api.schema.errors.PublicErrors` masked ("服务器内部错误": an exception that was neither a
DomainError nor a GraphQLError) or that carries an INTERNAL code, and nothing logged at ERROR
while answering. Refusals are answers, not errors: validation errors, userErrors,
QUERY_TOO_COSTLY, depth/alias/token limits, NOT_FOUND, FORBIDDEN. Every field must also have been
executed at least once, so the fuzz cannot pass by being refused wholesale.

How it runs: hypothesis drives one operation at a time in a worker thread (schemathesis builds the
strategies; `LINZHI_FUZZ_EXAMPLES` sets the examples per operation), and each example is sent
through httpx's ASGI transport on the test's event loop, where the database connection lives. A
failure is shrunk to a small query and reported with the response; every operation runs even when
an earlier one failed.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.graphql import nodes
from schemathesis.schemas import APIOperation

from api.app import create_app
from api.schema import schema as app_schema
from api.settings import Settings
from domain import storage
from domain.access import ALL_SCOPES, Role
from domain.accounts import config as account_config
from domain.accounts import service as account_service
from domain.activities.models import Activity, ActivityPhoto
from domain.db import is_postgres
from domain.grids.models import GridCell
from domain.leaders.models import Cohort, MicroLeader, TrainingSession
from domain.people.models import Person
from tests.accounts import actor_of, make_user
from tests.factories_activities import (
    build_cast,
    log_activity,
    returned_activity,
    submitted_activity,
    verified_activity,
)
from tests.factories_leaders import build_training, enrol

# Examples per operation and generation mode. The default keeps the module near a minute of wall
# time in `make test`; raise it locally for a longer fuzz (docs/security.md).
EXAMPLES = int(os.environ.get("LINZHI_FUZZ_EXAMPLES") or 16)
NEGATIVE_EXAMPLES = max(2, EXAMPLES // 4)
MASKED = "服务器内部错误"
NODE_TYPES = ("GridCell", "Cohort", "MicroLeader", "TrainingSession", "Activity", "Person")


# --- what the generator may send -----------------------------------------------------------


@dataclass
class KnownIds:
    """Global IDs of the seeded rows; refilled by each test before it generates anything."""

    values: list[str] = field(default_factory=list)

    def pick(self, index: int) -> str:
        return self.values[index % len(self.values)] if self.values else "R2lkQ2VsbDox"


KNOWN = KnownIds()


def global_id(type_name: str, pk: str) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


# A primary key part: plausible, out of range for the database, signed, or digits that are not
# ASCII (str.isdigit() accepts "²" and "٣", int() does not).
PRIMARY_KEYS = st.one_of(
    st.integers(min_value=0, max_value=10_000).map(str),
    st.sampled_from([0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64]).map(str),  # column bounds
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=4),
    st.text(max_size=8),
)
IDS = st.one_of(
    st.integers(min_value=0).map(KNOWN.pick),  # a row that exists, of any type
    st.builds(global_id, st.sampled_from((*NODE_TYPES, "User", "ApiToken")), PRIMARY_KEYS),
    st.text(max_size=24),  # not an ID at all
    st.binary(max_size=24).map(lambda raw: base64.b64encode(raw).decode()),  # decodes to junk
).map(nodes.String)

ZONES = st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-14, minutes=-59))])
MOMENTS = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.none() | ZONES,  # naive ones too: the schema must refuse or accept them cleanly
)
DATE_TIMES = st.one_of(MOMENTS.map(datetime.isoformat), st.text(max_size=30)).map(nodes.String)
DECIMALS = st.one_of(
    st.decimals(places=2, min_value=-(10**6), max_value=10**6).map(str).map(nodes.String),
    st.decimals(allow_nan=True, allow_infinity=True).map(str).map(nodes.String),
    st.text(max_size=12).map(nodes.String),
    st.integers().map(nodes.Int),
    st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
)
# Money in fen (the `Fen` scalar): plausible amounts, the JSON-safe bounds and past them, and
# values that are not an integer number of fen at all.
FENS = st.one_of(
    st.integers(min_value=0, max_value=10**9).map(nodes.Int),
    st.sampled_from([-1, 2**31, 2**53 - 1, 2**53, 2**63, -(2**63) - 1]).map(nodes.Int),
    st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
    st.text(max_size=12).map(nodes.String),
)
# An Upload sent as a literal (not a multipart file part): any value, which must be refused.
UPLOADS = st.one_of(st.text(max_size=12).map(nodes.String), st.integers().map(nodes.Int))

schemathesis.graphql.scalar("ID", IDS)
schemathesis.graphql.scalar("DateTime", DATE_TIMES)
schemathesis.graphql.scalar("Decimal", DECIMALS)
schemathesis.graphql.scalar("Upload", UPLOADS)
schemathesis.graphql.scalar("Fen", FENS)


def cursor(*key: object) -> str:
    """A cursor in the server's own format (api/schema/relay.py) around any key."""
    return base64.urlsafe_b64encode(("c1:" + json.dumps(list(key))).encode()).decode()


# Connections take opaque cursors; random text almost never decodes to one, so every `after` and
# `before` argument is, half of the time, one of these: well-formed cursors holding wrong,
# out-of-range or oddly typed keys, and broken ones.
CURSORS = [
    cursor("330482"),
    cursor(1),
    cursor(2**31),
    cursor(2**63),
    cursor(-(2**63) - 1),
    cursor(10**30),
    cursor(1.5),
    cursor(None),
    cursor(True),
    cursor([1]),
    cursor({}),
    cursor("2026-01-01T00:00:00+08:00", 1),
    cursor("2026-01-01T00:00:00", 1),
    cursor("0001-01-01T00:00:00+14:00", 1),
    cursor("9999-12-31T23:59:59-14:00", 2**63),
    cursor("2026-01-01T00:00:00+08:00", -1),
    cursor("2026-13-45T00:00:00+08:00", 1),
    cursor("2026-01-01T00:00:00+08:00", "1"),
    base64.urlsafe_b64encode(b"c1:[").decode(),
    base64.urlsafe_b64encode(b"c1:").decode(),
    "c1:[1]",
    "!!!",
]
# NUL bytes. Generated strings may hold U+0000, which PostgreSQL text cannot store; the transport
# guards (docs/security.md, "Errors during faults and bad input") refuse such a request with 400
# before it runs, so NUL is fuzzed on both databases.
NUL_ON_POSTGRES = True


def load_schema(*, allow_nul: bool) -> Any:
    config = SchemathesisConfig.from_dict(
        {
            "generation": {"allow-x00": allow_nul},
            "dictionaries": {"cursors": {"values": CURSORS}},
            "parameters": {
                "*.*.after": {"dictionary": "cursors", "probability": 0.5},
                "*.*.before": {"dictionary": "cursors", "probability": 0.5},
            },
        }
    )
    return schemathesis.graphql.from_file(str(app_schema), config=config)


def operations(schema: Any) -> list[APIOperation]:
    """Every query and mutation field, in schema order."""
    return [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]


SCHEMAS = {allow_nul: load_schema(allow_nul=allow_nul) for allow_nul in (True, False)}
LABELS = [operation.label for operation in operations(SCHEMAS[True])]


# --- the world the fuzz runs against --------------------------------------------------------


@dataclass
class World:
    headers: dict[str, dict[str, str]]


async def build_world() -> World:
    """The activity cast (a city > town > community > 2 grids > 4 micro-grids, leaders, grid staff,
    bureau staff, a resident), a cohort with sessions and enrolments, records in every status; and
    a token with every scope for bureau staff and for a micro-leader."""
    cast = await build_cast()
    micro = cast.tree.micro_grids
    training = await build_training(cast.tree, leaders=2, required=2, elective=1)
    await enrol(training.sessions[0], *(account.leader for account in training.leaders))
    await verified_activity(cast.leader, cast.staff, micro[0], title="调解楼上漏水纠纷")
    await submitted_activity(cast.other_leader, micro[2], title="环境整治")
    await log_activity(cast.leader, micro[1], title="草稿")
    await returned_activity(cast.leader, cast.staff, micro[0], title="退回的记录")
    bureau = await make_user("fuzz.bureau", Role.BUREAU_STAFF)
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for name, user in (("bureau", bureau), ("leader", cast.users["leader.li"])):
        issued = await account_service.create_token(
            actor=await actor_of(user), name="模糊测试", scopes=list(ALL_SCOPES)
        )
        headers[name] = {"authorization": f"Bearer {issued.secret}"}
    KNOWN.values = [
        global_id(model.__name__ if model is not Person else "Person", str(pk))
        for model in (GridCell, Cohort, MicroLeader, TrainingSession, Activity, Person)
        for pk in await model.all().order_by("id").values_list("id", flat=True)
    ]
    return World(headers=headers)


# --- judging a response ---------------------------------------------------------------------


def server_errors(response: httpx.Response) -> list[str]:
    """What in this response is a server error: a 5xx, a body that is not JSON, a masked or
    INTERNAL GraphQL error. Refusals (400, userErrors, coded top-level errors such as
    QUERY_TOO_COSTLY, NOT_FOUND or FORBIDDEN) are answers, not errors."""
    if response.status_code >= 500:
        return [f"HTTP {response.status_code}"]
    if response.status_code == 429:
        return ["rate limited: the fuzz must not be (raise the limit in the test's settings)"]
    try:
        body = response.json()
    except ValueError:
        return [f"HTTP {response.status_code} with a body that is not JSON"]
    errors = (body.get("errors") or []) if isinstance(body, dict) else []
    return [
        f"masked or internal error at {error.get('path')}"
        for error in errors
        if error.get("message") == MASKED or (error.get("extensions") or {}).get("code") == "INTERNAL"
    ]


def executed(response: httpx.Response) -> bool:
    """The operation got past parsing, validation and the limits: data, or an error at a path."""
    body = response.json() if response.headers.get("content-type", "").find("json") >= 0 else {}
    return bool(body.get("data")) or any(e.get("path") for e in body.get("errors") or ())


class ErrorLog(logging.Handler):
    """Errors the app logs while a request runs: an exception the compiled read path caught and
    answered through the resolvers instead is still a bug, though the client never sees it."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        taken = [f"logged: {r.name}: {r.getMessage()} {r.exc_info and r.exc_info[1]!r}" for r in self.records]
        self.records.clear()
        return taken


@dataclass
class Sender:
    """Sends generated requests from hypothesis's thread through the app on the test's loop."""

    loop: asyncio.AbstractEventLoop
    client: httpx.AsyncClient
    headers: dict[str, str]
    log: ErrorLog
    sent: int = 0
    executed: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)

    def post(self, query: str, extra: dict[str, str]) -> tuple[httpx.Response, list[str]]:
        """The response, and the server errors it shows or the app logged while answering."""
        request = self.client.post("/graphql", json={"query": query}, headers={**self.headers, **extra})
        self.log.take()
        response = asyncio.run_coroutine_threadsafe(request, self.loop).result(timeout=120)
        self.sent += 1
        return response, server_errors(response) + self.log.take()


ACCEPT = st.sampled_from(["application/json", "application/graphql-response+json"])
# Queries run on the compiled read path when they can; the debug header forces the resolvers.
READ_PATHS = st.sampled_from([{}, {"x-linzhi-read-path": "resolvers"}])


def fuzz_operation(operation: APIOperation, mode: GenerationMode, sender: Sender) -> str | None:
    """Run hypothesis over one operation; the shrunk failure, or None."""

    @settings(
        max_examples=EXAMPLES if mode is GenerationMode.POSITIVE else NEGATIVE_EXAMPLES,
        derandomize=True,  # the same examples on every run: CI is stable
        database=None,  # no example database: nothing read from or written to .hypothesis/
        deadline=None,  # response times vary with the machine's load; no timing assertion here
        phases=[Phase.generate, Phase.shrink],
        print_blob=False,
    )
    @given(case=operation.as_strategy(mode), accept=ACCEPT, read_path=READ_PATHS)
    def run(case: Any, accept: str, read_path: dict[str, str]) -> None:
        query = str(case.body)
        response, problems = sender.post(query, {"accept": accept, **read_path})
        if executed(response):
            sender.executed.add(operation.label)
        assert not problems, (
            f"{problems}\nquery: {query}\nheaders: {read_path}\nresponse: {response.text[:800]}"
        )

    try:
        run()
    except Exception as error:  # collected, so every operation runs and all failures are reported
        return f"{operation.label} ({mode.value}): {error}"
    return None


def fuzz_schema(sender: Sender, schema: Any) -> list[str]:
    failures = []
    for operation in operations(schema):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failure = fuzz_operation(operation, mode, sender)
            if failure:
                failures.append(failure)
    return failures


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def photo_folder(tmp_path: Path) -> Iterator[Path]:
    previous = storage.configure(tmp_path)
    yield tmp_path
    storage.configure(previous)


@pytest.fixture
def generous_token_limit() -> Iterator[None]:
    """The fuzz sends several hundred requests a minute with one token, above the per-token limit
    (600 a minute); the limit has its own tests."""
    previous = account_config.policy()
    account_config.configure(replace(previous, graphql_token_limit=1_000_000))
    yield
    account_config.configure(previous)


@pytest.fixture
def error_log() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@pytest.fixture
def hypothesis_as_found() -> Iterator[None]:
    """Schemathesis patches hypothesis globally the first time it builds a strategy (a bigger
    choice buffer, a printer that prints nothing). Put it back afterwards, so the other
    hypothesis tests in this worker process (tests/compiler/test_corpus.py) generate the same
    examples whichever test ran first."""
    from hypothesis import core
    from hypothesis.internal import entropy
    from hypothesis.internal.conjecture import engine
    from hypothesis.strategies._internal import collections
    from hypothesis.strategies._internal import core as strategies_core
    from schemathesis.generation.hypothesis import setup

    patched = [
        (core, "RepresentationPrinter"),
        (core, "BUFFER_SIZE"),
        (engine, "BUFFER_SIZE"),
        (collections, "BUFFER_SIZE"),
        (strategies_core, "is_first_param_referenced_in_function"),
        (entropy, "register_random"),
    ]
    saved = [(module, name, getattr(module, name)) for module, name in patched]
    yield
    for module, name, value in saved:
        setattr(module, name, value)
    setup._is_patched = False  # type: ignore[attr-defined]


async def fuzz(caller: str, error_log: ErrorLog, database_url: str) -> Sender:
    """The whole schema, generated, sent by `caller` to the real app over a fresh small world."""
    schema = SCHEMAS[NUL_ON_POSTGRES or not is_postgres(database_url)]
    world = await build_world()
    app = create_app(Settings.for_tests())
    # A 500 comes back as a response (as a client would see it), not as the app's exception.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        sender = Sender(asyncio.get_running_loop(), client, world.headers[caller], error_log)
        sender.failures = await asyncio.to_thread(fuzz_schema, sender, schema)
    return sender


# --- the tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("caller", ["anonymous", "bureau", "leader"])
async def test_no_generated_operation_makes_a_server_error(
    db: None,
    database_url: str,
    photo_folder: Path,
    generous_token_limit: None,
    error_log: ErrorLog,
    hypothesis_as_found: None,
    caller: str,
) -> None:
    # GIVEN the real app over a small seeded world, and a caller: anonymous, or a bearer token
    # with every scope of bureau staff or of a micro-leader
    # WHEN every query and mutation is sent with generated arguments and selections
    sender = await fuzz(caller, error_log, database_url)
    # THEN none made a server error
    assert not sender.failures, "\n\n".join(sender.failures)
    # and every operation was executed at least once (not only refused by validation), so the
    # fuzz reached the resolvers and the database behind each field
    assert sender.executed == set(LABELS)


# --- what the fuzz found: each fixed at its root, each kept by an explicit test --------------


def _keys() -> list[str]:
    """Keys no row can have: past PostgreSQL INTEGER (every id but the activity tables'), past
    BIGINT and SQLite's INTEGER, far past both, and digits `str.isdigit` accepts but `int` refuses."""
    return [str(2**31), str(2**63), "9" * 40, "²", "١٢"]


LOOKUPS = {
    "gridCell": ("GridCell", "{ gridCell(id: $id) { id } }"),
    "cohort": ("Cohort", "{ cohort(id: $id) { id } }"),
    "microLeader": ("MicroLeader", "{ microLeader(id: $id) { id } }"),
    "trainingSession": ("TrainingSession", "{ trainingSession(id: $id) { id } }"),
    "node": ("GridCell", "{ node(id: $id) { id } }"),
    "nodes": ("Cohort", "{ nodes(ids: [$id]) { id } }"),
}
FILTERS = {
    "activities": ("GridCell", "{ activities(filter: {subtree: $id}) { totalCount } }"),
    "gridCells": ("GridCell", "{ gridCells(filter: {parent: $id}) { totalCount } }"),
    "microLeaders": ("Cohort", "{ microLeaders(filter: {cohort: $id}) { totalCount } }"),
}
MUTATIONS = {
    "personUnmask": ("Person", 'personUnmask(input: {id: $id, reason: "核对"})'),
    "gridCellUpdate": ("GridCell", 'gridCellUpdate(input: {id: $id, name: "新名称"})'),
    "leaderWithdraw": ("MicroLeader", 'leaderWithdraw(input: {id: $id, reason: "搬家"})'),
    "sessionUpdate": ("TrainingSession", 'sessionUpdate(input: {id: $id, title: "新标题"})'),
}


def _with(template: str, type_name: str, key: str) -> str:
    return template.replace("$id", json.dumps(global_id(type_name, key)))


@pytest.mark.parametrize(
    "read_path", [{}, {"x-linzhi-read-path": "resolvers"}], ids=["compiled", "resolvers"]
)
async def test_an_id_whose_key_no_row_can_have_is_refused_cleanly(
    client: httpx.AsyncClient, read_path: dict[str, str]
) -> None:
    # GIVEN a world, and bureau staff with a token of every scope (they may look at and change anything)
    world = await build_world()
    headers = {**world.headers["bureau"], **read_path}
    for key in _keys():
        # WHEN a global ID of the right type carries a key no row can have
        for name, (type_name, template) in LOOKUPS.items():
            response = await client.post(
                "/graphql", json={"query": _with(template, type_name, key)}, headers=headers
            )
            # THEN a lookup answers "no such object", as for any missing row
            assert server_errors(response) == [], (name, key, response.text)
            data = response.json()["data"]
            assert data[name] in (None, [None]), (name, key, data)
        for name, (type_name, template) in FILTERS.items():
            response = await client.post(
                "/graphql", json={"query": _with(template, type_name, key)}, headers=headers
            )
            # a filter by it is the usual invalid-argument error, with its code
            assert server_errors(response) == [], (name, key, response.text)
            assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["INVALID"], (name, key)
        for name, (type_name, call) in MUTATIONS.items():
            query = "mutation { " + _with(call, type_name, key) + " { userErrors { field code } } }"
            response = await client.post("/graphql", json={"query": query}, headers=headers)
            # and a mutation says the ID is invalid (in its payload, or as a top-level error for the
            # mutations that decode their IDs before running the use case)
            assert server_errors(response) == [], (name, key, response.text)
            assert invalid_id(response.json(), name), (name, key, response.text)


def invalid_id(body: dict[str, Any], name: str) -> bool:
    payload = (body.get("data") or {}).get(name)
    if payload is not None:
        return bool(payload["userErrors"] == [{"field": ["id"], "code": "INVALID"}])
    return [e.get("extensions", {}).get("code") for e in body.get("errors", ())] == ["INVALID"]


async def test_activity_ids_keep_their_bigint_range(client: httpx.AsyncClient) -> None:
    # GIVEN the activity tables' BIGINT keys (they grow fastest), past the INTEGER range
    world = await build_world()
    query = "{ activity(id: $id) { id } }"
    for key in (str(2**31), str(2**63 - 1)):
        # WHEN one is looked up
        response = await client.post(
            "/graphql", json={"query": _with(query, "Activity", key)}, headers=world.headers["bureau"]
        )
        # THEN it is a well-formed ID of no row (null, no error), not refused as out of range
        assert response.json() == {"data": {"activity": None}}, key


PHOTO_ADD = """mutation($activity: ID!, $file: Upload!) {
  activityPhotoAdd(input: {activityId: $activity, file: $file}) { photo { url } userErrors { field code } }
}"""
PHOTO_ADD_LITERAL = """mutation($activity: ID!) {
  activityPhotoAdd(input: {activityId: $activity, file: "x.jpg"}) { photo { url } userErrors { field code } }
}"""


@pytest.mark.parametrize("query", [PHOTO_ADD_LITERAL, PHOTO_ADD], ids=["literal", "variable"])
async def test_a_photo_that_is_not_a_file_part_is_a_user_error(
    client: httpx.AsyncClient, photo_folder: Path, query: str
) -> None:
    # GIVEN a micro-leader's token and their draft record
    world = await build_world()
    draft = await Activity.get(title="草稿")
    variables = {"activity": global_id("Activity", str(draft.id)), "file": "x.jpg"}
    # WHEN the photo arrives as text in the JSON body instead of as a multipart file part
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=world.headers["leader"]
    )
    # THEN it is refused as an invalid file, and no photo is added
    assert server_errors(response) == [], response.text
    payload = response.json()["data"]["activityPhotoAdd"]
    assert payload == {"photo": None, "userErrors": [{"field": ["file"], "code": "INVALID"}]}
    assert await ActivityPhoto.filter(activity_id=draft.id).count() == 0


# Zoned moments at the ends of the calendar that have no UTC datetime (stored times are UTC).
EDGE_MOMENTS = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]


@pytest.mark.parametrize(
    "read_path", [{}, {"x-linzhi-read-path": "resolvers"}], ids=["compiled", "resolvers"]
)
async def test_a_time_without_a_utc_datetime_is_refused_as_a_bad_value(
    client: httpx.AsyncClient, read_path: dict[str, str]
) -> None:
    # GIVEN a world, and the tokens of bureau staff and of a micro-leader
    world = await build_world()
    micro = await GridCell.filter(kind="MICRO_GRID").order_by("id").first().values_list("id", flat=True)
    first_session = await TrainingSession.all().order_by("id").first().values_list("id", flat=True)
    cell, session = global_id("GridCell", str(micro)), global_id("TrainingSession", str(first_session))
    queries = [
        '{ activities(filter: {since: "$t"}) { totalCount } }',
        '{ activities(filter: {until: "$t"}) { totalCount } }',
        'mutation { sessionUpdate(input: {id: "$s", startsAt: "$t"}) { userErrors { code } } }',
        'mutation { activityCreate(input: {cellId: "$c", activityType: VISIT, title: "走访",'
        ' startedAt: "$t", endedAt: "$t"}) { userErrors { code } } }',
    ]
    queries = [q.replace("$s", session).replace("$c", cell) for q in queries]
    for moment in EDGE_MOMENTS:
        for query in queries:
            for caller in ("bureau", "leader"):
                # WHEN such a time is sent as an argument
                response = await client.post(
                    "/graphql",
                    json={"query": query.replace("$t", moment)},
                    headers={**world.headers[caller], **read_path},
                )
                # THEN it is refused as a value DateTime cannot represent, before anything runs
                assert server_errors(response) == [], (moment, query, response.text)
                errors = response.json()["errors"]
                assert "DateTime" in errors[0]["message"], (moment, query, errors)


@pytest.mark.parametrize("field", ["activities", "myActivities", "verificationQueue"])
async def test_a_cursor_time_without_a_utc_datetime_is_an_invalid_cursor(
    client: httpx.AsyncClient, field: str
) -> None:
    # GIVEN a micro-leader's token
    world = await build_world()
    for moment in EDGE_MOMENTS:
        # WHEN a feed is paged after a cursor holding such a time
        query = f'{{ {field}(first: 5, after: "{cursor(moment, 1)}") {{ totalCount }} }}'
        response = await client.post("/graphql", json={"query": query}, headers=world.headers["leader"])
        # THEN the cursor is invalid: the usual user error, not a database error
        assert server_errors(response) == [], (field, moment, response.text)
        assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["INVALID"], response.text
