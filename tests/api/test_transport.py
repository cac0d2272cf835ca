"""GraphQL over HTTP: the graphql-http audit suite against a live server, and the transport rules
(media types, status codes, error shapes, headers) in-process on every test database."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from api.schema import node as node_module

if TYPE_CHECKING:
    from tests.conftest import LiveServer

AUDIT_DIR = Path(__file__).parent / "audit"
GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"

TYPENAME = "{ __typename }"
PARSE_ERROR = "{"
VALIDATION_ERROR = "{ noSuchField }"
COERCION_ERROR = "query Node($id: ID!) { node(id: $id) { id } }"
FIELD_ERROR = '{ node(id: "bad") { id } }'
NODE_BY_ID = "query Node($id: ID!) { node(id: $id) { id } }"
MUTATION = "mutation { __typename }"

REQUEST_ERRORS = [
    pytest.param({"query": PARSE_ERROR}, id="parse"),
    pytest.param({"query": VALIDATION_ERROR}, id="validation"),
    pytest.param({"query": COERCION_ERROR, "variables": {"id": None}}, id="variable-coercion"),
]


async def post(client: httpx.AsyncClient, body: dict[str, Any], accept: str = JSON) -> httpx.Response:
    return await client.post("/graphql", json=body, headers={"accept": accept})


def global_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


# --- the graphql-http audit suite, against the app as users run it --------------------------------


def test_graphql_http_audit_reports_no_error_and_no_warning(live_server: LiveServer) -> None:
    # GIVEN the pinned graphql-http audit suite, installed by `make audit-deps`
    if not (AUDIT_DIR / "node_modules" / "graphql-http").is_dir():
        pytest.fail(f"graphql-http is not installed in {AUDIT_DIR}: run `make audit-deps`")
    node = shutil.which("node")
    assert node, "Node.js is needed for the graphql-http audit (apt install nodejs)"

    # WHEN it audits the live server's /graphql endpoint
    run = subprocess.run(
        [node, str(AUDIT_DIR / "audit.mjs"), f"{live_server.url}/graphql"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # THEN every MUST and SHOULD audit passes
    assert run.returncode in (0, 1), f"audit did not run (exit {run.returncode}):\n{run.stderr}"
    report = json.loads(run.stdout)
    failing = [r for r in report["results"] if r["status"] in ("error", "warn")]
    assert report["results"], "the audit ran no checks"
    assert not failing, f"audit counts {report['counts']}; failing:\n" + json.dumps(
        failing, ensure_ascii=False, indent=2
    )
    assert run.returncode == 0


# --- media types and status codes -------------------------------------------------------------------


async def test_post_json_query_returns_json_data(client: httpx.AsyncClient) -> None:
    # GIVEN a client that accepts application/json
    # WHEN it POSTs a query
    response = await post(client, {"query": TYPENAME})

    # THEN it gets 200 application/json with the data
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(JSON)
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_graphql_response_media_type_when_the_client_accepts_it(client: httpx.AsyncClient) -> None:
    # GIVEN a client that prefers application/graphql-response+json
    # WHEN it POSTs a query
    response = await post(client, {"query": TYPENAME}, accept=f"{GRAPHQL_RESPONSE}, {JSON};q=0.9")

    # THEN the response uses that media type
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("body", REQUEST_ERRORS)
async def test_request_error_with_graphql_response_is_400_without_data(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    # GIVEN a request the server cannot execute (bad document or bad variables)
    # WHEN the client accepts application/graphql-response+json
    response = await post(client, body, accept=GRAPHQL_RESPONSE)

    # THEN it gets 400, the errors, and no `data` key at all
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    payload = response.json()
    assert "data" not in payload
    assert payload["errors"]
    assert all("path" not in error for error in payload["errors"])


@pytest.mark.parametrize("body", REQUEST_ERRORS)
async def test_request_error_with_plain_json_is_200(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    # GIVEN the same unexecutable request
    # WHEN an older client accepts only application/json
    response = await post(client, body, accept=JSON)

    # THEN it keeps the legacy behaviour: 200 with the errors
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(JSON)
    assert response.json()["errors"]


async def test_field_error_is_200_with_data_and_an_error_code(client: httpx.AsyncClient) -> None:
    # GIVEN a valid document whose field fails (a malformed global ID)
    # WHEN a client that accepts application/graphql-response+json runs it
    response = await post(client, {"query": FIELD_ERROR}, accept=GRAPHQL_RESPONSE)

    # THEN the operation ran: 200, partial data, and a coded error at the field's path
    assert response.status_code == 200
    payload = response.json()
    assert payload["data"] == {"node": None}
    [error] = payload["errors"]
    assert error["path"] == ["node"]
    assert error["extensions"]["code"] == "INVALID"


async def test_unexpected_exceptions_are_masked(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a resolver that fails with an internal detail in its message
    async def explode(info: Any, pk: int) -> None:
        raise RuntimeError("connection string postgres://secret@db")

    monkeypatch.setitem(node_module.RESOLVERS, "GridCell", explode)

    # WHEN a client queries through it (on the resolver path: the compiled path has no resolver to fail)
    response = await client.post(
        "/graphql",
        json={"query": NODE_BY_ID, "variables": {"id": global_id("GridCell", 1)}},
        headers={"accept": JSON, "x-linzhi-read-path": "resolvers"},
    )

    # THEN the error is reported at its path without the internal message
    assert response.status_code == 200
    payload = response.json()
    assert payload["data"] == {"node": None}
    [error] = payload["errors"]
    assert error["path"] == ["node"]
    assert "secret" not in response.text
    assert "RuntimeError" not in response.text


# --- GET and malformed requests ---------------------------------------------------------------------


async def test_get_runs_queries(client: httpx.AsyncClient) -> None:
    # GIVEN a query in the URL
    # WHEN a client GETs it
    response = await client.get("/graphql", params={"query": TYPENAME}, headers={"accept": JSON})

    # THEN it runs
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
async def test_mutation_over_get_is_405(client: httpx.AsyncClient, accept: str) -> None:
    # GIVEN a mutation in the URL
    # WHEN a client GETs it
    response = await client.get("/graphql", params={"query": MUTATION}, headers={"accept": accept})

    # THEN it is refused as a method error that points to POST, with a JSON error body
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["content-type"].startswith(accept)
    assert response.json()["errors"][0]["message"]


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
async def test_malformed_json_body_is_400(client: httpx.AsyncClient, accept: str) -> None:
    # GIVEN a body that is not JSON
    # WHEN it is POSTed as application/json
    response = await client.post(
        "/graphql", content=b'{ "not a JSON', headers={"content-type": JSON, "accept": accept}
    )

    # THEN it gets 400 with a JSON error body in the accepted media type
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(accept)
    assert response.json()["errors"][0]["message"]


async def test_missing_query_is_400(client: httpx.AsyncClient) -> None:
    # GIVEN a JSON body without a query
    # WHEN it is POSTed
    response = await post(client, {"notquery": TYPENAME}, accept=GRAPHQL_RESPONSE)

    # THEN it gets 400 with a JSON error body
    assert response.status_code == 400
    assert "data" not in response.json()
    assert response.json()["errors"]


async def test_graphql_responses_carry_the_security_headers(client: httpx.AsyncClient) -> None:
    # GIVEN any GraphQL request
    # WHEN it is answered
    response = await post(client, {"query": TYPENAME})

    # THEN the security headers are present
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
