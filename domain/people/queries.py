"""Reads of people."""

from __future__ import annotations

from collections.abc import Iterable

from domain.people.models import Person


async def persons_by_ids(ids: Iterable[int]) -> dict[int, Person]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {person.id: person for person in await Person.filter(id__in=wanted)}
