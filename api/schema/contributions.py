"""Contribution points: where one domain adds fields to another domain's GraphQL type from its own
folder (the grid cell's `leaders` come from the leaders domain, its `activities` from the activity
log), so the owner of the type does not import the domains that extend it.

A type declares a `Slot` (the field its contributions go before, so the SDL keeps its order); a
domain declares `Fields(slot, holder)`, where `holder` is a `@strawberry.type` whose fields move
onto the slot's type. The registry (`api.schema.domains`) applies the contributions once, in
domain order, before the schema is built. The compiled read path has its twin in
`api.compiler.mapping.extend`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Slot:
    """Contributed fields are inserted into `target` before its field `before` (a python name)."""

    target: type
    before: str


@dataclass(frozen=True)
class Fields:
    slot: Slot
    holder: type  # a @strawberry.type; its fields resolve with the slot target's object as root


def definition(cls: type) -> object:
    return cls.__strawberry_definition__  # type: ignore[attr-defined]


def apply(contributions: Iterable[Fields]) -> None:
    """Insert each contribution's fields before its slot's field; a field already there is kept
    (applying twice changes nothing)."""
    for contribution in contributions:
        target = definition(contribution.slot.target).fields  # type: ignore[attr-defined]
        present = {f.python_name for f in target}
        added = [f for f in definition(contribution.holder).fields if f.python_name not in present]  # type: ignore[attr-defined]
        at = next(i for i, f in enumerate(target) if f.python_name == contribution.slot.before)
        target[at:at] = added
