"""A `linzhi serve` subprocess for the transport tests, its stderr kept in a file to read."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import _free_port


@dataclass
class Server:
    url: str
    log_file: Path

    @property
    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")


@asynccontextmanager
async def serve(database_url: str, workdir: Path, **env: str) -> AsyncIterator[Server]:
    """`linzhi serve` on a free port against `database_url`, until the block ends. Waits without
    blocking the event loop (a `TcpProxy` in this process may carry its database traffic)."""
    port = _free_port()
    log_file = workdir / "server.log"
    environment = {
        **os.environ,
        "LINZHI_DATABASE_URL": database_url,
        "LINZHI_DATA_DIR": str(workdir / "data"),
        "LINZHI_ACCESS_LOG": "false",
        **env,
    }
    with log_file.open("w", encoding="utf-8") as log:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "api.cli", "serve", "--port", str(port)),
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = Server(url=f"http://127.0.0.1:{port}", log_file=log_file)
        try:
            await _wait_until_listening(server, process)
            yield server
        finally:
            process.terminate()
            await asyncio.wait_for(process.wait(), timeout=10)


async def _wait_until_listening(
    server: Server, process: asyncio.subprocess.Process, seconds: float = 30
) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"the server exited:\n{server.log}")
            try:
                await client.get(f"{server.url}/healthz", timeout=5)
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{server.url} did not start:\n{server.log}")


class TcpProxy:
    """A TCP forwarder to `target` that the test can cut (every connection dropped, new ones
    refused) and restore on the same port: the database goes away while it keeps running."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = _free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones, as a stopped database would."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        self._writers |= {client_writer, upstream_writer}
        await asyncio.gather(
            self._pipe(client_reader, upstream_writer),
            self._pipe(upstream_reader, client_writer),
            return_exceptions=True,
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        finally:
            writer.transport.abort()
            self._writers.discard(writer)
