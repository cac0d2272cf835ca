"""Reads of venture funding. Public rules as predicates (`Q`) so every reader, the resolvers and a
compiled read path alike, renders the same rule:
- a round is public once it left its draft (`public_round`)
- an application is public once its round's results are publicised and it is among the results
  (`public_result`): publicised, approved, running or finished projects, with their award
- a need is public once staff published it (`public_need`), never with its submitter.
Every list is one statement (keyset pages on id)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from tortoise.expressions import Q

from domain.errors import DomainError, ValidationErrors
from domain.funding.applications import ApplicationInput, _checked, applicant_problems
from domain.funding.models import (
    PUBLISHED_STATUSES,
    RESULT_STAGES,
    Application,
    ApplicationEvent,
    BudgetLine,
    FundingRound,
    Need,
    NeedStatus,
    RoundStage,
    Tranche,
)
from domain.pagination import Page, PageRequest, keyset_page

ORDER = ("id",)
MAX_EVENTS = 200


def public_round() -> Q:
    return ~Q(stage=RoundStage.DRAFT)


def public_result(round_id: int | None = None) -> Q:
    rule = Q(round__stage__in=list(RESULT_STAGES), status__in=list(PUBLISHED_STATUSES))
    return rule & Q(round_id=round_id) if round_id is not None else rule


def public_need(round_id: int) -> Q:
    return Q(round_id=round_id, status=NeedStatus.PUBLISHED, round__stage__not=RoundStage.DRAFT)


async def rounds(page: PageRequest, *, public: bool = True) -> Page[FundingRound]:
    query = FundingRound.filter(public_round()) if public else FundingRound.all()
    return await keyset_page(query, ORDER, page)


async def results(round_id: int, page: PageRequest) -> Page[Application]:
    """A round's published results with their organisation: one statement."""
    query = Application.filter(public_result(round_id)).select_related("organisation")
    return await keyset_page(query, ORDER, page)


async def needs(round_id: int, page: PageRequest) -> Page[Need]:
    return await keyset_page(Need.filter(public_need(round_id)), ORDER, page)


async def applications_of(organisation_id: int, page: PageRequest) -> Page[Application]:
    """Every application of one organisation (its organisers' and the bureau's view)."""
    return await keyset_page(Application.filter(organisation_id=organisation_id), ORDER, page)


async def budget_lines_of(application_ids: Iterable[int]) -> dict[int, list[BudgetLine]]:
    wanted = list(set(application_ids))
    grouped: dict[int, list[BudgetLine]] = defaultdict(list)
    for line in await BudgetLine.filter(application_id__in=wanted).order_by("application_id", "position"):
        grouped[line.application_id].append(line)
    return {a: grouped[a] for a in wanted}


async def timeline_of(application_id: int) -> list[ApplicationEvent]:
    return await ApplicationEvent.filter(application_id=application_id).order_by("id").limit(MAX_EVENTS)


async def tranches_of(application_ids: Iterable[int]) -> dict[int, list[Tranche]]:
    wanted = list(set(application_ids))
    grouped: dict[int, list[Tranche]] = defaultdict(list)
    for tranche in await Tranche.filter(application_id__in=wanted).order_by("application_id", "seq"):
        grouped[tranche.application_id].append(tranche)
    return {a: grouped[a] for a in wanted}


# --- reads of the web pages (one statement each) ------------------------------------------------


async def round_by_id(round_id: int, *, public: bool = True) -> FundingRound | None:
    query = FundingRound.filter(public_round()) if public else FundingRound.all()
    return await query.filter(id=round_id).first()


async def application_by_id(application_id: int) -> Application | None:
    """One application with its round, organisation and sponsor."""
    return (
        await Application.filter(id=application_id).select_related("round", "organisation", "sponsor").first()
    )


async def applications_for(organisation_ids: Iterable[int], page: PageRequest) -> Page[Application]:
    """The applications of several organisations (an organiser's 我的申报) with their round and
    organisation."""
    query = Application.filter(organisation_id__in=list(set(organisation_ids)))
    return await keyset_page(query.select_related("round", "organisation"), ORDER, page)


async def is_public_result(application_id: int) -> bool:
    return await Application.filter(public_result(), id=application_id).exists()


async def application_problems(
    funding_round: FundingRound,
    data: ApplicationInput,
    application: Application | None,
    *,
    submitting: bool,
    today: date,
) -> list[DomainError]:
    """Every rule saving `data` would break and, when `submitting`, every automatic eligibility
    problem of the submission, all at once and nothing written: a form shows them together and
    saves only when there are none (the use cases check again as they write)."""
    problems: list[DomainError] = []
    try:
        await _checked(funding_round, data)
    except ValidationErrors as refused:
        problems.extend(refused.errors)
    if submitting:
        draft = application or Application(round_id=funding_round.id, organisation_id=data.organisation_id)
        draft.project_name = data.project_name.strip()
        draft.sponsor_id = data.sponsor_id
        problems.extend(await applicant_problems(funding_round, draft, today))
    return problems
