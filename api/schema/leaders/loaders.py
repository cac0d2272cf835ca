"""Per-request DataLoaders for micro-leaders and training: one statement per batch."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from api.schema.loaders import loader_field
from domain.leaders import queries
from domain.leaders.models import Cohort, Enrolment, LeaderStatus, MicroLeader, TrainingSession
from domain.leaders.queries import Progress


async def cohorts_by_id(keys: list[int]) -> list[Cohort | None]:
    found = await queries.cohorts_by_ids(keys)
    return [found.get(k) for k in keys]


async def leaders_by_id(keys: list[int]) -> list[MicroLeader | None]:
    found = await queries.leaders_by_ids(keys)
    return [found.get(k) for k in keys]


async def leaders_by_cell(keys: list[int]) -> list[list[MicroLeader]]:
    grouped = await queries.leaders_in_cells(keys)
    return [grouped.get(k, []) for k in keys]


async def sessions_by_id(keys: list[int]) -> list[TrainingSession | None]:
    found = await queries.sessions_by_ids(keys)
    return [found.get(k) for k in keys]


async def sessions_by_cohort(keys: list[int]) -> list[list[TrainingSession]]:
    grouped = await queries.sessions_of_cohorts(keys)
    return [grouped.get(k, []) for k in keys]


async def enrolments_by_session(keys: list[int]) -> list[list[Enrolment]]:
    grouped = await queries.enrolments_of_sessions(keys)
    return [grouped.get(k, []) for k in keys]


async def progress_by_leader(keys: list[int]) -> list[Progress | None]:
    found = await queries.progress_for(keys)
    return [found.get(k) for k in keys]


async def status_counts_by_cohort(keys: list[int]) -> list[dict[LeaderStatus, int]]:
    found = await queries.leader_counts(keys)
    return [found.get(k, {}) for k in keys]


@dataclass
class LeaderLoaders:
    cohort_by_id: DataLoader[int, Cohort | None] = loader_field(cohorts_by_id)
    leader_by_id: DataLoader[int, MicroLeader | None] = loader_field(leaders_by_id)
    leaders_by_cell: DataLoader[int, list[MicroLeader]] = loader_field(leaders_by_cell)
    session_by_id: DataLoader[int, TrainingSession | None] = loader_field(sessions_by_id)
    sessions_by_cohort: DataLoader[int, list[TrainingSession]] = loader_field(sessions_by_cohort)
    enrolments_by_session: DataLoader[int, list[Enrolment]] = loader_field(enrolments_by_session)
    progress_by_leader: DataLoader[int, Progress | None] = loader_field(progress_by_leader)
    status_counts_by_cohort: DataLoader[int, dict[LeaderStatus, int]] = loader_field(status_counts_by_cohort)
