"""Compiled read path mapping of the organisation directory (docs/compiler.md): Organisation ->
organisation, the public directory `organisations` (keyset on id, `domain.organisations.queries.
directory_filter`, the same rule the resolvers apply) and `organisation(id:)`. Members, sanctions,
ratings and eligibility are read by the resolvers (an organisation's page, not the hot list)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from graphql import FieldNode, GraphQLField

from api.compiler.arguments import path_of
from api.compiler.connection import Keyset
from api.compiler.mapping import Column, ToOne, TypeMap, register, root
from api.compiler.planner import Builder, Env
from api.compiler.roots import connection_root
from api.compiler.sql import Sql
from api.schema.organisations.queries import decode_directory_filter
from domain import clock
from domain.organisations import queries
from domain.organisations.models import LEGAL_FORM_LABELS, ORG_FIELD_LABELS, ORG_STATUS_LABELS

ORGANISATION = register(
    TypeMap(
        name="Organisation",
        table="organisation",
        # the columns `directory_filter` reads
        columns=frozenset(
            {"id", "home_cell_id", "contact_id", "status", "town_id", "home_path", "legal_form", "field"}
            | {"rating", "rating_valid_until", "social_work", "name"}
        ),
        fields={
            "name": Column("name"),
            "legalForm": Column("legal_form"),
            "legalFormLabel": Column("legal_form", labels=LEGAL_FORM_LABELS),
            "field": Column("field"),
            "fieldLabel": Column("field", labels=ORG_FIELD_LABELS),
            "status": Column("status"),
            "statusLabel": Column("status", labels=ORG_STATUS_LABELS),
            "uscc": Column("uscc"),
            "filingNumber": Column("filing_number"),
            "foundedOn": Column("founded_on", "date"),
            "filedOn": Column("filed_on", "date"),
            "registeredOn": Column("registered_on", "date"),
            "deregisteredOn": Column("deregistered_on", "date"),
            "socialWork": Column("social_work", "bool"),
            "rating": Column("rating"),
            "ratingValidUntil": Column("rating_valid_until", "date"),
            "summary": Column("summary"),
            "isDemo": Column("is_demo", "bool"),
            "homeCell": ToOne("GridCell", "home_cell_id"),
            "contact": ToOne("Person", "contact_id", nullable=True),  # PersonType.for_actor: masked
        },
    )
)


def _directory(env: Env, arguments: dict[str, Any]) -> queries.DirectoryFilter:
    # the day a rating must be valid on is the rule's only implicit input (`clock.today()` when
    # not given): given here, so that the memoised rendering (`Builder.rule`) is keyed on it
    return replace(decode_directory_filter(arguments.get("filter"), path_of(env)), day=clock.today())


# the public directory: `domain.organisations.queries.directory_filter`, by id
connection_root(
    "organisations",
    node_type="Organisation",
    table="organisation",
    keyset=Keyset((("id", "int"),)),
    keys=(int,),
    decode=_directory,
    where=lambda actor, f: queries.directory_filter(f),
)


@root("organisation")
def organisation(b: Builder, field_def: GraphQLField, nodes: Sequence[FieldNode]) -> Sql:
    return b.lookup(field_def, nodes, "Organisation")
