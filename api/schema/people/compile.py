"""Compiled read path mapping of people (see docs/compiler.md): Person -> person, every personal
field through the SQL twin of `domain.people.policy.view_for` (masked unless it is oneself; full
names for staff). Reached through relations (`MicroLeader.person`, `GridCell.head`); looking a
person up by ID stays on the resolvers."""

from __future__ import annotations

from collections.abc import Callable

from api.compiler.mapping import Column, Computed, TypeMap, register
from api.compiler.planner import Builder, Env
from api.compiler.sql import Sql
from domain.access import Actor
from domain.people.policy import masked_sql, mobile_sql, name_sql, resident_id_sql

Twin = Callable[[Actor, str, str, str], tuple[str, list[int]]]


def _through(twin: Twin, column: str) -> Callable[[Builder, str], Sql]:
    def build(b: Builder, alias: str) -> Sql:
        dialect = b.dialect.name

        def expr(env: Env) -> Sql:
            text, params = twin(env.actor, f"{alias}.{column}", f"{alias}.id", dialect)
            return Sql(text, tuple(params))

        return b.dyn(expr)

    return build


def _masked(b: Builder, alias: str) -> Sql:
    def expr(env: Env) -> Sql:
        text, params = masked_sql(env.actor, f"{alias}.id")
        return Sql(text, tuple(params))

    return b.dyn(expr)


PERSON = register(
    TypeMap(
        name="Person",
        table="person",
        columns=frozenset({"id", "name"}),
        fields={
            "name": Computed(_through(name_sql, "name")),
            "mobile": Computed(_through(mobile_sql, "mobile")),
            "residentId": Computed(_through(resident_id_sql, "resident_id")),
            "masked": Computed(_masked, kind="bool"),
            "isDemo": Column("is_demo", "bool"),
        },
    )
)
