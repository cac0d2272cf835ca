"""Where a funding round meets the shared review module (`domain.review`), which scores its
applications without knowing they are applications.

- Every round has a review panel from its creation: its rubric, aggregation rule, blind mode,
  roadshow stage and reviewers per application are part of the round's configuration, changed
  with it and frozen with it when the call opens.
- When the round enters REVIEWING, the panel's scoring opens (`freeze_panel`) and every
  eligible application goes on the panel as an entry (IN_REVIEW).
- `finish_review` closes a review stage; once the panel is closed, the applications on it are
  REVIEWED, ranked by the round's rule (`ranking`), and allocated within the pool.
- RESULTS_PUBLICIZED starts the panel's publicity (公示) for the round's working days and puts
  the recommended applications on it (PUBLICIZING); AWARDED needs the period over with no open
  objection (`domain.review.objections.require_final`) and approves them.
- An application withdrawn while on the panel leaves it (its reviewers' sheets are voided).
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from domain import clock
from domain.access import Actor
from domain.errors import DomainError, ErrorCode, NotFound
from domain.funding import policy, timeline
from domain.funding.allocation import AWARDABLE
from domain.funding.models import Application, AppStatus, FundingRound, RoundStage
from domain.funding.rounds import locked_round
from domain.review import objections
from domain.review import queries as review_queries
from domain.review import service as review_service
from domain.review.aggregation import PanelResult, RankedEntry, aggregate_panel, rank
from domain.review.models import Objection, PanelEntry, PanelStage, ReviewPanel, Stage


async def panel_of(funding_round: FundingRound) -> ReviewPanel:
    return await ReviewPanel.get(id=funding_round.panel_id)


async def open_review(actor: Actor, funding_round: FundingRound) -> None:
    """Scoring opens; the round's eligible applications become the panel's entries (in the
    caller's transaction, the round locked)."""
    await review_service.freeze_panel(actor=actor, panel_id=funding_round.panel_id)
    eligible = await Application.select_for_update().filter(
        round_id=funding_round.id, status=AppStatus.ELIGIBLE
    )
    for application in sorted(eligible, key=lambda a: a.id):
        await enter_review(actor, funding_round, application)


async def enter_review(actor: Actor, funding_round: FundingRound, application: Application) -> None:
    """An eligible application goes on the round's panel (IN_REVIEW): when review opens, or when
    its eligibility is confirmed while the panel still scores (in the caller's transaction; a
    closed panel refuses it, `WRONG_STAGE`)."""
    await review_service.add_entry(
        actor=actor,
        panel_id=funding_round.panel_id,
        subject_id=application.id,
        title=application.project_name,
        applicant_id=application.organisation_id,
        sponsor_id=application.sponsor_id,
    )
    await timeline.move(actor, application, AppStatus.IN_REVIEW, "资格审查通过，进入评审")


async def finish_review(*, actor: Actor, round_id: int) -> ReviewPanel:
    """Close the panel's current stage (the written review, then the roadshow if the round has
    one). When the panel closes, every application still on it is REVIEWED."""
    policy.require_bureau(actor)
    async with in_transaction():
        funding_round = await locked_round(round_id)
        if funding_round.stage is not RoundStage.REVIEWING:
            message = f"轮次{funding_round.stage.label}，不在评审阶段"
            raise DomainError(ErrorCode.WRONG_STAGE, message, ["roundId"])
        panel = await review_service.advance_stage(actor=actor, panel_id=funding_round.panel_id)
        if panel.stage is PanelStage.CLOSED:
            reviewed = await Application.select_for_update().filter(
                round_id=round_id, status=AppStatus.IN_REVIEW
            )
            for application in sorted(reviewed, key=lambda a: a.id):
                await timeline.move(actor, application, AppStatus.REVIEWED, "评审结束")
    return panel


async def start_publicity(actor: Actor, funding_round: FundingRound) -> None:
    """Results publicised for the round's working days; the recommended applications with them."""
    await objections.start_publicity(
        actor=actor,
        panel_id=funding_round.panel_id,
        today=clock.today(),
        working_days=funding_round.publicity_days,
    )
    recommended = await Application.select_for_update().filter(
        round_id=funding_round.id, status=AppStatus.RECOMMENDED
    )
    for application in sorted(recommended, key=lambda a: a.id):
        await timeline.move(actor, application, AppStatus.PUBLICIZING, "拟资助项目进入公示")


async def finalise(actor: Actor, funding_round: FundingRound) -> None:
    """After the publicity period, with every objection answered: the publicised applications
    are approved (立项), and only then may an agreement be signed."""
    await objections.require_final(await panel_of(funding_round), clock.today())
    publicised = await Application.select_for_update().filter(
        round_id=funding_round.id, status=AppStatus.PUBLICIZING
    )
    for application in sorted(publicised, key=lambda a: a.id):
        await timeline.move(actor, application, AppStatus.APPROVED, "公示期满无异议，立项")


async def leave_panel(actor: Actor, application: Application, reason: str) -> None:
    """A withdrawn application's entry leaves the panel (if it was on it)."""
    funding_round = await FundingRound.get(id=application.round_id)
    await review_service.withdraw_subject(
        actor=actor, panel_id=funding_round.panel_id, subject_id=application.id, reason=reason
    )


@dataclass(frozen=True)
class RoundResults:
    """The panel's figures for the round, and its ranking as application ids, best first."""

    panel: ReviewPanel
    result: PanelResult
    ranked: tuple[RankedEntry, ...]
    application_of: dict[int, int]
    """entry id -> application id"""

    @property
    def ranking(self) -> list[int]:
        return [self.application_of[r.entry.entry_id] for r in self.ranked]


async def results(funding_round: FundingRound) -> RoundResults:
    """The scores of the panel's final stage (the roadshow, if the round has one, else the
    written review), aggregated by the round's rule: three statements."""
    panel = await panel_of(funding_round)
    stage = Stage.ROADSHOW if panel.roadshow else Stage.WRITTEN
    totals = await review_queries.submitted_totals(panel, stage)
    entries = await PanelEntry.filter(panel_id=panel.id, withdrawn=False).values_list("id", "subject_id")
    application_of = {int(entry): int(subject) for entry, subject in entries}
    scored = {entry: by_reviewer for entry, by_reviewer in totals.items() if entry in application_of}
    result = aggregate_panel(scored, panel.aggregation_rule)
    return RoundResults(panel, result, rank(result.entries, panel.aggregation_rule), application_of)


async def ranking(funding_round: FundingRound) -> list[int]:
    """The round's applications that may still be awarded (reviewed or waitlisted), best first by
    its rule and tie-break: what `allocation.allocate` takes. Four statements."""
    ranked = (await results(funding_round)).ranking
    rows = await Application.filter(id__in=ranked, status__in=list(AWARDABLE)).values_list("id")
    awardable = {int(row[0]) for row in rows}
    return [application for application in ranked if application in awardable]


# --- the publicity and its objections -------------------------------------------------------------


async def publicity_panel(funding_round: FundingRound) -> ReviewPanel | None:
    """The round's panel while its results are publicised (one statement), else None (none)."""
    if funding_round.stage is not RoundStage.RESULTS_PUBLICIZED:
        return None
    return await panel_of(funding_round)


async def lodge_objection(
    *,
    actor: Actor,
    round_id: int,
    application_id: int | None,
    name: str,
    mobile: str,
    text: str,
) -> Objection:
    """A signed-in person's written objection to the round's publicised results, about one
    publicised application (its entry on the panel) or the whole result."""
    funding_round = await FundingRound.get_or_none(id=round_id)
    if funding_round is None:
        raise NotFound("公益创投轮次不存在", ["roundId"])
    entry_id: int | None = None
    if application_id is not None:
        entry = await PanelEntry.filter(
            panel_id=funding_round.panel_id, subject_id=application_id, withdrawn=False
        ).first()
        entry_id = entry.id if entry else 0  # 0: no such entry, refused by the panel
    return await objections.lodge_objection(
        actor=actor,
        panel_id=funding_round.panel_id,
        entry_id=entry_id,
        name=name,
        mobile=mobile,
        text=text,
        today=clock.today(),
    )


async def round_objections(funding_round: FundingRound) -> list[tuple[Objection, int | None]]:
    """Every objection to the round's results, oldest first, each with the application it is
    about (None: the whole result), for staff: one statement."""
    rows = await Objection.filter(panel_id=funding_round.panel_id).order_by("id").select_related("entry")
    return [(o, o.entry.subject_id if o.entry is not None else None) for o in rows]


async def objection_round(objection_id: int) -> int:
    """The round an objection was lodged against (NotFound when there is none)."""
    objection = await Objection.get_or_none(id=objection_id)
    found = await FundingRound.get_or_none(panel_id=objection.panel_id) if objection else None
    if found is None:
        raise NotFound("异议不存在", ["objectionId"])
    return found.id
