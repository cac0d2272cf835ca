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

from domain.errors import DomainError, NotFound, ValidationErrors
from domain.funding.applications import ApplicationInput, _checked, applicant_problems, problems_of
from domain.funding.models import (
    HOLDS_POOL,
    LIVE_STATUSES,
    PUBLISHED_STATUSES,
    RESULT_STAGES,
    Application,
    ApplicationEvent,
    AppStatus,
    BudgetLine,
    Evaluation,
    FundingRound,
    Need,
    NeedStatus,
    Reclaim,
    RoundStage,
    Tranche,
    TrancheStatus,
)
from domain.organisations.eligibility import eligibility_of
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


# --- the bureau's pages (web/routes/funding_staff.py): every list one statement, capped ----------

STAFF_MAX = 500
# An application from its review on: what the allocation page and the results export list.
RANKED_STATUSES = HOLDS_POOL | {AppStatus.REVIEWED, AppStatus.WAITLISTED, AppStatus.NOT_SELECTED}


async def round_by_id(round_id: int) -> FundingRound:
    funding_round = await FundingRound.get_or_none(id=round_id)
    if funding_round is None:
        raise NotFound("公益创投轮次不存在", ["roundId"])
    return funding_round


async def staff_rounds() -> list[FundingRound]:
    """Every round, drafts included, newest edition first (the bureau's view)."""
    return await FundingRound.all().order_by("-edition").limit(STAFF_MAX)


async def applications_in(
    round_id: int, statuses: Iterable[AppStatus], *, limit: int = STAFF_MAX
) -> list[Application]:
    """A round's applications in `statuses` with their organisation and sponsor, by id."""
    query = Application.filter(round_id=round_id, status__in=list(statuses))
    return await query.select_related("organisation", "sponsor").order_by("id").limit(limit)


ELIGIBILITY_STATUSES = (AppStatus.SUBMITTED, AppStatus.NEEDS_INFO, AppStatus.ELIGIBLE, AppStatus.INELIGIBLE)


async def eligibility_queue(
    funding_round: FundingRound, today: date
) -> list[tuple[Application, list[DomainError]]]:
    """The round's applications at eligibility (submitted, returned for information, decided),
    each submitted one with the automatic rules' problems (`applications.applicant_problems`, read
    for all of them at once): four statements."""
    rows = await applications_in(funding_round.id, ELIGIBILITY_STATUSES)
    queue = [a for a in rows if a.status is AppStatus.SUBMITTED]
    org_ids = {a.organisation_id for a in queue}
    found = await eligibility_of(org_ids | {a.sponsor_id for a in queue if a.sponsor_id}, today)
    live = await Application.filter(
        round_id=funding_round.id, organisation_id__in=list(org_ids), status__in=list(LIVE_STATUSES)
    ).values_list("id", "organisation_id", "project_name")
    result: list[tuple[Application, list[DomainError]]] = []
    for application in rows:
        if application.status is not AppStatus.SUBMITTED:
            result.append((application, []))
            continue
        names = [
            str(name)
            for (pk, org, name) in live
            if org == application.organisation_id and pk != application.id
        ]
        result.append((application, problems_of(funding_round, application, found, names)))
    return result


async def open_tranches() -> list[Tranche]:
    """Tranches waiting for approval or payment across rounds, with their project, organisation
    and round, oldest first."""
    query = Tranche.filter(status__in=[TrancheStatus.DUE, TrancheStatus.APPROVED])
    related = ("application__organisation", "application__round")
    return await query.select_related(*related).order_by("id").limit(STAFF_MAX)


async def paid_tranches() -> list[Tranche]:
    """Paid tranches with their project and organisation (what a reclaim may recover)."""
    query = Tranche.filter(status=TrancheStatus.PAID).select_related("application__organisation")
    return await query.order_by("application_id", "seq").limit(STAFF_MAX)


async def reclaimed_fen(application_ids: Iterable[int]) -> dict[int, int]:
    rows = await Reclaim.filter(application_id__in=list(set(application_ids))).values_list(
        "application_id", "amount_fen"
    )
    totals: dict[int, int] = defaultdict(int)
    for application_id, amount in rows:
        totals[int(application_id)] += int(amount)
    return dict(totals)


async def pending_evaluations() -> list[Evaluation]:
    """Self-assessments waiting for an evaluator's score, with their project and organisation."""
    query = Evaluation.filter(passed__isnull=True).select_related("application__organisation")
    return await query.order_by("id").limit(STAFF_MAX)


async def applications_by_ids(application_ids: Iterable[int]) -> dict[int, Application]:
    return {a.id: a for a in await Application.filter(id__in=list(set(application_ids)))}


# --- reads of the web pages (one statement each) ------------------------------------------------


async def visible_round(round_id: int, *, public: bool = True) -> FundingRound | None:
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
