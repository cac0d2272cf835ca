"""Request bodies are limited per route while they stream in: the server stops reading at the
limit and answers 413 (GraphQL: a GraphQL JSON error; pages: a Chinese page), so an oversize body
is never buffered, parsed or written to disk."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.guards import FORM_LIMIT, GRAPHQL_JSON_LIMIT, MB, UPLOAD_LIMIT
from domain import storage
from domain.activities import photos
from domain.activities.models import Activity
from tests.factories_activities import build_cast
from tests.security.transport_server import serve
from tests.web.session import Browser, signed_in
from tests.web.test_activity_pages import mediation_form

CHUNK = 64 * 1024
JSON_HEADERS = {"content-type": "application/json"}


@pytest.fixture(autouse=True)
def data_folder(tmp_path: Path) -> Iterator[Path]:
    previous = storage.configure(tmp_path / "data")
    yield tmp_path / "data"
    storage.configure(previous)


@dataclass
class Stream:
    """A request body produced chunk by chunk, counting what the server pulled."""

    head: bytes
    size: int
    tail: bytes = b""
    sent: int = 0

    async def chunks(self) -> AsyncIterator[bytes]:
        for part in self._parts():
            self.sent += len(part)
            yield part

    def sync_chunks(self) -> Iterator[bytes]:
        for part in self._parts():
            self.sent += len(part)
            yield part

    def _parts(self) -> Iterator[bytes]:
        yield self.head
        for _ in range(self.size // CHUNK):
            yield b"a" * CHUNK
        yield self.tail


def graphql_stream(size: int) -> Stream:
    """`{__typename}` with an unused variable padded to `size` bytes: valid JSON, if read."""
    return Stream(b'{"query":"{__typename}","variables":{"pad":"', size, b'"}}')


BOUNDARY = "b0undary"


def multipart_stream(size: int, fields: dict[str, str], file_field: str) -> Stream:
    boundary = BOUNDARY
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    return Stream(head, size, f"\r\n--{boundary}--\r\n".encode())


def multipart_headers() -> dict[str, str]:
    return {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def assert_graphql_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/json")
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert "1 MB" in error["message"]


async def read_until_closed(reader: asyncio.StreamReader) -> bytes:
    received = b""
    try:
        while chunk := await reader.read(65536):
            received += chunk
    except ConnectionError:
        pass  # reset after the answer: the rest of the request body was never read
    return received


# ---------- GraphQL JSON ----------


async def test_a_50_mb_graphql_body_is_refused_once_1_mb_has_streamed_in(client: httpx.AsyncClient) -> None:
    # GIVEN a 50 MB JSON body sent chunk by chunk, without a Content-Length
    body = graphql_stream(50 * MB)
    response = await client.post("/graphql", content=body.chunks(), headers=JSON_HEADERS)

    # THEN the server answered 413 after pulling the first megabyte, and never parsed the rest
    assert_graphql_too_large(response)
    assert GRAPHQL_JSON_LIMIT < body.sent <= GRAPHQL_JSON_LIMIT + CHUNK


async def test_a_declared_content_length_above_the_limit_is_refused_before_reading(
    client: httpx.AsyncClient,
) -> None:
    body = graphql_stream(2 * MB)
    headers = {**JSON_HEADERS, "content-length": str(len(body.head) + 2 * MB + len(body.tail))}
    response = await client.post("/graphql", content=body.chunks(), headers=headers)
    assert_graphql_too_large(response)
    assert body.sent == 0


async def test_a_graphql_body_under_1_mb_is_answered(client: httpx.AsyncClient) -> None:
    body = graphql_stream(GRAPHQL_JSON_LIMIT - 2 * CHUNK)
    response = await client.post("/graphql", content=body.chunks(), headers=JSON_HEADERS)
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_live_server_answers_413_before_an_oversize_body_ends(tmp_path: Path) -> None:
    """Over real TCP (uvicorn): a chunked 50 MB body is sent only a little past the limit and
    never finished; the server answers 413 without waiting for the rest. The client stops writing
    before it reads, so the server closes with nothing unread and the answer cannot be lost to a
    reset (writing on while the server closes would race the kernel's RST against the answer)."""
    database_url = f"sqlite://{tmp_path}/linzhi.sqlite3"
    migrate = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "api.cli", "migrate", env={**os.environ, "LINZHI_DATABASE_URL": database_url}
    )
    assert await migrate.wait() == 0  # as served: the anonymous rate limit counts in the database
    async with serve(database_url, tmp_path) as server:
        host, port = server.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        body = graphql_stream(50 * MB)
        writer.write(
            b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        for chunk in body.sync_chunks():
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
            if body.sent > GRAPHQL_JSON_LIMIT + 2 * CHUNK:
                break  # the body is far from its end: no terminating chunk is ever sent
        response = await asyncio.wait_for(read_until_closed(reader), timeout=15)
        writer.transport.abort()
    status_line, _, rest = response.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
    assert b"PAYLOAD_TOO_LARGE" in rest
    assert body.sent < 2 * GRAPHQL_JSON_LIMIT
    assert "Traceback" not in server.log


# ---------- multipart uploads ----------


async def test_a_200_mb_photo_upload_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, data_folder: Path
) -> None:
    # GIVEN a signed-in leader on the 记一笔 form
    cast = await build_cast()
    browser = await signed_in(client, "leader.li")
    await browser.open("/me/log/new")
    fields = {"csrf_token": browser.token, "cell_id": str(cast.tree.micro_grids[0].id), "title": "巡查"}

    # WHEN they post the form with a 200 MB "photo", streamed
    body = multipart_stream(200 * MB, fields, "photos")
    response = await client.post("/me/log", content=body.chunks(), headers=multipart_headers())

    # THEN a Chinese 413 page, the server stopped at the upload budget, nothing saved or stored
    assert response.status_code == 413
    assert "提交的内容过大" in response.text
    assert f"上限 {UPLOAD_LIMIT // MB} MB" in response.text
    assert body.sent <= UPLOAD_LIMIT + CHUNK
    assert await Activity.all().count() == 0
    assert files_under(data_folder) == []


async def test_six_photos_of_5_mb_fit_the_upload_budget(client: httpx.AsyncClient) -> None:
    """The budget is not smaller than what the form allows: six files of the largest size reach
    the route, which judges them (these are not pictures) instead of a 413."""
    cast = await build_cast()
    browser = await signed_in(client, "leader.li")
    await browser.open("/me/log/new")
    form = mediation_form(cast, action="save")
    junk = [("photos", (f"{i}.jpg", bytes(photos.MAX_BYTES), "image/jpeg")) for i in range(photos.MAX_PHOTOS)]
    response = await browser.submit("/me/log", form, files=junk)
    assert response.status_code != 413
    assert response.text.count("只能上传 JPEG、PNG 或 WebP 格式的图片") == photos.MAX_PHOTOS
    assert await Activity.all().count() == 1


async def test_a_200_mb_graphql_upload_is_refused_with_a_graphql_error(client: httpx.AsyncClient) -> None:
    operations = json.dumps({"query": "mutation ($f: Upload!) { __typename }", "variables": {"f": None}})
    body = multipart_stream(200 * MB, {"operations": operations, "map": '{"0": ["variables.f"]}'}, "0")
    response = await client.post("/graphql", content=body.chunks(), headers=multipart_headers())
    assert response.status_code == 413
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert body.sent <= UPLOAD_LIMIT + CHUNK


# ---------- forms ----------


async def test_a_form_post_over_64_kb_gets_the_chinese_413_page(client: httpx.AsyncClient) -> None:
    browser = Browser(client)
    await browser.open("/signin")
    body = Stream(f"csrf_token={browser.token}&identifier=".encode(), FORM_LIMIT + CHUNK)
    headers = {"content-type": "application/x-www-form-urlencoded"}
    response = await client.post("/signin", content=body.chunks(), headers=headers)
    assert response.status_code == 413
    assert "提交的内容过大" in response.text
    assert "上限 64 KB" in response.text
    assert body.sent <= FORM_LIMIT + CHUNK
    assert client.cookies.get("linzhi_session") is None


async def test_a_form_of_ordinary_size_still_signs_in(client: httpx.AsyncClient) -> None:
    await build_cast()
    browser = await signed_in(client, "leader.li")
    assert browser.session_cookie
