"""Bad input gets a clear client error, never a 500 and never a stack trace in the log: bytes that
are not UTF-8, JSON nested 100,000 deep, and NUL characters (which PostgreSQL text cannot hold)
in GraphQL variables, GraphQL string literals, form fields and query parameters."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from api.graphql_view import NOT_UTF8, TOO_DEEP
from domain.activities.models import Activity
from domain.input import NUL_MESSAGE
from tests.api.graphql import bearer, global_id
from tests.factories_activities import build_cast, hours_ago
from tests.web.session import Browser

JSON_HEADERS = {"content-type": "application/json"}
STRICT = {**JSON_HEADERS, "accept": "application/graphql-response+json"}
SEARCH = "query ($f: GridCellFilter) { gridCells(filter: $f, first: 5) { totalCount } }"
CREATE = """mutation ($input: ActivityCreateInput!) {
  activityCreate(input: $input) { activity { title } userErrors { code message } } }"""


@pytest.fixture(autouse=True)
def server_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every test here ends with a clean log: no error record, no stack trace."""
    caplog.set_level(logging.INFO)
    yield caplog
    noisy = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert noisy == [], [r.getMessage() for r in noisy]


def graphql_error(response: httpx.Response, status: int = 400) -> str:
    assert response.status_code == status, response.text
    [error] = response.json()["errors"]
    assert "data" not in response.json() or response.json()["data"] is None
    return str(error["message"])


# ---------- bytes that are not UTF-8 ----------


@pytest.mark.parametrize("headers", [JSON_HEADERS, STRICT], ids=["json", "graphql-response"])
async def test_a_graphql_body_that_is_not_utf8_is_a_400(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    body = b'{"query": "{ gridCells(filter: {search: \\"\xe5\xb9\xb3\xff\\"}) { totalCount } }"}'
    response = await client.post("/graphql", content=body, headers=headers)
    assert graphql_error(response) == NOT_UTF8


async def test_a_form_that_is_not_utf8_is_refused_like_any_wrong_sign_in(client: httpx.AsyncClient) -> None:
    browser = Browser(client)
    await browser.open("/signin")
    body = f"csrf_token={browser.token}&identifier=%E5%B9%B3%FF&password=%FF%FE".encode()
    form = {"content-type": "application/x-www-form-urlencoded"}
    response = await client.post("/signin", content=body, headers=form)
    assert response.status_code == 422
    assert "用户名或密码错误" in response.text


# ---------- nesting ----------


def deep_variables(depth: int) -> bytes:
    return b'{"query":"{ __typename }","variables":{"x":' + b"[" * depth + b"]" * depth + b"}}"


@pytest.mark.parametrize("headers", [JSON_HEADERS, STRICT], ids=["json", "graphql-response"])
async def test_variables_nested_100000_deep_are_a_400(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post("/graphql", content=deep_variables(100_000), headers=headers)
    assert graphql_error(response) == TOO_DEEP


async def test_a_multipart_operations_field_nested_100000_deep_is_a_400(client: httpx.AsyncClient) -> None:
    files = {
        "operations": (None, deep_variables(100_000)),
        "map": (None, b"{}"),
        "0": ("a.png", b"x"),
    }
    response = await client.post("/graphql", files=files)
    assert graphql_error(response) == TOO_DEEP


# ---------- NUL ----------


async def test_a_nul_in_a_search_filter_variable_is_a_400(client: httpx.AsyncClient) -> None:
    await build_cast()
    payload = {"query": SEARCH, "variables": {"f": {"search": "南河\x00头"}}}
    response = await client.post("/graphql", json=payload)
    assert graphql_error(response) == NUL_MESSAGE
    # and the same search without it is answered
    clean = await client.post("/graphql", json={"query": SEARCH, "variables": {"f": {"search": "南河头"}}})
    assert clean.status_code == 200
    assert "errors" not in clean.json()


@pytest.mark.parametrize("escape", ["\\u0000", "\\u{0}"])
async def test_a_nul_escaped_in_a_query_literal_is_a_400(client: httpx.AsyncClient, escape: str) -> None:
    query = f'{{ gridCells(filter: {{search: "a{escape}b"}}, first: 5) {{ totalCount }} }}'
    response = await client.post(
        "/graphql", json={"query": query}, headers={"x-linzhi-read-path": "resolvers"}
    )
    assert graphql_error(response) == NUL_MESSAGE
    compiled = await client.post("/graphql", json={"query": query})
    assert graphql_error(compiled) == NUL_MESSAGE


async def test_a_nul_in_an_activity_title_is_a_400_and_nothing_is_saved(client: httpx.AsyncClient) -> None:
    cast = await build_cast()
    token = await bearer(cast.users["leader.li"], "write:activities")
    fields = {
        "cellId": global_id("GridCell", cast.tree.micro_grids[0].id),
        "activityType": "VISIT",
        "title": "走访\x00独居老人",
        "startedAt": hours_ago(3).isoformat(),
        "endedAt": hours_ago(2).isoformat(),
        "participants": 2,
    }
    response = await client.post(
        "/graphql", json={"query": CREATE, "variables": {"input": fields}}, headers=token
    )
    assert graphql_error(response) == NUL_MESSAGE
    assert await Activity.all().count() == 0
    # over multipart too (the `operations` field)
    operations = json.dumps({"query": CREATE, "variables": {"input": fields}})
    multipart = await client.post(
        "/graphql", files={"operations": (None, operations), "map": (None, "{}")}, headers=token
    )
    assert graphql_error(multipart) == NUL_MESSAGE


async def test_a_nul_in_the_sign_in_form_gets_the_chinese_400_page(client: httpx.AsyncClient) -> None:
    await build_cast()
    browser = Browser(client)
    await browser.open("/signin")
    response = await browser.submit("/signin", {"identifier": "leader.li\x00", "password": "x"})
    assert response.status_code == 400
    assert NUL_MESSAGE in response.text
    assert browser.session_cookie is None


async def test_a_nul_in_a_page_query_parameter_gets_the_chinese_400_page(client: httpx.AsyncClient) -> None:
    await build_cast()
    response = await client.get("/grids/search", params={"q": "南河\x00头"})
    assert response.status_code == 400
    assert NUL_MESSAGE in response.text
