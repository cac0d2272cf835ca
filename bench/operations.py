"""The benchmark operations: GraphQL documents and pages, with parameters chosen from the database.

Each operation is one HTTP request (w1 is two: activityCreate, then activitySubmit of the record
just created; the load generator alternates them per connection). `check` verifies one response
before a run, because the load generator only sees status codes, not GraphQL errors.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from web.localtime import SHANGHAI

Q1 = "{ __typename }"

Q2 = """query Q2($search: String!) {
  gridCells(filter: {search: $search, kind: MICRO_GRID}, first: 100) {
    nodes { code leaders { sourceRole status name cohort { name } } }
  }
}"""

Q3 = """query Q3($subtree: ID!, $after: String) {
  activities(filter: {subtree: $subtree}, first: 50, after: $after) {
    nodes { title startedAt leader { name } cell { name } }
    pageInfo { endCursor }
  }
}"""

Q4 = """query Q4($town: ID!, $since: DateTime!, $until: DateTime!) {
  activityCountsByUnit(town: $town, since: $since, until: $until) {
    cell { name } total counts { activityType count }
  }
}"""

# The organisation directory's first page in a town, with what the directory page shows of each
# (web/templates/organisations/_directory.html): the public rule leaves deregistered ones out.
O1 = """query O1($town: ID!) {
  organisations(filter: {town: $town}, first: 50) {
    nodes { id name legalFormLabel fieldLabel status statusLabel rating ratingValidUntil isDemo
            homeCell { code name } }
    pageInfo { hasNextPage endCursor }
  }
}"""

# A finished round's published results as its page lists them (web/templates/funding/_round.html):
# the organisation, the project, the award, the status; the public rule leaves out the applications
# that were not selected, ineligible or withdrawn.
F1 = """query F1($round: ID!) {
  fundingResults(round: $round, first: 100) {
    nodes { id projectName status statusLabel awardFen isDemo organisation { name } }
    pageInfo { hasNextPage endCursor }
  }
}"""

W1_CREATE = """mutation W1Create($input: ActivityCreateInput!) {
  activityCreate(input: $input) { activity { id status } userErrors { code message } }
}"""

W1_SUBMIT = """mutation W1Submit($input: ActivityIdInput!) {
  activitySubmit(input: $input) { activity { id status } userErrors { code message } }
}"""

Q3_DEEP_PAGE = 200


def global_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite://")


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def asyncpg_dsn(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


async def fetch(url: str, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Rows of one statement, `?` placeholders on both databases (a one-off connection)."""
    if is_postgres(url):
        import asyncpg

        parts = sql.split("?")
        sql = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            return [dict(r) for r in await conn.fetch(sql, *params)]
        finally:
            await conn.close()
    import aiosqlite

    async with aiosqlite.connect(sqlite_path(url)) as db:
        db.row_factory = aiosqlite.Row
        async with db.execute(sql, list(params)) as cursor:
            return [dict(r) for r in await cursor.fetchall()]


@dataclass
class Picks:
    """The rows the operations are about, chosen once per database."""

    town_id: int
    town_code: str
    unit_code: str
    since: str
    until: str
    leader_username: str | None = None
    leader_user_id: int | None = None
    leader_person_id: int | None = None
    leader_cell_id: int | None = None
    funding_round_id: int | None = None  # f1: the finished round with the most published results


# `domain.funding.models.RESULT_STAGES`, `PUBLISHED_STATUSES`, as SQL lists
def _sql_list(values: Any) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))


async def pick_round(url: str) -> int | None:
    """The round whose published results f1 reads: a FINISHED one if any, else any round with
    published results; the one with the most results, the newest of equals."""
    from domain.funding.models import PUBLISHED_STATUSES, RESULT_STAGES

    rows = await fetch(
        url,
        "SELECT r.id AS id FROM funding_round r JOIN funding_application a ON a.round_id = r.id "
        f"WHERE r.stage IN ({_sql_list(RESULT_STAGES)}) AND a.status IN ({_sql_list(PUBLISHED_STATUSES)}) "
        "GROUP BY r.id, r.stage ORDER BY CASE WHEN r.stage = 'FINISHED' THEN 0 ELSE 1 END, "
        "COUNT(*) DESC, r.id DESC LIMIT 1",
    )
    return int(rows[0]["id"]) if rows else None


async def pick(url: str) -> Picks:
    """The town with the most verified activities, its busiest community/village, the last full
    report year of activities (Shanghai calendar), and a micro-leader who can log (bench.leader,
    else demo.leader)."""
    towns = await fetch(url, "SELECT id, code, path FROM grid_cell WHERE kind = 'TOWN' AND NOT retired")
    best: tuple[int, dict[str, Any]] | None = None
    for town in towns:
        sql = "SELECT COUNT(*) AS n FROM activity WHERE town_id = ? AND status = 'VERIFIED'"
        n = (await fetch(url, sql, [town["id"]]))[0]["n"]
        if best is None or n > best[0]:
            best = (n, town)
    if best is None:
        raise SystemExit("no TOWN in the database: run `linzhi seed` or `python -m bench.generate` first")
    town = best[1]
    units = await fetch(
        url,
        "SELECT g.code AS code, COUNT(a.id) AS n FROM grid_cell g "
        "LEFT JOIN activity a ON a.unit_id = g.id AND a.status = 'VERIFIED' "
        "WHERE g.parent_id = ? AND NOT g.retired GROUP BY g.code ORDER BY n DESC, g.code LIMIT 1",
        [town["id"]],
    )
    latest = (await fetch(url, "SELECT MAX(started_at) AS m FROM activity"))[0]["m"]
    end = latest if isinstance(latest, datetime) else datetime.fromisoformat(str(latest))
    end = end if end.tzinfo else end.replace(tzinfo=UTC)
    # A report year of the product calendar (Shanghai midnight, Jan 1): what the bureau asks for.
    year = end.astimezone(SHANGHAI).year
    until = datetime(year, 1, 1, tzinfo=SHANGHAI)
    if until - timedelta(days=200) < end - timedelta(days=365):
        until = datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    since = until.replace(year=until.year - 1)
    picks = Picks(
        town_id=town["id"],
        town_code=town["code"],
        unit_code=units[0]["code"] if units else town["code"],
        since=since.isoformat(),
        until=until.isoformat(),
    )
    for username in ("bench.leader", "demo.leader"):
        rows = await fetch(
            url,
            "SELECT u.id AS uid, u.person_id AS pid, l.home_cell_id AS cell FROM app_user u "
            "JOIN micro_leader l ON l.person_id = u.person_id "
            "WHERE u.username = ? AND u.is_active AND l.status <> 'WITHDRAWN' ORDER BY l.id LIMIT 1",
            [username],
        )
        if rows:
            picks.leader_username = username
            picks.leader_user_id, picks.leader_person_id = rows[0]["uid"], rows[0]["pid"]
            picks.leader_cell_id = rows[0]["cell"]
            break
    picks.funding_round_id = await pick_round(url)
    return picks


async def create_tokens(url: str, picks: Picks, count: int) -> list[str]:
    """Bearer tokens (write:activities) for the bench leader, made by the domain service. Several,
    because each token is rate limited (600 requests a minute) and the load must not hit that."""
    from tortoise import Tortoise

    from domain.access import Actor
    from domain.accounts import service
    from domain.db import tortoise_config

    assert picks.leader_user_id is not None
    actor = Actor(user_id=picks.leader_user_id, person_id=picks.leader_person_id)
    await Tortoise.init(config=tortoise_config(url))
    try:
        stamp = datetime.now(UTC).strftime("%H%M%S")
        issued = [
            await service.create_token(
                actor=actor, name=f"bench-{stamp}-{i}", scopes=["write:activities"], expires_in_days=1
            )
            for i in range(count)
        ]
    finally:
        await Tortoise.close_connections()
    return [t.secret for t in issued]


def _graphql_ok(field_name: str, predicate: Callable[[Any], bool]) -> Callable[[int, str], str | None]:
    def check(status: int, text: str) -> str | None:
        if status != 200:
            return f"HTTP {status}: {text[:200]}"
        body = json.loads(text)
        if body.get("errors"):
            return "GraphQL errors: " + json.dumps(body["errors"], ensure_ascii=False)[:300]
        value = (body.get("data") or {}).get(field_name)
        return None if predicate(value) else f"unexpected data: {json.dumps(value, ensure_ascii=False)[:300]}"

    return check


def _html_ok(marker: str) -> Callable[[int, str], str | None]:
    def check(status: int, text: str) -> str | None:
        if status != 200:
            return f"HTTP {status}"
        return None if marker in text else f"page does not contain {marker!r}"

    return check


@dataclass
class Operation:
    """One request to measure. `body` is a JSON document for POST /graphql, None for a GET page."""

    name: str
    description: str
    path: str
    body: dict[str, Any] | None = None
    check: Callable[[int, str], str | None] | None = None
    floor_path: str | None = None  # the same answer from bench/floor.py, when it has one
    write: bool = False
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    # Which read path must answer (the `X-Linzhi-Read-Path` response header outside production);
    # verification fails otherwise, so a silent fallback is never measured as "compiled".
    read_path: str | None = None
    floor_of: str | None = None  # an operation whose floor figures this one is compared with

    @property
    def method(self) -> str:
        return "GET" if self.body is None else "POST"


def graphql(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"query": query, "variables": variables or {}}


READ_PATH_HEADER = "x-linzhi-read-path"  # api/graphql_view.py
RESOLVERS = {READ_PATH_HEADER: "resolvers"}


def with_resolvers(op: Operation) -> Operation:
    """The same read forced through strawberry's resolvers (a development-mode request header),
    measured in the same run as the compiled path and compared with the same floor."""
    return replace(
        op,
        name=f"{op.name}-resolvers",
        description=op.description + " (resolver path)",
        floor_path=None,
        floor_of=op.name,
        headers=RESOLVERS,
        read_path="resolvers",
    )


def build(picks: Picks, q3_deep_cursor: str | None, q3_deep_page: int) -> list[Operation]:
    from urllib.parse import urlencode

    town_gid = global_id("GridCell", picks.town_id)
    q3_vars = {"subtree": town_gid}
    ops = [
        Operation("q1", "{ __typename }", "/graphql", graphql(Q1), _graphql_ok("__typename", bool), "/q1"),
        Operation(
            "q2",
            f"town {picks.town_code}: first 100 micro-grids with their leaders",
            "/graphql",
            graphql(Q2, {"search": picks.town_code}),
            _graphql_ok("gridCells", lambda v: bool(v and v["nodes"])),
            "/q2?" + urlencode({"search": picks.town_code}),
        ),
        Operation(
            "q3p1",
            f"town {picks.town_code}: 50 newest activities, page 1",
            "/graphql",
            graphql(Q3, {**q3_vars, "after": None}),
            _graphql_ok("activities", lambda v: bool(v and len(v["nodes"]) == 50)),
            "/q3?" + urlencode({"town": picks.town_id}),
        ),
    ]
    if q3_deep_cursor is not None:
        ops.append(
            Operation(
                "q3deep",
                f"town {picks.town_code}: 50 newest activities, page {q3_deep_page}",
                "/graphql",
                graphql(Q3, {**q3_vars, "after": q3_deep_cursor}),
                _graphql_ok("activities", lambda v: bool(v and v["nodes"])),
                "/q3?" + urlencode({"town": picks.town_id, "after": q3_deep_cursor}),
                note=f"page {q3_deep_page}" + ("" if q3_deep_page == Q3_DEEP_PAGE else " (the last page)"),
            )
        )
    ops += [
        Operation(
            "q4",
            f"town {picks.town_code}: verified activities by type per unit, "
            f"{picks.since[:10]}..{picks.until[:10]}",
            "/graphql",
            graphql(Q4, {"town": town_gid, "since": picks.since, "until": picks.until}),
            _graphql_ok("activityCountsByUnit", lambda v: bool(v)),
            "/q4?" + urlencode({"town": picks.town_id, "since": picks.since, "until": picks.until}),
        ),
        Operation(
            "o1",
            f"town {picks.town_code}: the organisation directory, first 50",
            "/graphql",
            graphql(O1, {"town": town_gid}),
            _graphql_ok("organisations", lambda v: bool(v and v["nodes"])),
            "/o1?" + urlencode({"town": picks.town_id}),
        ),
    ]
    if picks.funding_round_id is not None:
        ops.append(
            Operation(
                "f1",
                f"funding round {picks.funding_round_id}: its published results",
                "/graphql",
                graphql(F1, {"round": global_id("FundingRound", picks.funding_round_id)}),
                _graphql_ok("fundingResults", lambda v: bool(v and v["nodes"])),
                "/f1?" + urlencode({"round": picks.funding_round_id}),
            )
        )
    ops += [
        Operation(
            "w1",
            f"activityCreate + activitySubmit by {picks.leader_username} (2 requests)",
            "/graphql",
            graphql(W1_CREATE, {"input": w1_input(picks)}),
            None,
            write=True,
        ),
        Operation(
            "p1", f"page /grids/{picks.town_code}", f"/grids/{picks.town_code}", None, _html_ok("</html>")
        ),
        Operation(
            "p2",
            f"page /grids/{picks.unit_code}/activities",
            f"/grids/{picks.unit_code}/activities",
            None,
            _html_ok("</html>"),
        ),
    ]
    # Each GraphQL read with a floor runs on the compiled path (as clients get it) and again
    # forced through the resolvers.
    measured: list[Operation] = []
    for op in ops:
        if op.floor_path is None:
            measured.append(op)
            continue
        compiled = replace(op, read_path="compiled")
        measured += [compiled, with_resolvers(compiled)]
    return measured


def w1_input(picks: Picks) -> dict[str, Any]:
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    return {
        "cellId": global_id("GridCell", picks.leader_cell_id or 0),
        "activityType": "VISIT",
        "title": "基准测试走访",
        "startedAt": started.isoformat(),
        "endedAt": (started + timedelta(hours=1)).isoformat(),
        "participants": 3,
        "householdsReached": 2,
    }


WRK_GRAPHQL_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = io.open(os.getenv("BENCH_BODY_FILE")):read("*a")
"""

# w1: each connection alternates activityCreate and activitySubmit of the id it just got back;
# tokens rotate per request (each token is rate limited). Non-empty userErrors count as errors.
WRK_W1_LUA = r"""
local tokens = {}
for t in string.gmatch(os.getenv("BENCH_TOKENS"), "[^,]+") do tokens[#tokens + 1] = t end
local create = io.open(os.getenv("BENCH_BODY_FILE")):read("*a")
local submit_q = os.getenv("BENCH_SUBMIT_QUERY")
local pending = {}
local n = 0
user_errors = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function request()
  n = n + 1
  local headers = {["Content-Type"] = "application/json",
                   ["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1]}
  local id = table.remove(pending)
  if id then
    local body = '{"query":' .. submit_q .. ',"variables":{"input":{"id":"' .. id .. '"}}}'
    return wrk.format("POST", "/graphql", headers, body)
  end
  return wrk.format("POST", "/graphql", headers, create)
end

function response(status, headers, body)
  if status == 200 then
    local created = string.match(body, '"activityCreate":{"activity":{"id":"([^"]+)"')
    if created then table.insert(pending, created) end
    if not string.find(body, '"userErrors":%[%]') then user_errors = user_errors + 1 end
  end
end

function done(summary, latency, requests)
  local ue = 0
  for _, t in ipairs(threads) do ue = ue + (t:get("user_errors") or 0) end
  io.write(string.format("BENCH_USER_ERRORS %d\n", ue))
end
"""

WRK_REPORT_LUA = r"""
function done(summary, latency, requests)
  io.write(string.format(
    "BENCH_JSON {\"requests\":%d,\"duration_us\":%d,\"p50_us\":%d,\"p99_us\":%d,\"mean_us\":%f," ..
    "\"non2xx\":%d,\"connect\":%d,\"read\":%d,\"write\":%d,\"timeout\":%d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.mean,
    summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout))
end
"""


def write_lua(directory: Path, op: Operation) -> Path:
    """The wrk script for `op`: its request(s) and a done() that prints a JSON summary line."""
    path = directory / f"{op.name}.lua"
    if op.write:
        script = WRK_W1_LUA.replace(
            "function done(summary, latency, requests)\n  local ue",
            "function done_w1(summary, latency, requests)\n  local ue",
        )
        script += WRK_REPORT_LUA.replace(
            "function done(summary, latency, requests)\n",
            "function done(summary, latency, requests)\n  done_w1(summary, latency, requests)\n",
        )
    elif op.body is not None:
        headers = "".join(f'wrk.headers["{name}"] = "{value}"\n' for name, value in op.headers.items())
        script = WRK_GRAPHQL_LUA + headers + WRK_REPORT_LUA
    else:
        script = WRK_REPORT_LUA
    path.write_text(script, encoding="utf-8")
    return path
