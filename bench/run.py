"""Run the benchmark: Linzhi served as users run it, the hand-written floor, wrk as load generator.

    python -m bench.run [--database-url URL] [--duration 10] [--warmup 3] [--ops q1,q2,...]
                        [--concurrency 1,8] [--workers 1,2]

Writes bench/results/<timestamp>-<db>.json and prints a Markdown table (Linzhi, floor, ratio).
Every server it starts is stopped at the end; it only ever talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import operations
from bench.operations import Operation, Picks

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
S_SQLITE = ROOT / "data" / "bench_s.sqlite3"
DEV_SQLITE = Path("/tmp/bench_dev.sqlite3")
HOST = "127.0.0.1"
W1_TOKENS = 32


def default_database_url() -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    return f"sqlite://{S_SQLITE if S_SQLITE.exists() else DEV_SQLITE}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# --- servers ----------------------------------------------------------------------------------


class Server:
    """A server subprocess in its own process group, stopped (group-wide) on `stop`."""

    def __init__(self, name: str, argv: list[str], port: int, env: dict[str, str], cwd: Path = ROOT) -> None:
        self.name, self.port = name, port
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.log.name}")
            try:
                httpx.get(self.url + path, timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout}s: see {self.log.name}")

    def pids(self) -> list[int]:
        """The server process and its descendants (uvicorn's workers)."""
        found, frontier = [self.proc.pid], [self.proc.pid]
        for _ in range(3):
            children: list[int] = []
            for pid in frontier:
                try:
                    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
                except OSError:
                    continue
                children += [int(c) for c in text.split()]
            found += children
            frontier = children
        return found

    def peak_rss_mb(self) -> dict[str, float]:
        """VmHWM of every process (MiB): the peak resident set since it started."""
        peaks: dict[str, float] = {}
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            if match:
                peaks[str(pid)] = round(int(match.group(1)) / 1024, 1)
        return peaks

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.log.close()


def start_linzhi(url: str, workers: int, root: Path = ROOT) -> Server:
    port = free_port()
    # No anonymous or session rate limit: the load generator is one client at full speed
    # (docs/performance.md); the per-token limit stays, the w1 tokens are spread to stay under it.
    env = {
        **os.environ,
        "LINZHI_DATABASE_URL": url,
        "LINZHI_ENV": "development",
        "LINZHI_RATE_LIMIT_ANONYMOUS": "off",
        "LINZHI_RATE_LIMIT_SESSION": "off",
        # Repeating one request is the result cache's best case: the comparison with the floor is
        # without it (BENCH_CACHE=memory to measure it; bench/cache_bench.py measures hits and misses).
        "LINZHI_CACHE": os.environ.get("BENCH_CACHE", "off"),
    }
    argv = [sys.executable, "-m", "api.cli", "serve", "--host", HOST, "--port", str(port)]
    server = Server(f"linzhi-w{workers}", [*argv, "--workers", str(workers)], port, env, cwd=root)
    server.wait_ready("/graphql?query=%7B__typename%7D")
    return server


def start_floor(url: str) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "bench.floor", "--database-url", url, "--port", str(port)]
    server = Server("floor", argv, port, dict(os.environ))
    server.wait_ready("/q2?search=0")
    return server


# --- load generation --------------------------------------------------------------------------


def wrk_available() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: `sudo apt-get install -y wrk` (make bench tries it)")
    return wrk


def run_wrk(
    base: str, path: str, script: Path, env: dict[str, str], concurrency: int, seconds: float
) -> dict[str, Any]:
    threads = min(concurrency, 4)
    argv = [wrk_available(), "-t", str(threads), "-c", str(concurrency), "-d", f"{max(1, round(seconds))}s"]
    argv += ["--timeout", "10s", "-s", str(script), base + path]
    done = subprocess.run(
        argv, env={**os.environ, **env}, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    match = re.search(r"^BENCH_JSON (.*)$", done.stdout, re.M)
    if match is None:
        raise RuntimeError(f"wrk failed: {done.stdout}\n{done.stderr}")
    raw = json.loads(match.group(1))
    user_errors = re.search(r"^BENCH_USER_ERRORS (\d+)$", done.stdout, re.M)
    duration = raw["duration_us"] / 1e6
    errors = raw["non2xx"] + raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    return {
        "requests": raw["requests"],
        "rps": round(raw["requests"] / duration, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "errors": errors + (int(user_errors.group(1)) if user_errors else 0),
        "non2xx": raw["non2xx"],
    }


def cpu_ticks(pids: list[int]) -> int:
    """utime + stime (clock ticks) of the processes still alive."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)
    return total


def postgres_backends(url: str) -> list[int]:
    """The local PostgreSQL backends connected to the benchmark's database (their process title
    names it), for the database's share of a request's CPU; none for SQLite or a remote server."""
    if not operations.is_postgres(url):
        return []
    database = f" {url.rsplit('/', 1)[-1]} "
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and database in title:
            found.append(int(entry.name))
    return found


def measure(
    base: str,
    op: Operation,
    lua: Path,
    env: dict[str, str],
    concurrency: int,
    warmup: float,
    duration: float,
    cpu_of: tuple[list[int], str] | None = None,
) -> dict[str, Any]:
    """wrk's figures; with `cpu_of` (the server's pids, the database URL) also the CPU time per
    request of the server and of the PostgreSQL backends serving it, in ms (utime + stime from
    /proc over the measured run: on a shared machine a steadier figure than req/s)."""
    path = op.floor_path if "floor" in env.get("BENCH_TARGET", "") else op.path
    assert path is not None
    if warmup > 0:
        run_wrk(base, path, lua, env, concurrency, warmup)
    if cpu_of is None:
        return run_wrk(base, path, lua, env, concurrency, duration)
    server, backends = cpu_of[0], postgres_backends(cpu_of[1])
    before = cpu_ticks(server), cpu_ticks(backends)
    row = run_wrk(base, path, lua, env, concurrency, duration)
    after = cpu_ticks(server), cpu_ticks(backends)
    per_tick = 1000 / os.sysconf("SC_CLK_TCK")
    requests = max(row["requests"], 1)
    row["server_cpu_ms"] = round((after[0] - before[0]) * per_tick / requests, 3)
    row["db_cpu_ms"] = round((after[1] - before[1]) * per_tick / requests, 3) if backends else None
    return row


# --- verification and SQL statement counts ----------------------------------------------------


class SqlLog(logging.Handler):
    """Counts the statements Tortoise sends (as tests/conftest.py's SqlLog) and keeps the start of
    each, for the per-operation breakdown in the results."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().lstrip()
        if message.upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
            self.statements.append(" ".join(message.split(":", 1)[0].split())[:160])


def request_args(op: Operation, token: str | None = None) -> dict[str, Any]:
    headers = {**op.headers, **({"authorization": f"Bearer {token}"} if token else {})}
    if op.body is None:
        return {"method": "GET", "url": op.path, "headers": headers}
    return {"method": "POST", "url": op.path, "json": op.body, "headers": headers}


async def w1_pair(client: httpx.AsyncClient, op: Operation, token: str) -> str | None:
    """One activityCreate + activitySubmit; an error message, or None when both succeed."""
    created = await client.request(**request_args(op, token))
    body = created.json()
    payload = (body.get("data") or {}).get("activityCreate") or {}
    if (
        created.status_code != 200
        or body.get("errors")
        or payload.get("userErrors")
        or not payload.get("activity")
    ):
        return f"activityCreate: {created.status_code} {created.text[:300]}"
    submit = {"query": operations.W1_SUBMIT, "variables": {"input": {"id": payload["activity"]["id"]}}}
    done = await client.post("/graphql", json=submit, headers={"authorization": f"Bearer {token}"})
    body = done.json()
    result = (body.get("data") or {}).get("activitySubmit") or {}
    if done.status_code != 200 or body.get("errors") or result.get("userErrors"):
        return f"activitySubmit: {done.status_code} {done.text[:300]}"
    return None


async def in_process(
    url: str, picks: Picks, ops: list[Operation], token: str | None
) -> dict[str, list[str] | None]:
    """One request per operation through the ASGI app in this process: the SQL statements of a
    request (the second of two, so start-up caches are warm)."""
    from api.app import create_app
    from api.settings import Settings

    # the served servers' settings (`start_linzhi`): no anonymous or session counter per request
    settings = Settings.from_env().with_(
        database_url=url, env="development", rate_limit_anonymous="off", rate_limit_session="off"
    )
    app = create_app(settings)
    log = SqlLog()
    logger = logging.getLogger("tortoise.db_client")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(log)
    statements: dict[str, list[str] | None] = {}
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                for op in ops:
                    if op.write and token is None:
                        statements[op.name] = None
                        continue
                    for _ in range(2):
                        log.statements = []
                        if op.write:
                            assert token is not None
                            await w1_pair(client, op, token)
                        else:
                            await client.request(**request_args(op))
                    statements[op.name] = log.statements
    finally:
        logger.removeHandler(log)
    return statements


def q3_deep_cursor(base: str, picks: Picks, pages: int) -> tuple[str | None, int]:
    """The cursor that opens page `pages` of q3 (following endCursor from page 1), or that of the
    last page when there are fewer; and the page number it opens."""
    variables: dict[str, Any] = {"subtree": operations.global_id("GridCell", picks.town_id), "after": None}
    cursor, page = None, 1
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(pages - 1):
            response = client.post("/graphql", json=operations.graphql(operations.Q3, variables))
            data = response.json()["data"]["activities"]
            if len(data["nodes"]) < 50 or data["pageInfo"]["endCursor"] is None:
                break
            probe = {**variables, "after": data["pageInfo"]["endCursor"]}
            more = client.post("/graphql", json=operations.graphql(operations.Q3, probe)).json()
            if not more["data"]["activities"]["nodes"]:
                break
            cursor, page = data["pageInfo"]["endCursor"], page + 1
            variables["after"] = cursor
    return cursor, page


def verify(base: str, op: Operation) -> tuple[str | None, Any]:
    """One request before the run: the expected data, or what is wrong."""
    assert op.check is not None
    with httpx.Client(base_url=base, timeout=30) as client:
        response = client.request(**request_args(op))
    problem = op.check(response.status_code, response.text)
    served_by = response.headers.get(operations.READ_PATH_HEADER)
    if problem is None and op.read_path is not None and served_by != op.read_path:
        problem = f"answered by the {served_by} read path, expected {op.read_path}"
    return problem, (response.json() if op.body is not None and problem is None else None)


# --- the run ----------------------------------------------------------------------------------


def db_label(url: str) -> str:
    if operations.is_postgres(url):
        return "postgres-" + url.rsplit("/", 1)[-1]
    return "sqlite-" + Path(operations.sqlite_path(url)).stem


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=default_database_url())
    parser.add_argument("--duration", type=float, default=float(os.environ.get("BENCH_DURATION", 10)))
    parser.add_argument("--warmup", type=float, default=float(os.environ.get("BENCH_WARMUP", 3)))
    parser.add_argument(
        "--ops",
        default=os.environ.get("BENCH_OPS", "q1,q2,q3p1,q3deep,q4,o1,f1,p1,p2,w1"),
        help="q1-q4, o1 and f1 run on the compiled path and again as <op>-resolvers",
    )
    parser.add_argument("--concurrency", default=os.environ.get("BENCH_CONCURRENCY", "1,8"))
    parser.add_argument(
        "--workers", default=os.environ.get("BENCH_WORKERS"), help="default: 1, and 1,2 on PostgreSQL"
    )
    parser.add_argument("--no-floor", action="store_true")
    args = parser.parse_args(argv)
    wrk_available()
    url: str = args.database_url
    wanted = [o.strip() for o in args.ops.split(",") if o.strip()]
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    workers = [int(w) for w in (args.workers or ("1,2" if operations.is_postgres(url) else "1")).split(",")]

    picks = asyncio.run(operations.pick(url))
    print(f"database {url}; picks: {json.dumps(asdict(picks), ensure_ascii=False)}", flush=True)
    started = datetime.now(UTC)
    result: dict[str, Any] = {
        "started": started.isoformat(),
        "database_url": url,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "picks": asdict(picks),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "operations": {},
        "runs": [],
    }
    servers: list[Server] = []
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        tokens: list[str] = []
        if "w1" in wanted and picks.leader_user_id is not None:
            tokens = asyncio.run(operations.create_tokens(url, picks, W1_TOKENS))
        linzhi = start_linzhi(url, 1)
        servers.append(linzhi)
        cursor, page = (None, 0)
        if "q3deep" in wanted:
            cursor, page = q3_deep_cursor(linzhi.url, picks, operations.Q3_DEEP_PAGE)
            if cursor is None:
                print("q3deep: the town has a single page of activities; skipped", flush=True)
        # w1 inserts rows: it runs last, so the reads see the same data in every configuration.
        # "q2" selects q2 on both read paths; "q2-resolvers" the resolver path alone.
        ops = [op for op in operations.build(picks, cursor, page) if {op.name, op.floor_of} & set(wanted)]
        ops.sort(key=lambda op: op.write)
        linzhi.stop()
        servers.remove(linzhi)
        statements = asyncio.run(in_process(url, picks, ops, tokens[0] if tokens else None))
        floor = None if args.no_floor else start_floor(url)
        if floor is not None:
            servers.append(floor)
        for op in ops:
            sent = statements.get(op.name)
            result["operations"][op.name] = {
                "description": op.description,
                "note": op.note,
                "sql_statements": None if sent is None else len(sent),
                "floor_of": op.floor_of,
                "sql": sent,
                "request": op.body if op.body is not None else {"GET": op.path},
            }
        for n_workers in workers:
            server = start_linzhi(url, n_workers)
            servers.append(server)
            for op in ops:
                info = result["operations"][op.name]
                body_file = workdir / f"{op.name}.json"
                if op.body is not None:
                    body_file.write_text(json.dumps(op.body, ensure_ascii=False), encoding="utf-8")
                lua = operations.write_lua(workdir, op)
                env = {"BENCH_BODY_FILE": str(body_file), "BENCH_TARGET": "linzhi"}
                if op.write:
                    if not tokens:
                        info["skipped"] = "no micro-leader user (bench.leader / demo.leader) in this database"
                        continue
                    env["BENCH_TOKENS"] = ",".join(tokens)
                    env["BENCH_SUBMIT_QUERY"] = json.dumps(operations.W1_SUBMIT)
                    problem, linzhi_data = asyncio.run(_w1_check(server.url, op, tokens[0])), None
                else:
                    problem, linzhi_data = verify(server.url, op)
                if problem:
                    info.setdefault("verification", {})[f"linzhi-w{n_workers}"] = problem
                    print(f"{op.name}: verification FAILED on Linzhi: {problem}", flush=True)
                    continue
                for c in concurrencies:
                    if info.get("skipped"):
                        break
                    cpu_of = (server.pids(), url)
                    row = measure(server.url, op, lua, env, c, args.warmup, args.duration, cpu_of)
                    row.update(op=op.name, target="linzhi", workers=n_workers, concurrency=c)
                    row["peak_rss_mb"] = server.peak_rss_mb()
                    result["runs"].append(row)
                    print(f"  linzhi workers={n_workers} {op.name} c{c}: {row}", flush=True)
                if floor is not None and op.floor_path and n_workers == workers[0]:
                    _floor_op(floor, op, lua, env, concurrencies, args, info, linzhi_data, result)
            result.setdefault("server_peak_rss_mb", {})[f"linzhi-w{n_workers}"] = server.peak_rss_mb()
            server.stop()
            servers.remove(server)
        if floor is not None:
            result.setdefault("server_peak_rss_mb", {})["floor"] = floor.peak_rss_mb()
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{started.strftime('%Y%m%dT%H%M%SZ')}-{db_label(url)}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print()
    print(markdown(result))
    print(f"\nresults: {out.relative_to(ROOT)}")
    return 0


async def _w1_check(base: str, op: Operation, token: str) -> str | None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        return await w1_pair(client, op, token)


def _floor_op(
    floor: Server,
    op: Operation,
    lua: Path,
    env: dict[str, str],
    concurrencies: list[int],
    args: argparse.Namespace,
    info: dict[str, Any],
    linzhi_data: Any,
    result: dict[str, Any],
) -> None:
    assert op.floor_path is not None
    with httpx.Client(base_url=floor.url, timeout=30) as client:
        response = client.get(op.floor_path)
    if response.status_code != 200:
        info["floor_verification"] = f"HTTP {response.status_code}: {response.text[:200]}"
        return
    # `data` only: in development Linzhi adds response extensions (which read path ran).
    floor_data = response.json().get("data")
    if linzhi_data is not None:
        info["floor_same_json"] = floor_data == linzhi_data.get("data")
        if not info["floor_same_json"]:
            print(f"{op.name}: the floor's JSON differs from Linzhi's", flush=True)
    floor_lua = operations.write_lua(lua.parent, Operation(op.name + "-floor", "", op.floor_path))
    for c in concurrencies:
        floor_env = {**env, "BENCH_TARGET": "floor"}
        cpu_of = (floor.pids(), args.database_url)
        row = measure(floor.url, op, floor_lua, floor_env, c, args.warmup, args.duration, cpu_of)
        row.update(op=op.name, target="floor", workers=1, concurrency=c)
        result["runs"].append(row)
        print(f"  floor {op.name} c{c}: {row}", flush=True)


def cpu_cell(row: dict[str, Any] | None) -> str:
    """`server+db` CPU ms per request (`measure`), – when not measured."""
    if not row or row.get("server_cpu_ms") is None:
        return "–"
    db = row.get("db_cpu_ms")
    return f"{row['server_cpu_ms']:.3f}" + ("" if db is None else f"+{db:.3f}")


def markdown(result: dict[str, Any]) -> str:
    floor = {(r["op"], r["concurrency"]): r for r in result["runs"] if r["target"] == "floor"}
    lines = [
        "| op | workers | conc | Linzhi req/s | p50 ms | p99 ms | errors | SQL/req "
        "| floor req/s | floor p50 ms | Linzhi/floor (req/s) | CPU ms/req server+db | floor CPU ms/req |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["runs"]:
        if r["target"] != "linzhi":
            continue
        f = floor.get((result["operations"][r["op"]].get("floor_of") or r["op"], r["concurrency"]))
        sql = result["operations"][r["op"]].get("sql_statements")
        ratio = f"{r['rps'] / f['rps']:.2f}" if f and f["rps"] else "–"
        floor_rps = f"{f['rps']:,.0f}" if f else "–"
        cells = [r["op"], r["workers"], r["concurrency"], f"{r['rps']:,.0f}", r["p50_ms"], r["p99_ms"]]
        cells += [r["errors"], "–" if sql is None else sql, floor_rps, f["p50_ms"] if f else "–", ratio]
        cells += [cpu_cell(r), cpu_cell(f)]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    for name, info in result["operations"].items():
        if info.get("skipped"):
            lines.append(f"\n{name}: {info['skipped']}")
    rss = result.get("server_peak_rss_mb", {})
    if rss:
        lines.append("\nPeak RSS (VmHWM, MiB, per process): " + "; ".join(f"{k} {v}" for k, v in rss.items()))
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
