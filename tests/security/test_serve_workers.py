"""`linzhi serve --workers N` as operators run it: SIGTERM to the supervisor ends every worker,
and so does the supervisor's death by SIGKILL (no orphan keeps serving on the port). Also: the
real server does not let uvicorn rewrite the client address from X-Forwarded-For."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import _free_port, wait_until_healthy
from tests.test_migrations import _migrate_to

ROOT = Path(__file__).resolve().parents[2]
STOP_SECONDS = 10


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serve") / "template.sqlite3"
    asyncio.run(_migrate_to(f"sqlite://{path}"))
    return path


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a live process, None once it is gone (a zombie counts as gone)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, ppid = raw[raw.rindex(")") + 2 :].split()[:2]
    return None if state in {"Z", "X"} else (state, int(ppid))


def _children(parent: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat and stat[1] == parent:
                found.add(int(entry.name))
    return found


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _wait(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


class Served:
    def __init__(self, process: subprocess.Popen[bytes], port: int, database: Path) -> None:
        self.process, self.port, self.database = process, port, database
        self.url = f"http://127.0.0.1:{port}"

    def workers(self) -> set[int]:
        """The supervisor's children: both workers (and multiprocessing's resource tracker)."""
        return _children(self.process.pid)


@pytest.fixture
def served(tmp_path: Path, migrated_template: Path) -> Iterator[Served]:
    database = tmp_path / "linzhi.sqlite3"
    shutil.copy(migrated_template, database)
    port = _free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LINZHI_")}
    env = {**clean, "LINZHI_DATABASE_URL": f"sqlite://{database}", "LINZHI_ACCESS_LOG": "false"}
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--workers", "2", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so that cleanup below reaches only it
    )
    server = Served(process, port, database)
    started: set[int] = set()
    try:
        wait_until_healthy(server.url, seconds=90)
        assert _wait(lambda: len(server.workers()) >= 2, 30)
        started = server.workers()
        yield server
    finally:
        leftovers = started | server.workers()
        if process.poll() is None:
            process.kill()
        process.wait(timeout=STOP_SECONDS)
        for pid in leftovers:
            if _stat(pid):
                os.kill(pid, signal.SIGKILL)


def test_sigterm_to_the_supervisor_stops_every_worker(served: Served) -> None:
    # (one server start serves two checks: each costs seconds)
    _check_forwarded_for_is_not_believed(served)
    workers = served.workers()
    # WHEN the supervisor gets SIGTERM (systemd stop, docker stop)
    served.process.send_signal(signal.SIGTERM)
    # THEN it exits, every worker is gone, and the port is free, within seconds
    assert served.process.wait(timeout=STOP_SECONDS) is not None
    assert _wait(lambda: not any(_stat(pid) for pid in workers), STOP_SECONDS), workers
    assert _wait(lambda: _port_free(served.port), STOP_SECONDS)


def _check_forwarded_for_is_not_believed(served: Served) -> None:
    # GIVEN the real server with its default configuration (no trusted proxy), WHEN a local
    # client claims another address in X-Forwarded-For while failing to sign in
    with httpx.Client(base_url=served.url) as client:
        page = client.get("/signin")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        form = {"identifier": "nobody", "password": "x", "csrf_token": token.group(1)}
        refused = client.post("/signin", data=form, headers={"x-forwarded-for": "198.51.100.7"})
    assert refused.status_code == 422
    # THEN the audit row records the real peer (uvicorn's proxy_headers would have believed a
    # local peer's header)
    with sqlite3.connect(served.database) as conn:
        rows = conn.execute("SELECT ip FROM audit_log WHERE action = 'auth.sign_in_failed'").fetchall()
    assert rows == [("127.0.0.1",)]


def test_the_workers_end_when_the_supervisor_is_killed(served: Served) -> None:
    workers = served.workers()
    # WHEN the supervisor is killed outright (OOM killer, kill -9): it cannot stop its workers
    served.process.kill()
    served.process.wait(timeout=STOP_SECONDS)
    # THEN the workers end anyway, and nothing keeps answering on the port
    assert _wait(lambda: not any(_stat(pid) for pid in workers), STOP_SECONDS), [
        (pid, _stat(pid)) for pid in workers
    ]
    assert _wait(lambda: _port_free(served.port), STOP_SECONDS)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{served.url}/healthz", timeout=1)
