"""The bureau's venture-funding pages as typed: the round form (money in 元, read to fen), and the
views of the eligibility queue, the allocation over the review's ranking, and the tranche and
evaluation queue. Every input that does not read is named, so the page shows it beside its input
together with the domain's own errors."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from starlette.datastructures import FormData

from domain.errors import DomainError
from domain.funding import allocation, queries
from domain.funding import review as funding_review
from domain.funding.models import (
    EDITABLE_STAGES,
    ROUND_TRANSITIONS,
    Application,
    AppStatus,
    Evaluation,
    FundingRound,
    RoundStage,
    Tranche,
    TrancheStatus,
    TrancheTrigger,
)
from domain.funding.money import yuan
from domain.funding.rounds import DEFAULT_PLAN, MIN_PUBLICITY_DAYS, RoundInput, TrancheStep
from domain.review.models import PanelStage, ReviewPanel
from web.forms import FORM, text, texts

PLAN_ROWS = 4
YUAN = re.compile(r"^\d{1,12}(\.\d{1,2})?$")

# {input name: (input id, label)}: the error summary's links, in the form's order.
ROUND_LABELS: dict[str, tuple[str, str]] = {
    "edition": ("round-edition", "届次"),
    "year": ("round-year", "年度"),
    "title": ("round-title", "名称"),
    "pool": ("round-pool", "资金池"),
    "cap": ("round-cap", "单个项目资助上限"),
    "max_grant_share_pct": ("round-max-grant", "资助占预算比例上限"),
    "min_matching_share_pct": ("round-min-matching", "配套资金比例下限"),
    "max_applications_per_org": ("round-max-apps", "每个组织可申报项目数"),
    "allow_filed": ("round-allow-filed", "备案组织"),
    "tranche_plan": ("round-plan-percent-1", "分期拨付计划"),
    "publicity_days": ("round-publicity", "公示期"),
    "pass_mark": ("round-pass-mark", "评估合格分"),
    "second_approval": ("round-second-approval", "复核金额门槛"),
}
# The domain's field names for the form's inputs.
ROUND_ALIASES = {
    "poolFen": "pool",
    "capFen": "cap",
    "maxGrantSharePct": "max_grant_share_pct",
    "minMatchingSharePct": "min_matching_share_pct",
    "maxApplicationsPerOrg": "max_applications_per_org",
    "allowFiled": "allow_filed",
    "tranchePlan": "tranche_plan",
    "publicityDays": "publicity_days",
    "passMark": "pass_mark",
    "secondApprovalOverFen": "second_approval",
    "roundId": FORM,
}
TRIGGERS = [(t.value, t.label) for t in TrancheTrigger]
DECISIONS = [
    (AppStatus.ELIGIBLE.value, "资格审查通过"),
    (AppStatus.NEEDS_INFO.value, "退回补充材料"),
    (AppStatus.INELIGIBLE.value, "资格审查不通过"),
]


def fen_from_yuan(raw: str) -> int | None:
    """`12,345.67` (元, at most two decimals, commas allowed) as fen; None when it does not read."""
    value = raw.strip().replace(",", "").replace("，", "")
    if not YUAN.match(value):
        return None
    whole, _, cents = value.partition(".")
    return int(whole) * 100 + int((cents + "00")[:2])


def yuan_input(fen: int) -> str:
    """Fen as the form shows it: `12345.67`, or `12345` for whole yuan."""
    whole, cents = divmod(fen, 100)
    return f"{whole}.{cents:02d}" if cents else str(whole)


def _number(raw: str, name: str, label: str, errors: dict[str, str]) -> int:
    value = raw.strip()
    if value.isascii() and value.isdigit() and len(value) <= 6:
        return int(value)
    errors[name] = f"请填写{label}（整数）"
    return 0


@dataclass(frozen=True)
class RoundForm:
    """The round form's inputs as typed (strings), with up to `PLAN_ROWS` tranche rows."""

    edition: str = ""
    year: str = ""
    title: str = ""
    pool: str = ""
    cap: str = ""
    max_grant_share_pct: str = "60"
    min_matching_share_pct: str = "40"
    max_applications_per_org: str = "1"
    allow_filed: bool = True
    plan: tuple[tuple[str, str], ...] = tuple((str(s.percent), s.trigger.value) for s in DEFAULT_PLAN)
    publicity_days: str = str(MIN_PUBLICITY_DAYS)
    pass_mark: str = "60"
    second_approval: str = "0"

    @classmethod
    def blank(cls, today: date, next_edition: int) -> RoundForm:
        return cls(edition=str(next_edition), year=str(today.year), title=f"第{next_edition}届公益创投")

    @classmethod
    def of(cls, r: FundingRound) -> RoundForm:
        return cls(
            edition=str(r.edition),
            year=str(r.year),
            title=r.title,
            pool=yuan_input(r.pool_fen),
            cap=yuan_input(r.cap_fen),
            max_grant_share_pct=str(r.max_grant_share_pct),
            min_matching_share_pct=str(r.min_matching_share_pct),
            max_applications_per_org=str(r.max_applications_per_org),
            allow_filed=r.allow_filed,
            plan=tuple((str(step["percent"]), str(step["trigger"])) for step in r.tranche_plan),
            publicity_days=str(r.publicity_days),
            pass_mark=str(r.pass_mark),
            second_approval=yuan_input(r.second_approval_over_fen),
        )

    @classmethod
    def from_form(cls, form: FormData) -> RoundForm:
        names = (
            *("edition", "year", "pool", "cap", "max_grant_share_pct", "min_matching_share_pct"),
            *("max_applications_per_org", "publicity_days", "pass_mark", "second_approval"),
        )
        values: dict[str, Any] = {name: text(form, name, 30) for name in names}
        percents, triggers = texts(form, "plan_percent")[:PLAN_ROWS], texts(form, "plan_trigger")[:PLAN_ROWS]
        plan = tuple((p[:6], t[:20]) for p, t in zip(percents, triggers, strict=False))
        return cls(
            **values, title=text(form, "title", 200), allow_filed=text(form, "allow_filed") == "1", plan=plan
        )

    @property
    def plan_rows(self) -> list[tuple[str, str]]:
        """The plan's rows and blank ones, `PLAN_ROWS` in all."""
        return [*self.plan, *[("", "")] * (PLAN_ROWS - len(self.plan))][:PLAN_ROWS]

    def _plan(self, errors: dict[str, str]) -> tuple[TrancheStep, ...]:
        steps = []
        for percent, trigger in self.plan:
            if not percent.strip() and not trigger:
                continue
            if not (percent.strip().isdigit() and trigger in TrancheTrigger.__members__):
                errors["tranche_plan"] = "每期请填写拨付比例（整数 %）并选择拨付条件"
                return ()
            steps.append(TrancheStep(int(percent.strip()), TrancheTrigger(trigger)))
        return tuple(steps)

    def _money(self, name: str, label: str, errors: dict[str, str]) -> int:
        fen = fen_from_yuan(getattr(self, name))
        if fen is None:
            errors[name] = f"请填写{label}（元，最多两位小数）"
        return fen or 0

    def parse(self) -> tuple[RoundInput, dict[str, str]]:
        """The domain's input (0 where an input does not read: the domain then refuses only that
        input, and the form's own message replaces its) and the inputs that do not read."""
        errors: dict[str, str] = {}
        data = RoundInput(
            edition=_number(self.edition, "edition", "届次", errors),
            year=_number(self.year, "year", "年度", errors),
            title=self.title,
            pool_fen=self._money("pool", "资金池", errors),
            cap_fen=self._money("cap", "单个项目资助上限", errors),
            max_grant_share_pct=_number(self.max_grant_share_pct, "max_grant_share_pct", "比例", errors),
            min_matching_share_pct=_number(
                self.min_matching_share_pct, "min_matching_share_pct", "比例", errors
            ),
            max_applications_per_org=_number(
                self.max_applications_per_org, "max_applications_per_org", "项目数", errors
            ),
            allow_filed=self.allow_filed,
            tranche_plan=self._plan(errors),
            publicity_days=_number(self.publicity_days, "publicity_days", "公示工作日数", errors),
            pass_mark=_number(self.pass_mark, "pass_mark", "合格分", errors),
            second_approval_over_fen=self._money("second_approval", "复核金额门槛", errors),
        )
        return data, errors


@dataclass(frozen=True)
class RoundRow:
    """A round on the list, with the stages it may move to next and what may be done on it."""

    round: FundingRound

    @property
    def editable(self) -> bool:
        return self.round.stage in EDITABLE_STAGES

    @property
    def next_stages(self) -> list[RoundStage]:
        order = list(RoundStage)
        return sorted(ROUND_TRANSITIONS[self.round.stage], key=order.index)

    @property
    def pool(self) -> str:
        return yuan(self.round.pool_fen)

    @property
    def cap(self) -> str:
        return yuan(self.round.cap_fen)


async def round_rows() -> list[RoundRow]:
    return [RoundRow(r) for r in await queries.staff_rounds()]


# --- the allocation --------------------------------------------------------------------------


@dataclass(frozen=True)
class AllocationView:
    round: FundingRound
    rows: list[Application]
    held_fen: int
    ranked: bool
    """False while no application has a submitted score sheet (the rows are then in id order)."""
    panel: ReviewPanel
    scores: dict[int, tuple[float, int]] = field(default_factory=dict)
    """By application id: its score under the round's rule (0–100) and how many experts scored it."""

    @property
    def review_open(self) -> bool:
        """The round's review panel still scores (its current stage may be closed)."""
        return self.panel.stage is not PanelStage.CLOSED

    @property
    def finish_label(self) -> str:
        """What ending the panel's current stage does (`funding.review.finish_review`)."""
        if self.panel.stage is PanelStage.WRITTEN and self.panel.roadshow:
            return "结束书面评审，进入路演答辩"
        return "结束路演答辩" if self.panel.stage is PanelStage.ROADSHOW else "结束评审"

    @property
    def left_fen(self) -> int:
        return int(self.round.pool_fen) - self.held_fen

    @property
    def awarding(self) -> bool:
        """Single awards: during review, and after the results for money freed later."""
        return self.round.stage is RoundStage.REVIEWING or self.round.stage in allocation.LATE_AWARD_STAGES

    @property
    def awardable(self) -> list[Application]:
        return [a for a in self.rows if a.status in allocation.AWARDABLE]

    @property
    def can_allocate(self) -> bool:
        return self.round.stage is RoundStage.REVIEWING and bool(self.awardable)

    def suggested(self, application: Application) -> str:
        return yuan_input(min(application.requested_fen, self.round.cap_fen))


async def ranked(
    funding_round: FundingRound, rows: list[Application]
) -> tuple[ReviewPanel, list[Application], dict[int, tuple[float, int]]]:
    """The round's panel, `rows` in the review's ranking (`domain.funding.review.results`: the
    round's rule over the submitted score sheets of its final stage, the roadshow when there is
    one), best first, whatever became of them since (recommended, waitlisted), and the scored
    ones' scores with how many experts scored them. Rows the ranking does not name (not scored)
    come last, by id. Three statements."""
    results = await funding_review.results(funding_round)
    ids = results.ranking
    place = {pk: i for i, pk in enumerate(ids)}
    ordered = sorted(rows, key=lambda a: (place.get(a.id, len(ids)), a.id))
    scores = {
        results.application_of[r.entry.entry_id]: (r.aggregate, r.entry.reviewers) for r in results.ranked
    }
    return results.panel, ordered, scores


async def allocation_view(round_id: int) -> AllocationView:
    """The round, its applications from review on, the money they hold and the review's ranking
    (three of its own): six statements."""
    funding_round = await queries.round_by_id(round_id)
    panel, rows, scores = await ranked(
        funding_round, await queries.applications_in(round_id, queries.RANKED_STATUSES)
    )
    held = await allocation.held_fen(round_id)
    return AllocationView(funding_round, rows, held, bool(scores), panel, scores)


# --- tranches, reclaims and evaluations --------------------------------------------------------


@dataclass
class PaidProject:
    application: Application
    paid_fen: int = 0
    reclaimed_fen: int = 0

    @property
    def reclaimable_fen(self) -> int:
        return self.paid_fen - self.reclaimed_fen


@dataclass(frozen=True)
class TrancheQueue:
    open: list[Tranche]
    paid: list[PaidProject]
    evaluations: list[Evaluation]
    viewer_id: int | None

    def awaits_second(self, tranche: Tranche) -> bool:
        return tranche.status is TrancheStatus.DUE and tranche.first_approver_user_id is not None

    def approved_by_viewer(self, tranche: Tranche) -> bool:
        return self.awaits_second(tranche) and tranche.first_approver_user_id == self.viewer_id

    @staticmethod
    def needs_two(tranche: Tranche) -> bool:
        return bool(tranche.amount_fen > tranche.application.round.second_approval_over_fen)


async def tranche_queue(viewer_id: int | None) -> TrancheQueue:
    """Open tranches, paid projects with what may still be reclaimed, pending evaluations: four
    statements."""
    projects: dict[int, PaidProject] = {}
    for tranche in await queries.paid_tranches():
        project = projects.setdefault(tranche.application_id, PaidProject(tranche.application))
        project.paid_fen += tranche.amount_fen
    for application_id, amount in (await queries.reclaimed_fen(projects)).items():
        projects[application_id].reclaimed_fen = amount
    return TrancheQueue(
        await queries.open_tranches(),
        [p for p in projects.values() if p.reclaimable_fen > 0],
        await queries.pending_evaluations(),
        viewer_id,
    )


# --- a refused row form ------------------------------------------------------------------------


# The element of the page each row form is in: the page's top alert links to it.
ANCHORS = {
    "elig": "elig",
    "award": "app",
    "sign": "app",
    "approve": "tranche",
    "pay": "tranche",
    "reclaim": "project",
    "eval": "evaluation",
    "stage": "round",
    "objection": "objection",
}


@dataclass(frozen=True)
class Refused:
    """The row form a post was refused on (`form`: its id), its errors by input and what was typed."""

    form: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    filled: dict[str, str] = field(default_factory=dict)

    @property
    def anchor(self) -> str:
        kind, _, pk = self.form.partition("-")
        return f"{ANCHORS[kind]}-{pk}" if kind in ANCHORS else ""

    def at(self, form: str) -> dict[str, str]:
        return self.errors if form == self.form else {}

    def value(self, form: str, name: str, default: str = "") -> str:
        return self.filled.get(name, default) if form == self.form else default


def problem_texts(problems: list[DomainError]) -> list[str]:
    return [p.message for p in problems]
