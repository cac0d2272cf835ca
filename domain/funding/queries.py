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

from tortoise.expressions import Q

from domain.access import Actor, Role
from domain.funding.models import (
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
    RoundStage,
    Tranche,
)
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


# --- reads of the GraphQL adapter (api/schema/funding) ----------------------------------------


def visible_rounds(actor: Actor) -> Q:
    """Rounds a reader sees: bureau staff every round, drafts included; everyone else
    `public_round`."""
    return Q() if is_bureau(actor) else public_round()


def sees_in_full(actor: Actor, organisation_id: int) -> bool:
    """Who sees an application in full (its plan, budget, money flow, evaluations, the reasons
    and actors of its timeline): bureau staff and the organisation's own organisers."""
    return is_bureau(actor) or acts_for(actor, organisation_id)


def own_organisations(actor: Actor) -> list[int]:
    """The organisations an actor's ORGANISER grants act for."""
    return sorted({g.organisation_id for g in actor.grants if g.role is Role.ORGANISER and g.organisation_id})


async def rounds_by_ids(ids: Iterable[int]) -> dict[int, FundingRound]:
    return {r.id: r for r in await FundingRound.filter(id__in=list(set(ids)))}


async def applications_by_ids(ids: Iterable[int]) -> dict[int, Application]:
    return {a.id: a for a in await Application.filter(id__in=list(set(ids)))}


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
