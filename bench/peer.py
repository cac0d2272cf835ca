"""PostGraphile 5.1.5 as the peer: Linzhi (compiled read path), PostGraphile and the floor side by
side on PostgreSQL, interleaved, with CPU time per request (docs/performance.md, issue 16).

    python -m bench.peer [--database-url URL] [--rounds 3] [--duration 5] [--warmup 2]
                         [--ops q1,q2,q3p1,q3deep,q4,o1,f1] [--concurrency 1,8]

PostGraphile and Node 22 come from npm, pinned in bench/peer/package-lock.json (`npm ci` when
bench/peer/node_modules is missing: the only step that needs a network). The run

1. adds a schema `peer` to the database (bench/peer/schema.sql: views carrying the public rules
   of the anonymous reads, q4's function running Linzhi's own rollup statement) and a login role
   `linzhi_bench_peer` whose sessions in this database use generic plans and no JIT, as Linzhi's
   connections do (`domain.db.POSTGRES_SESSION`); the schema is dropped at the end;
2. starts Linzhi (`api.cli serve`, 1 worker, as bench.run), the floor (bench.floor) and
   PostGraphile (bench/peer/server.mjs, NODE_ENV=production, a pool of 8 connections like the
   floor's), and checks that each answers every operation with the same rows as Linzhi;
3. measures round after round, each operation and concurrency on Linzhi, PostGraphile, the floor
   in turn (A, B, C, A, B, C ...), with wrk: requests/s, p50/p99, the server processes' CPU
   (utime + stime from /proc) and the database backends' CPU (every backend of this database in
   pg_stat_activity but the monitor's own, from /proc) per request over the measured window;
4. writes bench/results/<timestamp>-peer-<db>.json and prints Markdown tables: the median and
   range over the rounds of each ratio, and each server's figures.

Every server it starts is stopped at the end; it only ever talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import operations
from bench.operations import Operation, Picks
from bench.run import (
    RESULTS,
    ROOT,
    Server,
    free_port,
    q3_deep_cursor,
    run_wrk,
    start_floor,
    start_linzhi,
    verify,
    wrk_available,
)

PEER_DIR = Path(__file__).resolve().parent / "peer"
NODE = PEER_DIR / "node_modules" / ".bin" / "node"
POSTGRAPHILE_VERSION = "5.1.5"
ROLE = "linzhi_bench_peer"
TARGETS = ("linzhi", "postgraphile", "floor")
CLK_TCK = os.sysconf("SC_CLK_TCK")

# PostGraphile's documents for the same reads (Amber preset names; aliases give Linzhi's field
# names where the shape allows it). The town is its integer id, as the floor takes it.
P2 = """query P2($prefix: String!) {
  gridCells: allGridCells(condition: {codePrefix: $prefix, kind: "MICRO_GRID", retired: false},
                          orderBy: CODE_ASC, first: 100) {
    nodes { code leaders: microLeadersByHomeCellId(condition: {active: true}, orderBy: ROW_ID_ASC) {
      nodes { sourceRole status name cohort: cohortByCohortId { name } } } }
  }
}"""

P3 = """query P3($town: Int!, $after: Cursor) {
  activities: allActivities(condition: {townId: $town}, orderBy: [STARTED_AT_DESC, ROW_ID_DESC],
                            first: 50, after: $after) {
    nodes { title startedAt leader: microLeaderByLeaderId { name } cell: gridCellByCellId { name } }
    pageInfo { endCursor }
  }
}"""

PO1 = """query PO1($town: Int!) {
  organisations: allListedOrganisations(condition: {townId: $town}, orderBy: ROW_ID_ASC, first: 50) {
    nodes { id: rowId name legalFormLabel fieldLabel status statusLabel rating ratingValidUntil isDemo
            homeCell: gridCellByHomeCellId { code name } }
    pageInfo { hasNextPage endCursor }
  }
}"""

PF1 = """query PF1($round: Int!) {
  fundingResults: allFundingResults(condition: {roundId: $round}, orderBy: ROW_ID_ASC, first: 100) {
    nodes { id: rowId projectName status statusLabel awardFen isDemo
            organisation: organisationByOrganisationId { name } }
    pageInfo { hasNextPage endCursor }
  }
}"""

P4 = """query P4($town: Int!, $since: Datetime!, $until: Datetime!) {
  activityCountsByUnit: activityCountsByUnitList(town: $town, since: $since, until: $until) {
    unitId unitName activityType n
  }
}"""


# --- PostGraphile: install, schema, server -----------------------------------------------------


def ensure_postgraphile() -> None:
    """bench/peer/node_modules from the lock file (`npm ci`) unless it is there already."""
    installed = PEER_DIR / "node_modules" / "postgraphile" / "package.json"
    if not NODE.exists() or not installed.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm is not installed: PostGraphile and Node 22 come from npm (bench/peer)")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PEER_DIR, check=True)
    version = json.loads(installed.read_text(encoding="utf-8"))["version"]
    if version != POSTGRAPHILE_VERSION:
        raise SystemExit(f"bench/peer has postgraphile {version}, expected {POSTGRAPHILE_VERSION}: npm ci")


def schema_sql() -> str:
    """bench/peer/schema.sql with Linzhi's q4 statement in the function, its `?` replaced by the
    function's variables in the order `unit_counts_statement` binds its parameters."""
    from domain.activities.rollup import UNIT_COUNTS_SQL

    names = ["town", "m1", "m2", "town", "verified", "l0", "l1", "town", "verified", "r0", "r1"]
    parts = UNIT_COUNTS_SQL.split("?")
    if len(parts) != len(names) + 1:
        raise SystemExit("UNIT_COUNTS_SQL's parameters changed: update bench/peer/schema.sql")
    statement = parts[0] + "".join(name + part for name, part in zip(names, parts[1:], strict=True))
    text = (PEER_DIR / "schema.sql").read_text(encoding="utf-8").replace("-- UNIT_COUNTS_SQL --", statement)
    for name, sql in domain_sql().items():
        text = text.replace("{{" + name + "}}", sql)
    if "{{" in text:
        raise SystemExit("bench/peer/schema.sql names a value bench.peer does not know")
    return text


def _label_case(column: str, labels: dict[Any, str], name: str) -> str:
    whens = " ".join(f"WHEN '{value}' THEN '{label}'" for value, label in labels.items())
    return f"CASE {column} {whens} END AS {name}"


def domain_sql() -> dict[str, str]:
    """The domain's labels and status sets the views of o1 and f1 need, as SQL."""
    from domain.funding.models import APP_STATUS_LABELS, PUBLISHED_STATUSES, RESULT_STAGES
    from domain.organisations.models import LEGAL_FORM_LABELS, ORG_FIELD_LABELS, ORG_STATUS_LABELS

    return {
        "legal_form_label": _label_case("legal_form", LEGAL_FORM_LABELS, "legal_form_label"),
        "field_label": _label_case("field", ORG_FIELD_LABELS, "field_label"),
        "org_status_label": _label_case("status", ORG_STATUS_LABELS, "status_label"),
        "app_status_label": _label_case("a.status", APP_STATUS_LABELS, "status_label"),
        "published_statuses": ", ".join(f"'{s}'" for s in sorted(PUBLISHED_STATUSES)),
        "result_stages": ", ".join(f"'{s}'" for s in sorted(RESULT_STAGES)),
    }


async def install_schema(url: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    database = url.rsplit("/", 1)[-1]
    conn = await asyncpg.connect(operations.asyncpg_dsn(url))
    try:
        await conn.execute(schema_sql())
        if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", ROLE):
            await conn.execute(f"CREATE ROLE {ROLE} LOGIN")
        # Linzhi's connections set these per session (domain.db.POSTGRES_SESSION); the peer's role
        # gets them for this database.
        from domain.db import POSTGRES_SESSION

        for name, value in POSTGRES_SESSION.items():
            await conn.execute(f'ALTER ROLE {ROLE} IN DATABASE "{database}" SET {name} = {value}')
        await conn.execute(
            f"GRANT USAGE ON SCHEMA peer, public TO {ROLE}; "
            f"GRANT SELECT ON ALL TABLES IN SCHEMA peer TO {ROLE}; "
            # q4's PL/pgSQL function runs with the caller's rights
            f"GRANT SELECT ON public.activity, public.activity_month_count, public.grid_cell TO {ROLE}"
        )
    finally:
        await conn.close()


async def drop_schema(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(operations.asyncpg_dsn(url))
    try:
        await conn.execute("DROP SCHEMA IF EXISTS peer CASCADE")
    finally:
        await conn.close()


def role_url(url: str) -> str:
    """The database URL with the peer's role as the user (trust authentication on 127.0.0.1)."""
    scheme, rest = url.split("://", 1)
    host = rest.split("@", 1)[-1]
    return f"{scheme}://{ROLE}@{host}"


def start_postgraphile(url: str) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "NODE_ENV": "production",
        "GRAPHILE_ENV": "production",
        "PEER_DATABASE_URL": role_url(url),
        "PEER_PORT": str(port),
    }
    server = Server("postgraphile", [str(NODE), str(PEER_DIR / "server.mjs")], port, env)
    server.wait_ready("/graphql")
    return server


# --- the operations on each server -------------------------------------------------------------


@dataclass
class Trio:
    """One read as Linzhi, PostGraphile and the floor are asked for it."""

    linzhi: Operation
    peer_body: dict[str, Any]


def peer_bodies(picks: Picks, peer_deep_cursor: str | None) -> dict[str, dict[str, Any]]:
    town = {"town": picks.town_id}
    return {
        "q1": operations.graphql(operations.Q1),
        "q2": operations.graphql(P2, {"prefix": picks.town_code}),
        "q3p1": operations.graphql(P3, {**town, "after": None}),
        "q3deep": operations.graphql(P3, {**town, "after": peer_deep_cursor}),
        "q4": operations.graphql(P4, {**town, "since": picks.since, "until": picks.until}),
        "o1": operations.graphql(PO1, town),
        "f1": operations.graphql(PF1, {"round": picks.funding_round_id}),
    }


def peer_deep_cursor(base: str, picks: Picks, page: int) -> str | None:
    """PostGraphile's own cursor opening page `page` of P3 (its cursors are not Linzhi's)."""
    cursor = None
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(page - 1):
            body = operations.graphql(P3, {"town": picks.town_id, "after": cursor})
            cursor = client.post("/graphql", json=body).json()["data"]["activities"]["pageInfo"]["endCursor"]
    return cursor


def normalise(op: str, data: Any) -> Any:
    """A response's `data` in one comparable form: PostGraphile's connections become lists, q4's
    flat rows are grouped per unit, instants are compared as instants (PostgreSQL prints
    microseconds), cursors are each server's own and left out."""
    if op == "q2":
        for cell in data["gridCells"]["nodes"]:
            if isinstance(cell["leaders"], dict):
                cell["leaders"] = cell["leaders"]["nodes"]
    elif op in ("q3p1", "q3deep"):
        data["activities"].pop("pageInfo", None)
        for node in data["activities"]["nodes"]:
            node["startedAt"] = datetime.fromisoformat(node["startedAt"])
    elif op == "q4" and data["activityCountsByUnit"] and "unitId" in data["activityCountsByUnit"][0]:
        units: list[dict[str, Any]] = []
        last = None
        for row in data["activityCountsByUnit"]:
            if row["unitId"] != last:
                units.append({"cell": {"name": row["unitName"]}, "total": 0, "counts": []})
                last = row["unitId"]
            units[-1]["counts"].append({"activityType": row["activityType"], "count": int(row["n"])})
            units[-1]["total"] += int(row["n"])
        data["activityCountsByUnit"] = units
    elif op in ("o1", "f1"):
        connection = data["organisations" if op == "o1" else "fundingResults"]
        connection["pageInfo"].pop("endCursor", None)
        for node in connection["nodes"]:
            if isinstance(node["id"], str):  # Linzhi's and the floor's GlobalID: its key
                node["id"] = int(base64.b64decode(node["id"]).decode().rsplit(":", 1)[1])
            if op == "f1" and node["awardFen"] is not None:
                node["awardFen"] = int(node["awardFen"])  # PostGraphile's BigInt is a string
    return data


def check_same(base: dict[str, str], trio: Trio) -> dict[str, Any]:
    """Ask each server once; every answer must equal Linzhi's (after `normalise`)."""
    op = trio.linzhi
    problem, linzhi = verify(base["linzhi"], op)
    if problem:
        return {"linzhi": problem}
    with httpx.Client(timeout=30) as client:
        peer = client.post(base["postgraphile"] + "/graphql", json=trio.peer_body).json()
        floor = client.get(base["floor"] + (op.floor_path or "")).json()
    if peer.get("errors"):
        return {"postgraphile": json.dumps(peer["errors"], ensure_ascii=False)[:300]}
    expected = normalise(op.name, linzhi["data"])
    found = {
        "postgraphile_same_rows": normalise(op.name, peer["data"]) == expected,
        "floor_same_rows": normalise(op.name, floor["data"]) == expected,
    }
    return found


# --- CPU accounting ------------------------------------------------------------------------------


def cpu_ticks(pids: list[int]) -> dict[int, int]:
    """utime + stime (clock ticks) of each process still alive."""
    ticks: dict[int, int] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


class Backends:
    """The PostgreSQL backends of one database (from a monitor connection that leaves itself out)."""

    def __init__(self, url: str) -> None:
        self.url, self.database = url, url.rsplit("/", 1)[-1]

    def pids(self) -> list[int]:
        sql = "SELECT pid FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()"
        rows = asyncio.run(operations.fetch(self.url, sql, [self.database]))
        return [int(r["pid"]) for r in rows]


def ms_per_request(before: dict[int, int], after: dict[int, int], requests: int) -> float | None:
    used = sum(ticks - before.get(pid, 0) for pid, ticks in after.items())
    return round(used * 1000 / CLK_TCK / requests, 3) if requests else None


def measure_once(
    server: Server,
    backends: Backends,
    path: str,
    lua: Path,
    env: dict[str, str],
    c: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    if args.warmup > 0:
        run_wrk(server.url, path, lua, env, c, args.warmup)
    pids, db_pids = server.pids(), backends.pids()
    before, db_before = cpu_ticks(pids), cpu_ticks(db_pids)
    row = run_wrk(server.url, path, lua, env, c, args.duration)
    after, db_after = cpu_ticks(pids), cpu_ticks(sorted(set(db_pids) | set(backends.pids())))
    row["server_cpu_ms_per_req"] = ms_per_request(before, after, row["requests"])
    row["pg_cpu_ms_per_req"] = ms_per_request(db_before, db_after, row["requests"])
    row["loadavg"] = machine_load()
    return row


# --- the run -----------------------------------------------------------------------------------


def machine_load() -> str:
    return Path("/proc/loadavg").read_text().strip()


def prepare_scripts(
    workdir: Path, trios: list[Trio]
) -> dict[tuple[str, str], tuple[str, Path, dict[str, str]]]:
    """(op, target) -> (path, wrk script, wrk environment)."""
    scripts: dict[tuple[str, str], tuple[str, Path, dict[str, str]]] = {}
    for trio in trios:
        op = trio.linzhi
        for target, body in (("linzhi", op.body), ("postgraphile", trio.peer_body)):
            name = f"{op.name}-{target}"
            body_file = workdir / f"{name}.json"
            body_file.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
            lua = operations.write_lua(workdir, Operation(name, "", "/graphql", body))
            scripts[(op.name, target)] = ("/graphql", lua, {"BENCH_BODY_FILE": str(body_file)})
        assert op.floor_path is not None
        lua = operations.write_lua(workdir, Operation(f"{op.name}-floor", "", op.floor_path))
        scripts[(op.name, "floor")] = (op.floor_path, lua, {})
    return scripts


def run_rounds(
    servers: dict[str, Server],
    backends: Backends,
    trios: list[Trio],
    scripts: dict[tuple[str, str], tuple[str, Path, dict[str, str]]],
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    for round_no in range(1, args.rounds + 1):
        print(f"round {round_no} (load {machine_load()})", flush=True)
        for trio in trios:
            for c in concurrencies:
                for target in TARGETS:
                    path, lua, env = scripts[(trio.linzhi.name, target)]
                    row = measure_once(servers[target], backends, path, lua, env, c, args)
                    row.update(op=trio.linzhi.name, target=target, concurrency=c, round=round_no)
                    runs.append(row)
                    print(f"  {target} {trio.linzhi.name} c{c}: {row}", flush=True)
    return runs


def build_trios(linzhi: Server, picks: Picks, wanted: list[str]) -> tuple[list[Trio], dict[str, Any]]:
    cursor, page = (None, 0)
    if "q3deep" in wanted:
        cursor, page = q3_deep_cursor(linzhi.url, picks, operations.Q3_DEEP_PAGE)
    compiled = [op for op in operations.build(picks, cursor, page) if op.read_path == "compiled"]
    ops = [op for op in compiled if op.name in wanted]
    return [Trio(op, {}) for op in ops], {"q3deep_page": page}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peer", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/linzhi_bench_s"),
    )
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 3)))
    parser.add_argument("--duration", type=float, default=float(os.environ.get("BENCH_DURATION", 5)))
    parser.add_argument("--warmup", type=float, default=float(os.environ.get("BENCH_WARMUP", 2)))
    parser.add_argument("--ops", default=os.environ.get("BENCH_OPS", "q1,q2,q3p1,q3deep,q4,o1,f1"))
    parser.add_argument("--concurrency", default=os.environ.get("BENCH_CONCURRENCY", "1,8"))
    args = parser.parse_args(argv)
    url: str = args.database_url
    if not operations.is_postgres(url):
        raise SystemExit("PostGraphile needs PostgreSQL: --database-url postgres://...")
    wrk_available()
    ensure_postgraphile()
    wanted = [o.strip() for o in args.ops.split(",") if o.strip()]
    picks = asyncio.run(operations.pick(url))
    started = datetime.now(UTC)
    result: dict[str, Any] = {
        "started": started.isoformat(),
        "database_url": url,
        "rounds": args.rounds,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "picks": asdict(picks),
        "machine": {"cpus": os.cpu_count(), "loadavg_start": machine_load()},
        "postgraphile": POSTGRAPHILE_VERSION,
        "node": subprocess.run([str(NODE), "--version"], capture_output=True, text=True).stdout.strip(),
        "documents": {"q2": P2, "q3": P3, "q4": P4, "o1": PO1, "f1": PF1},
        "operations": {},
    }
    servers: dict[str, Server] = {}
    workdir = Path(tempfile.mkdtemp(prefix="bench-peer-"))
    asyncio.run(install_schema(url))
    try:
        servers["linzhi"] = start_linzhi(url, 1)
        servers["floor"] = start_floor(url)
        servers["postgraphile"] = start_postgraphile(url)
        trios, extra = build_trios(servers["linzhi"], picks, wanted)
        deep = (
            peer_deep_cursor(servers["postgraphile"].url, picks, extra["q3deep_page"])
            if extra["q3deep_page"]
            else None
        )
        bodies = peer_bodies(picks, deep)
        trios = [replace(t, peer_body=bodies[t.linzhi.name]) for t in trios]
        base = {name: server.url for name, server in servers.items()}
        for trio in trios:
            found = check_same(base, trio)
            result["operations"][trio.linzhi.name] = {
                "description": trio.linzhi.description,
                "linzhi_request": trio.linzhi.body,
                "postgraphile_request": trio.peer_body,
                "floor_request": trio.linzhi.floor_path,
                **found,
            }
            print(f"{trio.linzhi.name}: {found}", flush=True)
            if found.get("postgraphile_same_rows") is not True or found.get("floor_same_rows") is not True:
                raise SystemExit(f"{trio.linzhi.name}: the servers do not answer the same rows: {found}")
        scripts = prepare_scripts(workdir, trios)
        result["runs"] = run_rounds(servers, Backends(url), trios, scripts, args)
        result["server_peak_rss_mb"] = {name: s.peak_rss_mb() for name, s in servers.items()}
        result["machine"]["loadavg_end"] = machine_load()
    finally:
        for server in servers.values():
            server.stop()
        asyncio.run(drop_schema(url))
        shutil.rmtree(workdir, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{started.strftime('%Y%m%dT%H%M%SZ')}-peer-{url.rsplit('/', 1)[-1]}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print()
    print(markdown(result))
    print(f"\nresults: {out.relative_to(ROOT)}")
    return 0


# --- the tables ----------------------------------------------------------------------------------


def _spread(values: list[float], digits: int = 2) -> str:
    """median (min–max)"""
    if not values:
        return "–"
    median = statistics.median(values)
    return f"{median:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def _by_round(runs: list[dict[str, Any]], op: str, c: int, target: str) -> dict[int, dict[str, Any]]:
    return {r["round"]: r for r in runs if (r["op"], r["concurrency"], r["target"]) == (op, c, target)}


def _cpu(row: dict[str, Any]) -> float | None:
    server, pg = row.get("server_cpu_ms_per_req"), row.get("pg_cpu_ms_per_req")
    return None if server is None or pg is None else server + pg


def _ratios(runs: list[dict[str, Any]], op: str, c: int, a: str, b: str, key: str) -> list[float]:
    left, right = _by_round(runs, op, c, a), _by_round(runs, op, c, b)
    values = []
    for n, row in left.items():
        if n not in right:
            continue
        x = row.get(key) if key != "cpu" else _cpu(row)
        y = right[n].get(key) if key != "cpu" else _cpu(right[n])
        if x and y:
            values.append(x / y)
    return values


def markdown(result: dict[str, Any]) -> str:
    runs = result["runs"]
    keys = sorted(
        {(r["op"], r["concurrency"]) for r in runs},
        key=lambda k: (list(result["operations"]).index(k[0]), k[1]),
    )
    lines = [
        "| op | conc | Linzhi / PostGraphile (req/s) | Linzhi / floor | PostGraphile / floor "
        "| PostGraphile / Linzhi (server CPU per request) "
        "| PostGraphile / Linzhi (CPU per request, server + PostgreSQL) |",
        "|---|---|---|---|---|---|---|",
    ]
    for op, c in keys:
        cells = [
            _spread(_ratios(runs, op, c, "linzhi", "postgraphile", "rps")),
            _spread(_ratios(runs, op, c, "linzhi", "floor", "rps")),
            _spread(_ratios(runs, op, c, "postgraphile", "floor", "rps")),
            _spread(_ratios(runs, op, c, "postgraphile", "linzhi", "server_cpu_ms_per_req")),
            _spread(_ratios(runs, op, c, "postgraphile", "linzhi", "cpu")),
        ]
        lines.append(f"| {op} | {c} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| op | conc | server | req/s | p50 ms | p99 ms | server CPU ms/req "
        "| PostgreSQL CPU ms/req | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for op, c in keys:
        for target in TARGETS:
            rows = list(_by_round(runs, op, c, target).values())

            def med(key: str, rows: list[dict[str, Any]] = rows) -> str:
                values = [r[key] for r in rows if r.get(key) is not None]
                return "–" if not values else f"{statistics.median(values):,.{0 if key == 'rps' else 2}f}"

            errors = sum(r["errors"] for r in rows)
            cells = [
                med("rps"),
                med("p50_ms"),
                med("p99_ms"),
                med("server_cpu_ms_per_req"),
                med("pg_cpu_ms_per_req"),
            ]
            lines.append(f"| {op} | {c} | {target} | " + " | ".join(cells) + f" | {errors} |")
    rss = result.get("server_peak_rss_mb", {})
    lines.append("\nPeak RSS (VmHWM, MiB, per process): " + "; ".join(f"{k} {v}" for k, v in rss.items()))
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
