"""Per-request DataLoaders of venture funding: one statement per batch."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from api.schema.loaders import loader_field
from domain.access import Actor
from domain.funding import attachments, queries
from domain.funding.models import (
    Application,
    ApplicationAttachment,
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


async def attachments_of(keys: list[int]) -> list[list[ApplicationAttachment]]:
    found = await attachments.attachments_of(keys)
    return [found[k] for k in keys]


async def attachments_by_id(keys: list[int]) -> list[ApplicationAttachment | None]:
    found = await attachments.attachments_by_ids(keys)
    return [found.get(k) for k in keys]


ReviewerKey = tuple[Actor, int, int]
"""(reader, the round's panel id, application id): one reader per request."""


async def reviewer_blind(keys: list[ReviewerKey]) -> list[bool | None]:
    """Whether the reader reads each application's attachments as its reviewer, and blind (None:
    they do not)."""
    found: dict[ReviewerKey, bool] = {}
    for actor in {k[0] for k in keys}:
        pairs = [(panel, application) for a, panel, application in keys if a == actor]
        blind = await attachments.reviewer_blind(actor, pairs)
        found.update({(actor, p, s): b for (p, s), b in blind.items()})
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
    attachments_by_application: DataLoader[int, list[ApplicationAttachment]] = loader_field(attachments_of)
    attachment_by_id: DataLoader[int, ApplicationAttachment | None] = loader_field(attachments_by_id)
    reviewer_blind: DataLoader[ReviewerKey, bool | None] = loader_field(reviewer_blind)
