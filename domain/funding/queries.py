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

from domain.access import Actor, Role
from domain.errors import DomainError, NotFound, ValidationErrors
from domain.funding.applications import ApplicationInput, applicant_problems, check_application, problems_of
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
from domain.organisations.policy import acts_for, is_bureau
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


async def public_round_by_id(round_id: int) -> FundingRound | None:
    """The round if the public may see it (`public_round`): one statement."""
    return await FundingRound.filter(public_round(), id=round_id).first()


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
        await check_application(funding_round, data)
    except ValidationErrors as refused:
        problems.extend(refused.errors)
    if submitting:
        draft = application or Application(round_id=funding_round.id, organisation_id=data.organisation_id)
        draft.project_name = data.project_name.strip()
        draft.sponsor_id = data.sponsor_id
        problems.extend(await applicant_problems(funding_round, draft, today))
    return problems


# --- reads of the GraphQL adapter (api/schema/funding) ----------------------------------------


def visible_rounds(actor: Actor) -> Q:
    """Rounds a reader sees: bureau staff every round, drafts included; everyone else
    `public_round`."""
    return Q() if is_bureau(actor) else public_round()


def sees_in_full(actor: Actor, organisation_id: int) -> bool:
    """Who sees an application in full (its plan, budget, money flow, evaluations, the reasons
    and actors of its timeline): bureau staff and the organisation's own organisers."""
    return is_bureau(actor) or acts_for(actor, organisation_id)


def visible_applications_of(actor: Actor, organisation_id: int) -> Q:
    """An organisation's applications a reader sees: every one, drafts included, for those who
    see it in full (`sees_in_full`); the published results (`public_result`) for anyone else."""
    own = Q(organisation_id=organisation_id)
    return own if sees_in_full(actor, organisation_id) else own & public_result()


ORGANISATION_MAX = 50


async def organisation_applications(
    actor: Actor, organisation_id: int, limit: int = ORGANISATION_MAX
) -> tuple[list[Application], bool]:
    """The organisation's applications `actor` sees (`visible_applications_of`), newest first,
    with their round, at most `limit`, and whether there are more: one statement."""
    query = Application.filter(visible_applications_of(actor, organisation_id)).select_related("round")
    rows = list(await query.order_by("-id").limit(limit + 1))
    return rows[:limit], len(rows) > limit


def own_organisations(actor: Actor) -> list[int]:
    """The organisations an actor's ORGANISER grants act for."""
    return sorted({g.organisation_id for g in actor.grants if g.role is Role.ORGANISER and g.organisation_id})


async def rounds_by_ids(ids: Iterable[int]) -> dict[int, FundingRound]:
    return {r.id: r for r in await FundingRound.filter(id__in=list(set(ids)))}


async def public_result_ids(ids: Iterable[int]) -> set[int]:
    """Which of these applications are published results (`public_result`): one statement."""
    rows = await Application.filter(public_result(), id__in=list(set(ids))).values_list("id", flat=True)
    return {int(str(i)) for i in rows}


async def published_awards(round_ids: Iterable[int]) -> dict[int, int]:
    """The sum of the awards of each round's published results (what the public can add up)."""
    wanted = list(set(round_ids))
    totals = dict.fromkeys(wanted, 0)
    rows = await Application.filter(public_result(), round_id__in=wanted).values("round_id", "award_fen")
    for row in rows:
        totals[int(row["round_id"])] += int(row["award_fen"] or 0)
    return totals


async def applications_of_any(organisation_ids: list[int], page: PageRequest) -> Page[Application]:
    """Every application of these organisations (an organiser's own applications)."""
    return await keyset_page(Application.filter(organisation_id__in=organisation_ids), ORDER, page)


async def round_applications(round_id: int, status: AppStatus | None, page: PageRequest) -> Page[Application]:
    """A round's applications, of one status if given (the bureau's view)."""
    query = Application.filter(round_id=round_id)
    return await keyset_page(query.filter(status=status) if status else query, ORDER, page)


async def timelines_of(application_ids: Iterable[int]) -> dict[int, list[ApplicationEvent]]:
    wanted = list(set(application_ids))
    grouped: dict[int, list[ApplicationEvent]] = defaultdict(list)
    for event in await ApplicationEvent.filter(application_id__in=wanted).order_by("application_id", "id"):
        if len(grouped[event.application_id]) < MAX_EVENTS:
            grouped[event.application_id].append(event)
    return {a: grouped[a] for a in wanted}


async def evaluations_of(application_ids: Iterable[int]) -> dict[int, list[Evaluation]]:
    wanted = list(set(application_ids))
    grouped: dict[int, list[Evaluation]] = defaultdict(list)
    for evaluation in await Evaluation.filter(application_id__in=wanted).order_by("application_id", "id"):
        grouped[evaluation.application_id].append(evaluation)
    return {a: grouped[a] for a in wanted}


async def tranches_by_ids(ids: Iterable[int]) -> dict[int, Tranche]:
    return {t.id: t for t in await Tranche.filter(id__in=list(set(ids)))}


async def evaluations_by_ids(ids: Iterable[int]) -> dict[int, Evaluation]:
    return {e.id: e for e in await Evaluation.filter(id__in=list(set(ids)))}


async def needs_by_ids(ids: Iterable[int]) -> dict[int, Need]:
    return {n.id: n for n in await Need.filter(id__in=list(set(ids)))}


async def public_need_ids(needs: Iterable[Need]) -> set[int]:
    """Which of these needs the public sees (`public_need` of their rounds): one statement."""
    rows = list(needs)
    if not rows:
        return set()
    rule = Q(*[public_need(r) for r in sorted({n.round_id for n in rows})], join_type="OR")
    found = await Need.filter(rule, id__in=[n.id for n in rows]).values_list("id", flat=True)
    return {int(str(i)) for i in found}


async def visible_round(actor: Actor, round_id: int) -> FundingRound | None:
    return await FundingRound.filter(visible_rounds(actor), id=round_id).first()


async def rounds_for(actor: Actor, page: PageRequest) -> Page[FundingRound]:
    return await keyset_page(FundingRound.filter(visible_rounds(actor)), ORDER, page)


async def count_rounds_for(actor: Actor) -> int:
    return await FundingRound.filter(visible_rounds(actor)).count()


async def count_results(round_id: int) -> int:
    return await Application.filter(public_result(round_id)).count()


async def count_needs(round_id: int) -> int:
    return await Need.filter(public_need(round_id)).count()


async def count_applications_of_any(organisation_ids: list[int]) -> int:
    return await Application.filter(organisation_id__in=organisation_ids).count()


async def count_round_applications(round_id: int, status: AppStatus | None) -> int:
    query = Application.filter(round_id=round_id)
    return await (query.filter(status=status) if status else query).count()
