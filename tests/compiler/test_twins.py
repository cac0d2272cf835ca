"""The SQL twins of Python functions agree with them on both databases: name masking (and who
sees full names), global IDs, cursors, timestamps and JSON strings."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

from api.compiler.sql import SQLITE_FUNCTIONS, dialect_named, render_q
from api.schema.relay import encode_cursor
from domain import sql
from domain.access import Actor, Grant, Role
from domain.leaders.policy import can_view_progress, progress_filter
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
from tests.factories_activities import build_cast

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


async def test_who_sees_a_leaders_progress_is_the_same_in_sql(db: None) -> None:
    # GIVEN two leaders in different grids and actors of every kind (the leader themself, a resident
    # sharing nothing, grid staff over either grid, over the community, unscoped, the bureau)
    await _dialect()
    cast = await build_cast()
    tree = cast.tree
    leaders = [cast.leader_row, cast.other_leader_row]
    person = cast.leader_row.person_id  # type: ignore[attr-defined]
    actors = [
        Actor(),
        Actor(user_id=1, person_id=person, grants=(Grant(Role.MICRO_LEADER),)),
        Actor(user_id=1, person_id=person),  # the same person without the leader role
        Actor(user_id=2, person_id=999, grants=(Grant(Role.RESIDENT),)),
        *(
            Actor(user_id=3, grants=(Grant(Role.GRID_STAFF, cell_id=cell.id, cell_path=cell.path),))
            for cell in (tree.grids[0], tree.grids[1], tree.community)
        ),
        Actor(user_id=4, grants=(Grant(Role.GRID_STAFF),)),
        Actor(user_id=5, grants=(Grant(Role.BUREAU_STAFF),)),
        Actor(user_id=6, grants=(Grant(Role.ADMIN),)),
    ]
    columns = frozenset({"id", "person_id", "home_path"})
    for actor in actors:
        # WHEN the leaders are filtered by the SQL twin of `can_view_progress`
        rendered = render_q(progress_filter(actor), "l", columns)
        where = f"WHERE {rendered.text}" if rendered is not None else ""
        params = list(rendered.params) if rendered is not None else []
        rows = await sql.fetch_all(f"SELECT l.id FROM micro_leader l {where}", params)
        seen = {row["id"] for row in rows}
        # THEN it lets through exactly the leaders `can_view_progress` shows that actor
        shown = {leader.id for leader in leaders if can_view_progress(actor, leader)}
        assert seen & {leader.id for leader in leaders} == shown, actor
