"""Production (introspection off) hides the schema: `__schema` and `__type` are refused, and no
error message suggests a real name ("Did you mean …?") — on the compiled read path and on the
resolvers alike. Development keeps both, for GraphiQL and the graphql-http audit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from api.app import create_app
from api.settings import Settings

pytestmark = pytest.mark.usefixtures("db")

# Each probe is a typo of a real name that graphql-core would otherwise spell out.
PROBES: list[tuple[str, dict[str, Any] | None, str]] = [
    ("{ gridCells(first: 1) { totalCont } }", None, "totalCount"),  # a field
    ("{ gridCells(frist: 1) { totalCount } }", None, "first"),  # an argument
    ("{ gridCells(filter: {kind: TOWNN}) { totalCount } }", None, "TOWN"),  # an enum literal
    ("{ gridCells(filter: {knd: TOWN}) { totalCount } }", None, "kind"),  # an input field
    ("{ gridCells { edges { node { ... on GridCel { id } } } } }", None, "GridCell"),  # a type
    # variable values are coerced at execution, after validation
    ("query($k: GridKind) { gridCells(filter: {kind: $k}) { totalCount } }", {"k": "TOWNN"}, "TOWN"),
    ("query($f: GridCellFilter) { gridCells(filter: $f) { totalCount } }", {"f": {"knd": "TOWN"}}, "kind"),
]
PATHS = {"compiled": {"x-linzhi-read-path": "report"}, "resolvers": {"x-linzhi-read-path": "resolvers"}}


@pytest_asyncio.fixture
async def production(db: None) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings.for_tests().with_(introspection=False, graphiql=False)
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def _post(client: httpx.AsyncClient, query: str, variables: Any = None, **headers: str) -> Any:
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "query", ["{ __schema { types { name } } }", '{ __type(name: "GridCell") { name fields { name } } }']
)
async def test_production_refuses_schema_and_type_introspection(
    production: httpx.AsyncClient, query: str, path: str
) -> None:
    body = await _post(production, query, **PATHS[path])
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
    assert "自省" in body["errors"][0]["message"]
    if path == "compiled":
        # the compiled path's own validation (the same rules) refused it before any plan ran
        assert body["extensions"]["fallback"] == "request error (validation)"


async def test_introspection_inside_a_fragment_is_refused_too(production: httpx.AsyncClient) -> None:
    query = 'query { ...F } fragment F on Query { __type(name: "Person") { name } }'
    body = await _post(production, query)
    assert body["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"


@pytest.mark.parametrize("path", PATHS)
async def test_production_still_answers_typename(production: httpx.AsyncClient, path: str) -> None:
    body = await _post(
        production, "{ __typename gridCells(first: 1) { __typename totalCount } }", **PATHS[path]
    )
    assert body["data"] == {
        "__typename": "Query",
        "gridCells": {"__typename": "GridCellConnection", "totalCount": 0},
    }


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("query", "variables", "real_name"), PROBES)
async def test_production_errors_suggest_no_names(
    production: httpx.AsyncClient, query: str, variables: Any, real_name: str, path: str
) -> None:
    body = await _post(production, query, variables, **PATHS[path])
    message = body["errors"][0]["message"]
    assert "Did you mean" not in message
    assert f"'{real_name}'" not in message


@pytest.mark.parametrize(("query", "variables", "real_name"), PROBES)
async def test_development_keeps_the_suggestions(
    client: httpx.AsyncClient, query: str, variables: Any, real_name: str
) -> None:
    # the same probes do reveal the names when introspection is on: the production test is not vacuous
    body = await _post(client, query, variables)
    assert "Did you mean" in body["errors"][0]["message"]
    assert f"'{real_name}'" in body["errors"][0]["message"]


async def test_development_keeps_introspection(client: httpx.AsyncClient) -> None:
    body = await _post(client, '{ __type(name: "GridCell") { name } __schema { queryType { name } } }')
    assert body["data"] == {"__type": {"name": "GridCell"}, "__schema": {"queryType": {"name": "Query"}}}
