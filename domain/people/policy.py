"""What of a person an actor sees. Masked by default: full names for staff and for oneself,
mobile numbers and resident IDs in full only for oneself, or through an audited unmask. Others'
mobile numbers and resident IDs are shown masked to staff only: anyone else (anonymous readers,
residents, micro-leaders) gets null, since even a masked number narrows who someone is."""

from __future__ import annotations

from dataclasses import dataclass

from domain.access import Actor
from domain.people.masking import (
    mask_mobile,
    mask_mobile_sql,
    mask_name,
    mask_name_sql,
    mask_resident_id,
    mask_resident_id_sql,
)
from domain.people.models import Person


@dataclass(frozen=True)
class PersonView:
    id: int
    name: str
    mobile: str | None
    resident_id: str | None
    masked: bool
    is_demo: bool  # generated demo data (演示数据): says nothing about the person


def can_see_full_names(actor: Actor) -> bool:
    """Names are masked for the public; staff working with people see them."""
    return actor.is_staff


def sees_masked_contact(actor: Actor) -> bool:
    """Whether the actor sees other people's mobile numbers and resident IDs (masked) at all."""
    return actor.is_staff


def view_for(actor: Actor, person: Person) -> PersonView:
    own = actor.person_id is not None and actor.person_id == person.id
    name = person.name if own or actor.is_staff else mask_name(person.name)
    if own:
        return PersonView(
            person.id, name, person.mobile, person.resident_id, masked=False, is_demo=person.is_demo
        )
    staff = sees_masked_contact(actor)
    return PersonView(
        person.id,
        name,
        mask_mobile(person.mobile) if staff and person.mobile else None,
        mask_resident_id(person.resident_id) if staff and person.resident_id else None,
        masked=True,
        is_demo=person.is_demo,
    )


def name_sql(actor: Actor, name_column: str, id_column: str, dialect: str) -> tuple[str, list[int]]:
    """`view_for(actor, person).name` as SQL over a person row: the full name for staff and for
    oneself, masked otherwise. Returns the expression and its bind parameters (`?`)."""
    if actor.is_staff:
        return name_column, []
    masked = mask_name_sql(name_column, dialect)
    if actor.person_id is None:
        return masked, []
    return f"CASE WHEN {id_column} = ? THEN {name_column} ELSE {masked} END", [actor.person_id]


def _own_sql(actor: Actor, id_column: str) -> tuple[str | None, list[int]]:
    """SQL "this person row is the actor", None when the actor is no person."""
    if actor.person_id is None:
        return None, []
    return f"{id_column} = ?", [actor.person_id]


def _private_sql(actor: Actor, column: str, id_column: str, masked: str) -> tuple[str, list[int]]:
    """A personal field: the value for oneself, else `masked` for staff (None for NULL or empty,
    as `view_for` does), else NULL."""
    own, params = _own_sql(actor, id_column)
    absent = f"{column} IS NULL OR {column} = ''"
    other = f"CASE WHEN {absent} THEN NULL ELSE {masked} END" if sees_masked_contact(actor) else "NULL"
    if own is None:
        return other, []
    return f"CASE WHEN {own} THEN {column} ELSE {other} END", params


def mobile_sql(actor: Actor, mobile_column: str, id_column: str, dialect: str) -> tuple[str, list[int]]:
    """`view_for(actor, person).mobile` as SQL over a person row (see `name_sql`)."""
    return _private_sql(actor, mobile_column, id_column, mask_mobile_sql(mobile_column, dialect))


def resident_id_sql(
    actor: Actor, resident_id_column: str, id_column: str, dialect: str
) -> tuple[str, list[int]]:
    """`view_for(actor, person).resident_id` as SQL over a person row (see `name_sql`)."""
    masked = mask_resident_id_sql(resident_id_column, dialect)
    return _private_sql(actor, resident_id_column, id_column, masked)


def masked_sql(actor: Actor, id_column: str) -> tuple[str, list[int]]:
    """`view_for(actor, person).masked` as a SQL condition: everyone but oneself sees a mask."""
    own, params = _own_sql(actor, id_column)
    return ("1 = 1", []) if own is None else (f"NOT ({own})", params)


def unmasked(person: Person) -> PersonView:
    """Only after `domain.accounts.service.unmask_person` allowed and audited it."""
    return PersonView(
        person.id, person.name, person.mobile, person.resident_id, masked=False, is_demo=person.is_demo
    )


def can_look_up(actor: Actor, person_id: int) -> bool:
    """Looking a person up by ID (rather than reaching them through a public role such as a
    grid head) is for staff and for oneself: IDs must not enumerate residents."""
    return actor.is_staff or actor.person_id == person_id
