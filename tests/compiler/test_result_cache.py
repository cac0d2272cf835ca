"""The result cache of public reads (docs/compiler.md "Result cache"): a hit after a miss costs
the versions statement only; every write, whatever path it takes, invalidates exactly the tables
it touched; GET answers carry an ETag and a matching If-None-Match gets 304 without running the
query; a signed-in reader never shares an anonymous entry; LINZHI_CACHE=off switches it off."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from tortoise.transactions import in_transaction

from api.app import create_app
from api.graphql_view import GraphQLView
from api.settings import Settings
from domain import sql, versions
from domain.access import Role
from domain.activities import service as activities
from domain.activities.models import Activity
from domain.leaders.models import LeaderStatus, MicroLeader
from domain.people.models import Person
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id
from tests.compiler.conftest import RESOLVERS, World, build_world, canonical
from tests.compiler.test_corpus import corpus
from tests.conftest import SqlLog
from tests.factories_activities import hours_ago, insert_activities
from tests.factories_leaders import make_cohort

FEED = "{ activities(first: 5) { nodes { id title } totalCount } }"
COHORTS = "{ cohorts { name year } }"


class Cached:
    """An app with the cache switched on (`mode`), and its view."""

    def __init__(self, client: httpx.AsyncClient, view: GraphQLView) -> None:
        self.client, self.view = client, view

    async def ask(
        self, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> httpx.Response:
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response


async def _cached_app(mode: str) -> AsyncIterator[Cached]:
    application = create_app(Settings.for_tests().with_(cache=mode))
    route = next(r for r in application.routes if getattr(r, "path", None) == "/graphql")
    view = route.endpoint  # type: ignore[attr-defined]
    assert isinstance(view, GraphQLView)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Cached(client, view)


@pytest_asyncio.fixture
async def cached(db: None) -> AsyncIterator[Cached]:
    async for app in _cached_app("memory"):
        yield app


@pytest_asyncio.fixture
async def uncached(db: None) -> AsyncIterator[Cached]:
    async for app in _cached_app("off"):
        yield app


async def test_a_hit_after_a_miss_costs_the_versions_statement_only(cached: Cached, sql_log: SqlLog) -> None:
    # GIVEN the world
    await build_world()
    # WHEN an anonymous reader asks for the feed twice
    sql_log.reset()
    first = await cached.ask(FEED)
    miss_statements = list(sql_log.statements)
    sql_log.reset()
    second = await cached.ask(FEED)
    # THEN the first is a miss (the versions, then the answer's statement), the second a hit (the
    # versions alone), with the same bytes
    assert (first.headers["x-linzhi-cache"], second.headers["x-linzhi-cache"]) == ("miss", "hit")
    assert len(miss_statements) == 2
    assert versions.VERSIONS_STATEMENT in miss_statements[0]
    assert sql_log.statements == [miss_statements[0]]
    assert second.content == first.content
    # AND the answer is the resolvers'
    expected = await cached.ask(FEED, **RESOLVERS)
    assert canonical(second.json()) == canonical(expected.json())
    assert (cached.view.cache.stats.hits, cached.view.cache.stats.misses) == (1, 1)


async def test_the_cache_switched_off_reads_no_versions(uncached: Cached, sql_log: SqlLog) -> None:
    await build_world()
    # WHEN the cache is off and the feed is read twice
    await uncached.ask(FEED)
    sql_log.reset()
    response = await uncached.ask(FEED)
    # THEN each read is the one statement of the compiled path, and says the cache is off
    assert response.headers["x-linzhi-cache"] == "off"
    assert sql_log.count == 1
    assert versions.VERSIONS_STATEMENT not in sql_log.statements[0]


async def test_a_write_invalidates_exactly_the_tables_it_touched(cached: Cached) -> None:
    world = await build_world()
    await make_cohort("第一期", year=2025)
    await cached.ask(FEED)
    await cached.ask(COHORTS)
    # WHEN an unrelated table is written (a person: neither read names the table)
    assert all("person" not in tables for tables in cached.view.cache.read_sets.values() if tables)
    await Person.create(name="无关的人", mobile="", is_demo=False)
    # THEN both reads still hit
    assert (await cached.ask(FEED)).headers["x-linzhi-cache"] == "hit"
    assert (await cached.ask(COHORTS)).headers["x-linzhi-cache"] == "hit"
    # WHEN staff unpublish a record through the domain (the feed reads activity, the cohorts do not)
    record = world.records["other_verified"]
    assert record.title in (await cached.ask(FEED)).text
    await activities.set_activity_public(actor=world.cast.far_staff, activity_id=record.id, public=False)
    # THEN the feed misses and leaves the record out; the cohorts still hit
    feed = await cached.ask(FEED)
    assert feed.headers["x-linzhi-cache"] == "miss"
    assert record.title not in feed.text
    assert (await cached.ask(COHORTS)).headers["x-linzhi-cache"] == "hit"
    # WHEN a raw SQL statement publishes it again under a new title (no ORM, no service)
    await sql.fetch_all(
        "UPDATE activity SET title = ?, is_public = TRUE WHERE id = ? RETURNING id", ["原始语句", record.id]
    )
    # THEN the feed sees it at once
    feed = await cached.ask(FEED)
    assert (feed.headers["x-linzhi-cache"], "原始语句" in feed.text) == ("miss", True)


async def test_a_write_through_graphql_is_seen_by_the_next_anonymous_read(cached: Cached) -> None:
    cohort = await make_cohort("第一期", year=2025)
    headers = await bearer(await make_user("bureau.cache", Role.BUREAU_STAFF), "write:activities")
    assert (await cached.ask(COHORTS)).json()["data"]["cohorts"] == [{"name": "第一期", "year": 2025}]
    assert (await cached.ask(COHORTS)).headers["x-linzhi-cache"] == "hit"
    # WHEN bureau staff rename the cohort through GraphQL
    update = "mutation ($i: CohortUpdateInput!) { cohortUpdate(input: $i) { userErrors { code } } }"
    variables = {"i": {"id": global_id("Cohort", cohort.id), "name": "第一期（更名）"}}
    body = (await cached.ask(update, variables, **headers)).json()
    assert body["data"]["cohortUpdate"]["userErrors"] == []
    # THEN the next anonymous read misses and has the new name
    response = await cached.ask(COHORTS)
    assert response.headers["x-linzhi-cache"] == "miss"
    assert response.json()["data"]["cohorts"] == [{"name": "第一期（更名）", "year": 2025}]


async def test_a_signed_in_reader_never_shares_an_anonymous_entry(cached: Cached) -> None:
    world = await build_world()
    query = "{ activities(first: 50) { totalCount } }"
    # GIVEN bureau staff, who see every record, read the feed first
    staff = await cached.ask(query, **world.headers["bureau"])
    # THEN they bypass the cache, and the anonymous reader after them gets the public count
    anonymous = await cached.ask(query)
    assert (staff.headers["x-linzhi-cache"], anonymous.headers["x-linzhi-cache"]) == ("bypass", "miss")
    public = await Activity.filter(is_public=True).count()
    assert anonymous.json()["data"]["activities"]["totalCount"] == public
    assert staff.json()["data"]["activities"]["totalCount"] > public
    # AND the other way round: a hit for anonymous is never served to staff
    assert (await cached.ask(query)).headers["x-linzhi-cache"] == "hit"
    again = await cached.ask(query, **world.headers["bureau"])
    assert again.json() == staff.json()
    assert again.headers["x-linzhi-cache"] == "bypass"


async def test_get_answers_carry_an_etag_and_a_current_one_gets_304(cached: Cached, sql_log: SqlLog) -> None:
    world = await build_world()
    params = {"query": FEED}
    # WHEN an anonymous reader GETs the feed
    first = await cached.client.get("/graphql", params=params)
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-cache"
    etag = first.headers["etag"]
    # THEN revalidating costs the versions statement only and gets 304 with the same tag
    sql_log.reset()
    again = await cached.client.get("/graphql", params=params, headers={"if-none-match": etag})
    assert (again.status_code, again.headers["etag"], again.content) == (304, etag, b"")
    assert sql_log.count == 1
    # WHEN the feed's table is written
    record = world.records["other_verified"]
    await Activity.filter(id=record.id).update(title="新标题")
    # THEN the old tag gets the new answer with a new tag
    changed = await cached.client.get("/graphql", params=params, headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert "新标题" in changed.text
    # AND the GET answer is the POST answer
    assert changed.json() == (await cached.ask(FEED)).json()
    # AND a mutation over GET is still refused (405), as without the cache
    mutation = await cached.client.get("/graphql", params={"query": "mutation { __typename }"})
    assert mutation.status_code == 405


async def test_an_emptied_database_starts_a_new_epoch(cached: Cached) -> None:
    await make_cohort("第一期", year=2025)
    await cached.ask(COHORTS)
    assert (await cached.ask(COHORTS)).headers["x-linzhi-cache"] == "hit"
    # WHEN a tool writes past the triggers and starts a new epoch (as `versions.install` does)
    await versions.new_epoch()
    # THEN nothing cached before is served
    assert (await cached.ask(COHORTS)).headers["x-linzhi-cache"] == "miss"


async def _random_writes(rng: random.Random, world: World, round_no: int) -> None:
    """A few writes to the tables the corpus reads, each through another path."""
    records = await Activity.all().values_list("id", flat=True)
    for record_id in rng.sample(list(records), 3):
        changes = {"title": f"第{round_no}轮改写{record_id}", "is_public": rng.random() < 0.6}
        await Activity.filter(id=record_id).update(**changes)
    cell = rng.choice([*world.cast.tree.grids, *world.cast.tree.micro_grids])
    await sql.fetch_all(
        "UPDATE grid_cell SET name = ? WHERE id = ? RETURNING id", [f"网格{round_no}", cell.id]
    )
    await Person.filter(id=world.cast.leader_row.person_id).update(name=f"李{round_no}号")
    await MicroLeader.filter(id=world.cast.other_leader_row.id).update(
        status=rng.choice([LeaderStatus.ENROLLED, LeaderStatus.CERTIFIED, LeaderStatus.WITHDRAWN])
    )
    micro = rng.choice(world.cast.tree.micro_grids)
    await insert_activities(
        micro, 2, author_user_id=world.cast.leader.user_id or 0, newest=hours_ago(round_no)
    )


async def test_generated_queries_get_the_same_answer_with_and_without_the_cache(cached: Cached) -> None:
    # GIVEN the world and the generated corpus of the compiled path's differential test
    world = await build_world()
    generated = corpus()
    rng = random.Random(16)
    stats = cached.view.cache.stats
    misses: list[int] = []
    for round_no in range(3):
        # WHEN random writes land between rounds
        if round_no:
            await _random_writes(rng, world, round_no)
        for query in generated:
            # THEN every anonymous answer, from the cache or not, is the resolvers' answer now
            expected = canonical((await cached.ask(query, **RESOLVERS)).json())
            for _ in range(2):
                response = await cached.ask(query)
                assert canonical(response.json()) == expected, (round_no, query)
        misses.append(stats.misses - sum(misses))
    # AND the cache was used: repeats hit, and after every round of writes queries missed again
    assert stats.hits > len(generated), stats
    assert all(n > 0 for n in misses), misses


async def test_every_table_is_versioned_or_declared_unread(db: None) -> None:
    # A new table must be a decision: versioned (the compiled path may read it), or declared as
    # never read by it; a statement naming an undeclared table would not be seen as reading it.
    from tortoise import Tortoise

    tables = {model._meta.db_table for model in Tortoise.apps["models"].values()}
    assert tables == set(versions.VERSIONED) | versions.UNVERSIONED
    assert not set(versions.VERSIONED) & versions.UNVERSIONED
    # AND every versioned table has its version row, and the database an epoch
    assert (await versions.read()).keys() == {*versions.VERSIONED, versions.EPOCH}


def test_the_cache_settings_refuse_what_they_cannot_honour() -> None:
    from api.settings import ConfigurationError

    assert Settings.from_env({}).cache == "memory"
    assert Settings.from_env({"LINZHI_CACHE": "OFF"}).cache == "off"
    redis = Settings.from_env({"LINZHI_CACHE": "redis", "LINZHI_REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert redis.cache_url == "redis://127.0.0.1:6379/0"
    for bad in ({"LINZHI_CACHE": "disk"}, {"LINZHI_CACHE": "redis"}, {"LINZHI_CACHE_BYTES": "0"}):
        with pytest.raises(ConfigurationError):
            Settings.from_env(bad)


async def test_a_database_without_versions_is_answered_uncached(cached: Cached) -> None:
    await make_cohort("第一期", year=2025)
    # GIVEN a database not migrated to 0020 (no table_version)
    await sql.fetch_all("DROP TABLE table_version")
    try:
        # WHEN anonymous readers ask, THEN they get the answer, never from the cache
        for _ in range(2):
            response = await cached.ask(COHORTS)
            assert response.headers["x-linzhi-cache"] == "bypass"
            assert response.json() == {"data": {"cohorts": [{"name": "第一期", "year": 2025}]}}
    finally:
        await versions.install()


async def test_writers_of_the_same_tables_in_opposite_orders_do_not_deadlock(
    database_url: str, db: None
) -> None:
    # GIVEN two people and two cohorts
    people = [await Person.create(name=f"人{i}", mobile="", is_demo=False) for i in range(2)]
    cohorts = [await make_cohort(f"第{i}期", year=2025) for i in range(2)]
    before = await versions.read()
    first_written = [asyncio.Event(), asyncio.Event()]

    async def writer(n: int, tables: list[str]) -> None:
        async with in_transaction() as tx:
            for step, table in enumerate(tables):
                row = (people if table == "person" else cohorts)[n]
                await tx.execute_query(f"UPDATE {table} SET name = name || '改' WHERE id = {row.id}")
                if step == 0 and concurrent:
                    first_written[n].set()
                    await first_written[1 - n].wait()  # both hold their first table before the second

    # WHEN one transaction writes person then cohort and the other cohort then person, at once on
    # PostgreSQL (SQLite has one writer at a time: one after the other)
    concurrent = database_url.startswith("postgres")
    runs = [writer(0, ["person", "cohort"]), writer(1, ["cohort", "person"])]
    if concurrent:
        await asyncio.wait_for(asyncio.gather(*runs), timeout=30)
    else:
        for run in runs:
            await run
    # THEN both commit (the versions are bumped at COMMIT, in index order: no deadlock), and each
    # table's version moved on once per transaction
    after = await versions.read()
    assert (after["person"] - before["person"], after["cohort"] - before["cohort"]) == (2, 2)
    assert await Person.filter(name__endswith="改").count() == 2
