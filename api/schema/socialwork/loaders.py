"""Per-request DataLoaders of social work: one statement per batch."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from api.schema.loaders import loader_field
from domain.socialwork import queries
from domain.socialwork.models import Placement, SocialWorker, Station, SupervisionRecord


async def workers_by_id(keys: list[int]) -> list[SocialWorker | None]:
    found = await queries.workers_by_ids(keys)
    return [found.get(k) for k in keys]


async def stations_by_id(keys: list[int]) -> list[Station | None]:
    found = await queries.stations_by_ids(keys)
    return [found.get(k) for k in keys]


async def placements_by_id(keys: list[int]) -> list[Placement | None]:
    found = await queries.placements_by_ids(keys)
    return [found.get(k) for k in keys]


async def records_by_id(keys: list[int]) -> list[SupervisionRecord | None]:
    found = await queries.records_by_ids(keys)
    return [found.get(k) for k in keys]


async def placements_by_agency(keys: list[int]) -> list[list[Placement]]:
    grouped = await queries.placements_of_agencies(keys)
    return [grouped.get(k, []) for k in keys]


async def workers_by_employer(keys: list[int]) -> list[list[SocialWorker]]:
    grouped = await queries.workers_of_employers(keys)
    return [grouped.get(k, []) for k in keys]


async def supervisees_by_record(keys: list[int]) -> list[list[SocialWorker]]:
    grouped = await queries.supervisees_of(keys)
    return [grouped.get(k, []) for k in keys]


@dataclass
class SocialWorkLoaders:
    worker_by_id: DataLoader[int, SocialWorker | None] = loader_field(workers_by_id)
    station_by_id: DataLoader[int, Station | None] = loader_field(stations_by_id)
    placement_by_id: DataLoader[int, Placement | None] = loader_field(placements_by_id)
    record_by_id: DataLoader[int, SupervisionRecord | None] = loader_field(records_by_id)
    placements_by_agency: DataLoader[int, list[Placement]] = loader_field(placements_by_agency)
    workers_by_employer: DataLoader[int, list[SocialWorker]] = loader_field(workers_by_employer)
    supervisees_by_record: DataLoader[int, list[SocialWorker]] = loader_field(supervisees_by_record)
