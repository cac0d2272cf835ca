"""Writes and pages against their floors (issue 16): w1, p1 and p2 on Linzhi and on `bench.floor`,
interleaved, with the CPU each request costs.

    python -m bench.writes --database-url postgres://… [--duration 8] [--warmup 2] [--rounds 2]
                           [--ops w1,p1,p2] [--concurrency 1,8] [--workers 1,2]

Each round starts Linzhi and the floor with the same number of workers and measures, per
operation and concurrency, Linzhi then the floor (so a change in the machine's load hits both).
For each run: req/s, latencies, errors, and CPU time per request — of the server's processes
(utime + stime from /proc) and of the PostgreSQL backends serving this database — plus, while it
runs, how many backends wait on a lock (pg_locks sampled every 20 ms; the audit chain's advisory
lock shows up as `advisory`). PostgreSQL only (the write floor writes with asyncpg).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import operations, run
from bench.operations import Operation, Picks

CLK_TCK = os.sysconf("SC_CLK_TCK")
LOCK_SAMPLE_S = 0.02


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the processes (seconds); those that exited count 0."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def backend_pids(url: str) -> list[int]:
    sql = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    return [r["pid"] for r in asyncio.run(operations.fetch(url, sql))]


class LockSampler:
    """Counts, every LOCK_SAMPLE_S, the backends of this database waiting for a lock, by lock type."""

    SQL = (
        "SELECT l.locktype, count(*) AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE NOT l.granted AND d.datname = current_database() GROUP BY l.locktype"
    )

    def __init__(self, url: str) -> None:
        self.url = url
        self.samples = 0
        self.waiting: dict[str, int] = {}
        self.any_waiting = 0
        self.pid = 0  # its own backend, left out of the CPU figures
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.run(self._loop())

    async def _loop(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(operations.asyncpg_dsn(self.url))
        self.pid = conn.get_server_pid()
        try:
            while not self._stop.is_set():
                rows = await conn.fetch(self.SQL)
                self.samples += 1
                self.any_waiting += bool(rows)
                for row in rows:
                    self.waiting[row["locktype"]] = self.waiting.get(row["locktype"], 0) + row["n"]
                await asyncio.sleep(LOCK_SAMPLE_S)
        finally:
            await conn.close()

    def __enter__(self) -> LockSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def summary(self) -> dict[str, Any]:
        n = max(self.samples, 1)
        return {
            "lock_samples": self.samples,
            "share_with_waiters": round(self.any_waiting / n, 3),
            "mean_waiting": {kind: round(count / n, 2) for kind, count in self.waiting.items()},
        }


def measured(
    url: str, server: run.Server, path: str, lua: Path, env: dict[str, str], c: int, args: argparse.Namespace
) -> dict[str, Any]:
    """One wrk run after a warm-up, with CPU per request and lock waits."""
    if args.warmup > 0:
        run.run_wrk(server.url, path, lua, env, c, args.warmup)
    pids = server.pids()
    before = {pid: cpu_seconds([pid]) for pid in backend_pids(url)}
    cpu0, t0 = cpu_seconds(pids), time.monotonic()
    with LockSampler(url) as locks:
        row = run.run_wrk(server.url, path, lua, env, c, args.duration)
    wall = time.monotonic() - t0
    # backends that connected during the run count from zero
    cpu = cpu_seconds(pids) - cpu0
    serving = (set(before) | set(backend_pids(url))) - {locks.pid}
    pg = sum(cpu_seconds([pid]) - before.get(pid, 0) for pid in serving)
    requests = max(row["requests"], 1)
    row.update(
        server_cpu_ms_per_req=round(cpu * 1000 / requests, 3),
        pg_cpu_ms_per_req=round(pg * 1000 / requests, 3),
        server_cpu_share=round(cpu / wall, 2),
        load_avg=os.getloadavg()[0],
        **locks.summary(),
    )
    return row


def tokens_from(root: Path, url: str, picks: Picks) -> list[str]:
    """w1's tokens, made by the code of the Linzhi being measured (an older tree writes its own
    audit rows)."""
    if root == run.ROOT:
        return asyncio.run(operations.create_tokens(url, picks, run.W1_TOKENS))
    script = (
        "import asyncio, json, sys\n"
        "from bench import operations\n"
        "picks = asyncio.run(operations.pick(sys.argv[1]))\n"
        "print(json.dumps(asyncio.run(operations.create_tokens(sys.argv[1], picks, int(sys.argv[2])))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, url, str(run.W1_TOKENS)],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    tokens: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return tokens


def floor_path(op: Operation, picks: Picks) -> str | None:
    """Where the floor answers `op` (p2 at Linzhi's own path: the floor renders the same page)."""
    return {"w1": "/graphql", "p1": f"/p1/{picks.town_code}", "p2": op.path}.get(op.name)


def start_floor(url: str, workers: int, lock: str) -> run.Server:
    port = run.free_port()
    argv = [sys.executable, "-m", "bench.floor", "--database-url", url, "--port", str(port)]
    env = {**os.environ, "BENCH_FLOOR_AUDIT_LOCK": lock}
    server = run.Server(f"floor-w{workers}", [*argv, "--workers", str(workers)], port, env)
    server.wait_ready("/q1")
    return server


def one_round(
    url: str,
    picks: Picks,
    ops: list[Operation],
    tokens: list[str],
    n_workers: int,
    args: argparse.Namespace,
    workdir: Path,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    servers: list[run.Server] = []
    if "linzhi" in args.targets:
        servers.append(run.start_linzhi(url, n_workers, Path(args.linzhi_root).resolve()))
    if "floor" in args.targets:
        servers.append(start_floor(url, n_workers, args.floor_lock))
    try:
        for op in ops:
            body_file = workdir / f"{op.name}.json"
            if op.body is not None:
                body_file.write_text(json.dumps(op.body, ensure_ascii=False), encoding="utf-8")
            lua = operations.write_lua(workdir, op)
            env = {"BENCH_BODY_FILE": str(body_file)}
            if op.write:
                env["BENCH_TOKENS"] = ",".join(tokens)
                env["BENCH_SUBMIT_QUERY"] = json.dumps(operations.W1_SUBMIT)
            for c in [int(c) for c in args.concurrency.split(",")]:
                for server in servers:
                    target = "floor" if server.name.startswith("floor") else "linzhi"
                    path = op.path if target == "linzhi" else floor_path(op, picks)
                    if path is None:
                        continue
                    row = measured(url, server, path, lua, env, c, args)
                    row.update(op=op.name, target=target, workers=n_workers, concurrency=c)
                    rows.append(row)
                    print(f"  {target} w{n_workers} {op.name} c{c}: {row}", flush=True)
    finally:
        for server in servers:
            server.stop()
    return rows


def markdown(runs: list[dict[str, Any]]) -> str:
    """Per op, workers and concurrency: the median of the rounds for each target."""
    groups: dict[tuple[str, int, int, str], list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault((r["op"], r["workers"], r["concurrency"], r["target"]), []).append(r)

    def median(rows: list[dict[str, Any]], key: str) -> float:
        values = sorted(r[key] for r in rows)
        return values[len(values) // 2]

    lines = [
        "| op | workers | conc | Linzhi req/s | floor req/s | Linzhi/floor | Linzhi p50 ms | floor p50 ms "
        "| Linzhi CPU ms/req (server + PG) | floor CPU ms/req (server + PG) | lock waiters (Linzhi / floor) "
        "| errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (op, workers, c, target), rows in groups.items():
        if target != "linzhi":
            continue
        floor = groups.get((op, workers, c, "floor"), [])
        rps = median(rows, "rps")
        f_rps = median(floor, "rps") if floor else 0
        cells = [op, workers, c, f"{rps:,.0f}", f"{f_rps:,.0f}", f"{rps / f_rps:.2f}" if f_rps else "–"]
        cells += [median(rows, "p50_ms"), median(floor, "p50_ms") if floor else "–"]
        for side in (rows, floor):
            cells.append(
                f"{median(side, 'server_cpu_ms_per_req'):.2f} + {median(side, 'pg_cpu_ms_per_req'):.2f}"
                if side
                else "–"
            )
        waits = [median(side, "share_with_waiters") if side else 0 for side in (rows, floor)]
        cells.append(f"{waits[0]:.0%} / {waits[1]:.0%}")
        cells.append(sum(r["errors"] for r in rows + floor))
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.writes", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"), required=False)
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--ops", default="w1,p1,p2")
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--label", default="", help="added to the result file's name")
    parser.add_argument("--targets", default="linzhi,floor")
    parser.add_argument(
        "--linzhi-root", default=str(run.ROOT), help="serve Linzhi from this tree (e.g. an older commit)"
    )
    parser.add_argument(
        "--floor-lock", default="chain", choices=["chain", "global"], help="global: one audit lock for all"
    )
    args = parser.parse_args(argv)
    url: str | None = args.database_url
    if not url or not operations.is_postgres(url):
        raise SystemExit("bench.writes needs --database-url postgres://… (the write floor is asyncpg)")
    run.wrk_available()
    wanted = [o.strip() for o in args.ops.split(",") if o.strip()]
    picks = asyncio.run(operations.pick(url))
    ops = [op for op in operations.build(picks, None, 0) if op.name in wanted]
    ops.sort(key=lambda op: op.write)
    tokens = tokens_from(Path(args.linzhi_root).resolve(), url, picks) if "w1" in wanted else []
    started = datetime.now(UTC)
    print(f"database {url}; picks: {json.dumps(asdict(picks), ensure_ascii=False)}", flush=True)
    runs: list[dict[str, Any]] = []
    workdir = Path(tempfile.mkdtemp(prefix="bench-writes-"))
    try:
        for _ in range(args.rounds):
            for n_workers in [int(w) for w in args.workers.split(",")]:
                runs += one_round(url, picks, ops, tokens, n_workers, args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "started": started.isoformat(),
        "args": vars(args),
        "database_url": url,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "rounds": args.rounds,
        "picks": asdict(picks),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "runs": runs,
    }
    run.RESULTS.mkdir(exist_ok=True)
    label = f"-{args.label}" if args.label else ""
    out = run.RESULTS / f"{started.strftime('%Y%m%dT%H%M%SZ')}-writes-{run.db_label(url)}{label}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print()
    print(markdown(runs))
    print(f"\nresults: {out.relative_to(run.ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
