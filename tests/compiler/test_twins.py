"""The SQL twins of Python functions agree with them on both databases: name masking (and who
sees full names), global IDs, cursors, timestamps and JSON strings.

A rule written twice (a Python predicate over a row and a `Q` or SQL over the table) can drift,
and a drifted visibility rule is a privacy bug. So every such pair is declared below (`Q_TWINS`,
`SQL_TWINS`) and checked row by row; every other `Q` rule of the domain is declared the only form
of its rule (`Q_ONLY`: both read paths render that one `Q`). A new rule that is in none of these
lists fails `test_every_rule_written_twice_is_declared_and_checked`."""

from __future__ import annotations

import base64
import importlib
import inspect
import json
import pkgutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import domain
from api.compiler.sql import SQLITE_FUNCTIONS, dialect_named
from api.schema.relay import encode_cursor
from domain import sql
from domain.access import Actor, Grant, Role
from domain.activities import models as activity_models
from domain.activities import policy as activity_policy
from domain.activities import queries as activity_queries
from domain.funding import queries as funding_queries
from domain.grids import queries as grid_queries
from domain.leaders import queries as leader_queries
from domain.organisations import queries as organisation_queries
from domain.pagination import keyset_past
from domain.people import policy as people_policy
from domain.people.masking import (
    mask_mobile,
    mask_mobile_sql,
    mask_name,
    mask_name_sql,
    mask_resident_id,
    mask_resident_id_sql,
)
from domain.people.models import Person
from domain.people.policy import masked_sql, mobile_sql, name_sql, resident_id_sql, view_for
from domain.review import queries as review_queries

# Q over a table (from the actor) -> the Python predicate (actor, row) it must agree with. Checked
# for every kind of actor and record in tests/compiler/test_activity_privacy.py
# (`test_the_sql_twins_agree_with_the_predicates_for_every_actor_and_record`).
Q_TWINS: dict[Callable[..., Any], Callable[..., bool]] = {
    activity_policy.visible_filter: activity_policy.can_view,
    activity_policy.details_filter: activity_policy.can_see_details,
    activity_policy.full_view_filter: activity_policy.has_full_view,
    activity_policy.review_filter: activity_policy.can_review,
}
TWIN_CHECKS = {"domain.activities.policy"}  # the modules whose pairs that test checks

# The feed's parameterised filters: no Python twin of their own; test_activity_privacy checks them
# against `has_full_view` / `can_see_details` (a micro-grid only for a full view, a leader's
# records only where their details show).
Q_FEED_RULES = {activity_policy.cell_filter, activity_policy.subtree_filter, activity_policy.leader_filter}

# Rules that exist only as a Q: the resolvers filter with it, the compiled path renders it.
Q_ONLY = {
    activity_models.in_subtree,
    activity_queries.feed_filter,
    activity_queries.queue_filter,
    activity_queries.mine_filter,
    grid_queries.active_cells,
    grid_queries.cells_filter,
    grid_queries.code_prefix,
    leader_queries.active_leaders,
    leader_queries.leaders_filter,
    leader_queries.name_search,
    organisation_queries.directory_filter,
    funding_queries.public_round,
    funding_queries.public_result,
    funding_queries.public_need,
    funding_queries.visible_rounds,
    funding_queries.visible_applications_of,
    review_queries.visible_entries_filter,
    keyset_past,  # the cursor bounds of every keyset page
}

# SQL expression builders -> the Python function they twin (checked in this module).
SQL_TWINS: dict[Callable[..., Any], Callable[..., Any]] = {
    mask_name_sql: mask_name,
    mask_mobile_sql: mask_mobile,
    mask_resident_id_sql: mask_resident_id,
    people_policy.name_sql: view_for,
    people_policy.mobile_sql: view_for,
    people_policy.resident_id_sql: view_for,
    people_policy.masked_sql: view_for,
}


def _domain_functions() -> list[Callable[..., Any]]:
    """Every public function defined in a module of `domain`."""
    found = []
    for module_info in pkgutil.walk_packages(domain.__path__, "domain."):
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_"):
                found.append(value)
    return found


def _returns_q(fn: Callable[..., Any]) -> bool:
    returns = str(inspect.signature(fn).return_annotation).replace("QuerySet", "")
    return "Q" in returns.replace("[", " ").replace("]", " ").replace("|", " ").split()


def test_every_rule_written_twice_is_declared_and_checked() -> None:
    # GIVEN every public function of the domain
    functions = _domain_functions()
    # THEN each one building a Q is a declared twin (whose module has a row-by-row check), a feed
    # filter checked against the twins, or the only form of its rule
    for fn in functions:
        if _returns_q(fn):
            name = f"{fn.__module__}.{fn.__name__}"
            assert fn in Q_TWINS or fn in Q_FEED_RULES or fn in Q_ONLY, f"{name}: declare it in test_twins.py"
    for q in Q_TWINS:
        assert q.__module__ in TWIN_CHECKS, q.__name__
    # ... and each SQL expression builder (`*_sql`) is a declared twin of a Python function
    for fn in functions:
        if fn.__name__.endswith("_sql"):
            assert fn in SQL_TWINS, f"{fn.__module__}.{fn.__name__}: declare its Python twin in test_twins.py"


NAMES = ["", "张", "张三", "张三丰", "欧阳娜娜", "A", "Ab", "Mary Ann", "𠀀字"]


async def _dialect() -> str:
    await sql.register_functions(SQLITE_FUNCTIONS)
    return sql.dialect()


async def _one(expr: str, params: list[object]) -> object:
    rows = await sql.fetch_all(f"SELECT {expr} AS v", params)
    return rows[0]["v"]


async def test_masked_names_are_the_same_in_sql(db: None) -> None:
    # GIVEN names of every length
    dialect = await _dialect()
    for name in NAMES:
        # WHEN the SQL twin masks them
        masked = await _one(
            f"(SELECT {mask_name_sql('x.n', dialect)} FROM (SELECT CAST(? AS TEXT) AS n) x)", [name]
        )
        # THEN it is what Python shows
        assert masked == mask_name(name), name


async def test_who_sees_full_names_is_the_same_in_sql(db: None) -> None:
    # GIVEN a person and actors who may or may not see their full name
    dialect = await _dialect()
    person = await Person.create(name="李微领")
    other = await Person.create(name="王五")
    actors = [
        Actor(),
        Actor(user_id=1, person_id=person.id),  # oneself
        Actor(user_id=2, person_id=other.id),  # another resident
        Actor(user_id=3, grants=(Grant(Role.GRID_STAFF, cell_id=9, cell_path="00000009"),)),
        Actor(user_id=4, grants=(Grant(Role.BUREAU_STAFF),)),
    ]
    for actor in actors:
        # WHEN the name is read through the SQL twin of `view_for`
        text, params = name_sql(actor, "p.name", "p.id", dialect)
        rows = await sql.fetch_all(f"SELECT {text} AS v FROM person p WHERE p.id = ?", [*params, person.id])
        # THEN it is the name `view_for` gives that actor
        assert rows[0]["v"] == view_for(actor, person).name, actor


async def test_ids_cursors_times_and_strings_are_encoded_alike(db: None) -> None:
    # GIVEN the dialect of the database
    d = dialect_named(await _dialect())
    # THEN global IDs and cursors are the base64 the resolvers send
    for text in ("GridCell:1", "MicroLeader:1234567890", "Activity:42"):
        assert await _one(d.b64("CAST(? AS TEXT)"), [text]) == base64.b64encode(text.encode()).decode()
    moments = [
        datetime(2026, 11, 29, 8, 0, tzinfo=UTC),
        datetime(2026, 11, 29, 8, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 11, 29, 8, 0, 0, 500, tzinfo=UTC),
        datetime(2025, 1, 1, 23, 59, 59, tzinfo=timezone(timedelta(hours=8))).astimezone(UTC),
    ]
    for moment in moments:
        # a timestamp as Tortoise stores it, sent as strawberry sends it (UTC, isoformat)
        stored = "?" if d.name == "sqlite" else "CAST(? AS TIMESTAMPTZ)"
        iso = await _one(f"(SELECT {d.iso('x.t')} FROM (SELECT {stored} AS t) x)", [moment])
        assert iso == moment.isoformat()
        cursor = d.b64url(
            "'c1:[' || "
            + d.json_quote("CAST(? AS TEXT)")
            + " || ',' || CAST(CAST(? AS BIGINT) AS TEXT) || ']'"
        )
        assert await _one(cursor, [moment.isoformat(), 7]) == encode_cursor((moment, 7))
    for text in ("330482", '引号"和\\反斜杠', "换行\n制表\t", "控制\x01字符", "emoji 😀", "</script>"):
        quoted = await _one(d.json_quote("CAST(? AS TEXT)"), [text])
        assert quoted == json.dumps(text, ensure_ascii=False), text


MOBILES = ["13812341234", "1381234123", "138123412345", "1", "+8613812341"]
RESIDENT_IDS = ["330482199001010027", "33048219900101002X", "12345678901", "1234567890", "1", "A" * 18]


async def test_masked_mobiles_and_resident_ids_are_the_same_in_sql(db: None) -> None:
    # GIVEN mobiles and resident IDs of every length
    dialect = await _dialect()
    for value in MOBILES + RESIDENT_IDS:
        # WHEN the SQL twins mask them
        row = "(SELECT CAST(? AS TEXT) AS v) x"
        mobile = await _one(f"(SELECT {mask_mobile_sql('x.v', dialect)} FROM {row})", [value])
        resident_id = await _one(f"(SELECT {mask_resident_id_sql('x.v', dialect)} FROM {row})", [value])
        # THEN they are what Python shows
        assert mobile == mask_mobile(value), value
        assert resident_id == mask_resident_id(value), value


async def test_who_sees_which_personal_fields_is_the_same_in_sql(db: None) -> None:
    # GIVEN people with and without a mobile and a resident ID, and actors of every kind
    dialect = await _dialect()
    people = [
        await Person.create(name="李微领", mobile="13812341234", resident_id="330482199001010027"),
        await Person.create(name="王五", mobile="", resident_id=None),
        await Person.create(name="赵六", mobile=None, resident_id="1234"),
    ]
    actors = [
        Actor(),
        Actor(user_id=1, person_id=people[0].id),
        Actor(user_id=2, person_id=people[1].id),
        Actor(user_id=3, grants=(Grant(Role.GRID_STAFF, cell_id=9, cell_path="00000009"),)),
        Actor(user_id=4, grants=(Grant(Role.BUREAU_STAFF),)),
    ]
    d = dialect_named(dialect)
    for actor in actors:
        for person in people:
            # WHEN the person is read through the SQL twins of `view_for`
            parts = [
                name_sql(actor, "p.name", "p.id", dialect),
                mobile_sql(actor, "p.mobile", "p.id", dialect),
                resident_id_sql(actor, "p.resident_id", "p.id", dialect),
                masked_sql(actor, "p.id"),
            ]
            select = ", ".join(f"{text} AS f{i}" for i, (text, _) in enumerate(parts[:3]))
            select += f", {d.boolean(parts[3][0])} AS f3"
            params = [p for _, ps in parts for p in ps]
            rows = await sql.fetch_all(f"SELECT {select} FROM person p WHERE p.id = ?", [*params, person.id])
            row = rows[0]
            # THEN each field is what `view_for` gives that actor
            view = view_for(actor, person)
            assert (row["f0"], row["f1"], row["f2"]) == (view.name, view.mobile, view.resident_id), actor
            assert row["f3"] in (view.masked, int(view.masked), json.dumps(view.masked)), actor
