"""Per-request DataLoaders of venture funding: one statement per batch."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from api.schema.loaders import loader_field
from domain.funding import queries
from domain.funding.models import (
    Application,
    ApplicationEvent,
    BudgetLine,
    Evaluation,
    FundingRound,
    Need,
    Tranche,
)


async def rounds_by_id(keys: list[int]) -> list[FundingRound | None]:
    found = await queries.rounds_by_ids(keys)
    return [found.get(k) for k in keys]


async def applications_by_id(keys: list[int]) -> list[Application | None]:
    found = await queries.applications_by_ids(keys)
    return [found.get(k) for k in keys]


async def public_results(keys: list[int]) -> list[bool]:
    found = await queries.public_result_ids(keys)
    return [k in found for k in keys]


async def published_awards(keys: list[int]) -> list[int]:
    found = await queries.published_awards(keys)
    return [found[k] for k in keys]


async def budget_lines(keys: list[int]) -> list[list[BudgetLine]]:
    found = await queries.budget_lines_of(keys)
    return [found[k] for k in keys]


async def events(keys: list[int]) -> list[list[ApplicationEvent]]:
    found = await queries.timelines_of(keys)
    return [found[k] for k in keys]


async def tranches(keys: list[int]) -> list[list[Tranche]]:
    found = await queries.tranches_of(keys)
    return [found[k] for k in keys]


async def evaluations(keys: list[int]) -> list[list[Evaluation]]:
    found = await queries.evaluations_of(keys)
    return [found[k] for k in keys]


async def tranches_by_id(keys: list[int]) -> list[Tranche | None]:
    found = await queries.tranches_by_ids(keys)
    return [found.get(k) for k in keys]


async def evaluations_by_id(keys: list[int]) -> list[Evaluation | None]:
    found = await queries.evaluations_by_ids(keys)
    return [found.get(k) for k in keys]


async def needs_by_id(keys: list[int]) -> list[Need | None]:
    found = await queries.needs_by_ids(keys)
    return [found.get(k) for k in keys]


@dataclass
class FundingLoaders:
    round_by_id: DataLoader[int, FundingRound | None] = loader_field(rounds_by_id)
    application_by_id: DataLoader[int, Application | None] = loader_field(applications_by_id)
    is_public_result: DataLoader[int, bool] = loader_field(public_results)
    published_awards_by_round: DataLoader[int, int] = loader_field(published_awards)
    budget_lines_by_application: DataLoader[int, list[BudgetLine]] = loader_field(budget_lines)
    events_by_application: DataLoader[int, list[ApplicationEvent]] = loader_field(events)
    tranches_by_application: DataLoader[int, list[Tranche]] = loader_field(tranches)
    evaluations_by_application: DataLoader[int, list[Evaluation]] = loader_field(evaluations)
    tranche_by_id: DataLoader[int, Tranche | None] = loader_field(tranches_by_id)
    evaluation_by_id: DataLoader[int, Evaluation | None] = loader_field(evaluations_by_id)
    need_by_id: DataLoader[int, Need | None] = loader_field(needs_by_id)
