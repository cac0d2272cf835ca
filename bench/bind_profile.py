"""In-process timing of the compiled read path's per-request work on a warm plan (issue 12/16).

    python -m bench.bind_profile --database-url sqlite:///tmp/tiny.sqlite3 [--n 5000] [--rounds 5]
        [--clock cpu]

Not a benchmark of the service (that is `bench.run`, against live servers): this times, for the
benchmark's q2 and q3 page 1 sent anonymously, the two steps of `CompiledReadPath.run` that are pure
Python once the plan is cached — `prepare` (the mirrored checks and variable coercion) and `bind`
(finding the plan variant that fits and computing its parameters: `CompiledReadPath._plan`) — and
the whole `run` including the statement. Figures are the fastest of `--rounds` rounds of the
mean µs per call over `--n` calls (the machine is shared: slower rounds are other load); on a
loaded machine `--clock cpu` counts this process's CPU time instead of the wall clock (on
PostgreSQL the server's share of `run` is then left out). To compare commits, run it from a
checkout of each (`git archive <commit> | tar -x -C /tmp/x`, then copy this file in).
The data can be any database made by `bench.generate` (TINY is enough for the bind step).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from collections.abc import Awaitable, Callable
from typing import Any

from api.compiler.planner import Env
from api.compiler.runtime import CompiledReadPath
from api.compiler.sql import dialect_named
from api.schema import build_schema
from bench import operations
from domain import sql as domain_sql
from domain.access import Actor


def documents(picks: operations.Picks) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        "q2": (operations.Q2, {"search": picks.town_code}),
        "q3p1": (operations.Q3, {"subtree": operations.global_id("GridCell", picks.town_id)}),
    }


CLOCK = time.perf_counter_ns  # `--clock cpu`: time.process_time_ns (this process's CPU time only)


def per_call(fn: Callable[[], Any], n: int, rounds: int) -> float:
    """The fastest round's mean µs per call (the machine is shared: slower rounds are load)."""
    means = []
    for _ in range(rounds):
        gc.collect()
        started = CLOCK()
        for _ in range(n):
            fn()
        means.append((CLOCK() - started) / n / 1e3)
    return min(means)


async def per_call_async(fn: Callable[[], Awaitable[Any]], n: int, rounds: int) -> float:
    means = []
    for _ in range(rounds):
        gc.collect()
        started = CLOCK()
        for _ in range(n):
            await fn()
        means.append((CLOCK() - started) / n / 1e3)
    return min(means)


async def profile(url: str, n: int, rounds: int) -> None:
    from tortoise import Tortoise

    from domain.db import tortoise_config

    picks = await operations.pick(url)
    await Tortoise.init(config=tortoise_config(url))
    try:
        read_path = CompiledReadPath(build_schema())
        actor = Actor()
        dialect = dialect_named(domain_sql.dialect())
        print(f"{dialect.name}, n={n}, rounds={rounds} (µs per call, fastest round)")
        print("op     prepare   bind   prepare+bind   run (with statement)")
        for name, (query, variables) in documents(picks).items():
            for _ in range(3):  # plan, load the subtree root's path, warm the statement
                await read_path.run(query, None, variables, actor)
            prepared = read_path.prepare(query, None, variables)

            def bind(prepared: Any = prepared, query: str = query) -> Any:
                env = Env(
                    read_path.graphql_schema,
                    prepared.variables,
                    actor,
                    prepared.checked.fragments,
                    read_path.cell_paths.get,
                )
                return read_path._plan(env, dialect.name, query, None, prepared.operation)

            def both(query: str = query, variables: dict[str, Any] = variables) -> Any:
                prepared = read_path.prepare(query, None, variables)
                env = Env(
                    read_path.graphql_schema,
                    prepared.variables,
                    actor,
                    prepared.checked.fragments,
                    read_path.cell_paths.get,
                )
                return read_path._plan(env, dialect.name, query, None, prepared.operation)

            planned = read_path.stats.planned
            t_prepare = per_call(lambda q=query, v=variables: read_path.prepare(q, None, v), n, rounds)
            t_bind = per_call(bind, n, rounds)
            t_both = per_call(both, n, rounds)
            t_run = await per_call_async(
                lambda q=query, v=variables: read_path.run(q, None, v, actor), max(n // 10, 1), rounds
            )
            assert read_path.stats.planned == planned, "a warm plan was re-planned"
            print(f"{name:6} {t_prepare:8.1f} {t_bind:6.1f} {t_both:14.1f} {t_run:10.1f}")
    finally:
        await Tortoise.close_connections()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args()
    if args.clock == "cpu":
        global CLOCK
        CLOCK = time.process_time_ns
    asyncio.run(profile(args.database_url, args.n, args.rounds))


if __name__ == "__main__":
    main()
