"""Demo venture funding: three past rounds whose awards total exactly 2,035,000 yuan (the report's
"连续3届投入203.5万元"), scored on review panels by a pool of twelve demo experts (one of them
scoring against the others in the third round), and a fourth round open for applications.

Everything here is generated and marked 演示数据 except the total. The scores, requests and the
split per round come from `seeds.funding_plan`; the rows are inserted in bulk (no audit entries:
like every seed, they are not anyone's act), but the two decisions that matter go through the
product's own code so the demo cannot disagree with it: each round's ranking is
`domain.funding.review.ranking` over the inserted score sheets, and its awards are made by
`domain.funding.allocation.allocate` over that ranking (audited as the command line). The fourth
round is created and opened through the use cases, with a few applications drafted and
submitted through them, one by `demo.organiser`'s organisation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tortoise.transactions import in_transaction

from domain.access import Actor, Grant, Role
from domain.accounts.models import RoleAssignment, User
from domain.accounts.service import SYSTEM
from domain.funding import allocation, applications, rounds
from domain.funding import review as funding_review
from domain.funding.applications import ApplicationInput, LineInput
from domain.funding.models import (
    Agreement,
    Application,
    ApplicationEvent,
    AppStatus,
    BudgetLine,
    Evaluation,
    EvaluationKind,
    FundedBy,
    FundingRound,
    RoundStage,
    Tranche,
    TrancheStatus,
    TrancheTrigger,
    tranche_amounts,
)
from domain.funding.rounds import DEFAULT_PLAN, RoundInput
from domain.organisations.models import Organisation, OrgStatus, Sanction
from domain.people.models import Person
from domain.review.aggregation import aggregate_panel, rank
from domain.review.models import (
    Assignment,
    AssignMethod,
    Expert,
    MemberSource,
    PanelEntry,
    PanelKind,
    PanelMember,
    PanelStage,
    ReviewPanel,
    Score,
    ScoreSheet,
    SheetStatus,
    Stage,
)
from domain.review.publicity import add_working_days
from domain.review.rubric import FUNDING_RUBRIC
from domain.review.rules import AggregationRule
from seeds.funding_plan import (
    CAP_YUAN,
    EXPERTS,
    FEN,
    OPEN_ROUND_APPLICATIONS,
    OPEN_ROUND_YEAR,
    ApplicationPlan,
    RoundPlan,
    plan_rounds,
)
from seeds.generate import DEFAULT_SEED, GIVEN_NAMES, SURNAMES

DEMO_REVIEWER = "demo.reviewer"
THEMES = (
    "银龄助老",
    "助残融合",
    "四点半课堂",
    "邻里调解",
    "垃圾分类",
    "楼道微治理",
    "心理关爱",
    "新居民融入",
    "家门口健身",
    "乡风文明",
    "睦邻议事",
    "困境儿童陪伴",
    "社区微更新",
    "志愿服务",
    "红白理事",
)
FORMS = ("服务计划", "营造项目", "关爱行动", "赋能计划", "示范项目", "互助工程")


@dataclass(frozen=True)
class FundingSeedReport:
    rounds: int = 0
    applications: int = 0
    awarded_fen: int = 0

    @property
    def inserted(self) -> int:
        return self.rounds + self.applications

    def __str__(self) -> str:
        total = f"{self.awarded_fen // FEN:,}"
        return f"公益创投 {self.rounds} 届，申报 {self.applications} 个，往届资助合计 {total} 元（演示数据）"


CN_NUMBERS = "一二三四五六七八九十"
GRANT_ITEMS = (("活动物资", "活动用品与宣传材料"), ("人员劳务", "专业社工与志愿者补贴"))
MATCHING_ITEM = ("机构自筹", "机构自有资金与社会捐赠")


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 30, tzinfo=UTC)


def _project_names(rng: random.Random, count: int) -> list[str]:
    names = [f"{theme}{form}" for theme in THEMES for form in FORMS]
    return rng.sample(names, count)


async def _experts(rng: random.Random) -> list[int]:
    """Twelve demo experts in the pool (REVIEWER accounts that cannot sign in), `demo.reviewer`
    first when it exists: the user ids."""
    users: list[int] = []
    demo = await User.get_or_none(username=DEMO_REVIEWER, is_demo=True)
    if demo is not None:
        users.append(demo.id)
    number = 0
    while len(users) < EXPERTS:
        number += 1
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
        person = await Person.create(name=name, mobile="", is_demo=True)
        user = await User.create(person_id=person.id, username=f"demo.expert.{number:02d}", is_demo=True)
        await RoleAssignment.create(user_id=user.id, role=Role.REVIEWER)
        users.append(user.id)
    await Expert.bulk_create(
        [Expert(user_id=u, specialities="社会工作、公益项目管理", is_demo=True) for u in users]
    )
    return users


async def _applicants(homes: dict[int, int]) -> tuple[list[int], list[int]]:
    """Demo organisations that may apply (the registry's eligibility: no sanction-list entry):
    registered ones, and filed ones (who apply through a registered sponsor). Fills `homes` with
    each one's home cell."""
    listed = set(await Sanction.all().values_list("organisation_id", flat=True))
    found = Organisation.filter(is_demo=True, status__in=[OrgStatus.REGISTERED, OrgStatus.FILED])
    rows = await found.values_list("id", "status", "home_cell_id")
    homes.update({int(i): int(cell) for i, _, cell in rows})
    registered = sorted(int(i) for i, s, _ in rows if s == OrgStatus.REGISTERED and i not in listed)
    filed = sorted(int(i) for i, s, _ in rows if s == OrgStatus.FILED and i not in listed)
    return registered, filed


def _lines(plan: ApplicationPlan) -> list[tuple[str, str, int, FundedBy]]:
    first = plan.requested_yuan * 3 // 5
    return [
        (*GRANT_ITEMS[0], first * FEN, FundedBy.GRANT),
        (*GRANT_ITEMS[1], (plan.requested_yuan - first) * FEN, FundedBy.GRANT),
        (*MATCHING_ITEM, plan.matching_yuan * FEN, FundedBy.MATCHING),
    ]


@dataclass
class _Round:
    plan: RoundPlan
    row: FundingRound
    panel: ReviewPanel
    applications: list[Application]


async def _insert_round(plan: RoundPlan) -> tuple[FundingRound, ReviewPanel]:
    year = plan.year
    panel = await ReviewPanel.create(
        kind=PanelKind.FUNDING,
        title=f"第{plan.edition}届公益创投评审",
        rubric=FUNDING_RUBRIC.to_json(),
        aggregation_rule=AggregationRule.TRIMMED_MEAN,
        reviewers_per_entry=5,
        stage=PanelStage.CLOSED,
        frozen_at=_at(date(year, 6, 1)),
        is_demo=True,
    )
    row = await FundingRound.create(
        edition=plan.edition,
        year=year,
        title=f"第{CN_NUMBERS[plan.edition - 1]}届市级公益创投",
        stage=RoundStage.REVIEWING,
        pool_fen=plan.pool_yuan * FEN,
        cap_fen=CAP_YUAN * FEN,
        max_grant_share_pct=60,
        min_matching_share_pct=40,
        tranche_plan=[{"percent": s.percent, "trigger": s.trigger.value} for s in DEFAULT_PLAN],
        opened_at=_at(date(year, 3, 1)),
        panel_id=panel.id,
        is_demo=True,
    )
    return row, panel


async def _insert_applications(
    plan: RoundPlan,
    row: FundingRound,
    applicants: list[tuple[int, int | None]],
    homes: dict[int, int],
    names: list[str],
) -> list[Application]:
    submitted = _at(date(plan.year, 4, 15))
    rows = [
        Application(
            round_id=row.id,
            organisation_id=org,
            sponsor_id=sponsor,
            project_name=name,
            target_group="社区居民",
            problem="（演示数据）社区调研发现的需求与问题分析。",
            plan="（演示数据）项目实施方案、进度安排与预期成效。",
            cell_ids=[homes[org]],
            requested_fen=a.requested_yuan * FEN,
            budget_total_fen=(a.requested_yuan + a.matching_yuan) * FEN,
            status=AppStatus.REVIEWED,
            submitted_at=submitted,
            is_demo=True,
        )
        for a, (org, sponsor), name in zip(plan.applications, applicants, names, strict=True)
    ]
    await Application.bulk_create(rows)
    made = await Application.filter(round_id=row.id).order_by("id")
    lines = [
        BudgetLine(application_id=app.id, position=i, category=c, item=item, amount_fen=amount, funded_by=by)
        for app, a in zip(made, plan.applications, strict=True)
        for i, (c, item, amount, by) in enumerate(_lines(a))
    ]
    await BudgetLine.bulk_create(lines)
    return made


def _comment(label: str, score: int) -> str:
    verdict = "突出" if score >= 9 else "较好" if score >= 7 else "一般" if score >= 5 else "不足"
    return f"{label}{verdict}（演示）"


async def _insert_review(
    plan: RoundPlan, panel: ReviewPanel, made: list[Application], experts: list[int], draw_seed: int
) -> None:
    """The panel's entries, its twelve members, the drawn assignments and the submitted sheets."""
    await PanelEntry.bulk_create(
        [
            PanelEntry(
                panel_id=panel.id,
                subject_id=a.id,
                title=a.project_name,
                applicant_id=a.organisation_id,
                sponsor_id=a.sponsor_id,
            )
            for a in made
        ]
    )
    entries = {e.subject_id: e.id for e in await PanelEntry.filter(panel_id=panel.id)}
    await PanelMember.bulk_create(
        [PanelMember(panel_id=panel.id, user_id=u, source=MemberSource.POOL) for u in experts]
    )
    pairs = [
        (entries[app.id], expert, sheet)
        for app, a in zip(made, plan.applications, strict=True)
        for expert, sheet in a.sheets.items()
    ]
    await Assignment.bulk_create(
        [
            Assignment(
                panel_id=panel.id,
                entry_id=entry,
                reviewer_id=experts[expert],
                stage=Stage.WRITTEN,
                method=AssignMethod.DRAWN,
                draw_seed=draw_seed,
            )
            for entry, expert, _ in pairs
        ]
    )
    assignments = await Assignment.filter(panel_id=panel.id).order_by("id").values_list("id", flat=True)
    submitted = _at(date(plan.year, 7, 10))
    await ScoreSheet.bulk_create(
        [
            ScoreSheet(
                assignment_id=a,
                status=SheetStatus.SUBMITTED,
                overall_comment="总体可行（演示）",
                submitted_at=submitted,
            )
            for a in assignments
        ]
    )
    sheets = (
        await ScoreSheet.filter(assignment__panel_id=panel.id)
        .order_by("assignment_id")
        .values_list("id", flat=True)
    )
    labels = {c.key: c.label for c in FUNDING_RUBRIC.criteria}
    await Score.bulk_create(
        [
            Score(sheet_id=sheet, key=key, score=score, comment=_comment(labels[key], score))
            for sheet, (_, _, given) in zip(sheets, pairs, strict=True)
            for key, score in given.items()
        ],
        batch_size=1000,
    )


BEFORE_AWARD = (
    (None, AppStatus.SUBMITTED, (4, 15), ""),
    (AppStatus.SUBMITTED, AppStatus.ELIGIBLE, (5, 10), "资格审查通过"),
    (AppStatus.ELIGIBLE, AppStatus.IN_REVIEW, (6, 1), "资格审查通过，进入评审"),
    (AppStatus.IN_REVIEW, AppStatus.REVIEWED, (7, 15), "评审结束"),
)
AFTER_AWARD = (
    (AppStatus.RECOMMENDED, AppStatus.PUBLICIZING, (8, 3), "拟资助项目进入公示"),
    (AppStatus.PUBLICIZING, AppStatus.APPROVED, (8, 13), "公示期满无异议，立项"),
    (AppStatus.APPROVED, AppStatus.CONTRACTED, (9, 1), "签订资助协议"),
    (AppStatus.CONTRACTED, AppStatus.IN_PROGRESS, (9, 5), "项目启动"),
)


def _events(
    app: Application, year: int, steps: tuple[tuple[AppStatus | None, AppStatus, tuple[int, int], str], ...]
) -> list[ApplicationEvent]:
    return [
        ApplicationEvent(
            application_id=app.id,
            from_status=before,
            to_status=to,
            actor_user_id=None,
            actor_label="民政局（演示）",
            reason=reason,
            at=_at(date(year, month, day)),
        )
        for before, to, (month, day), reason in steps
    ]


async def _after_award(plan: RoundPlan, row: FundingRound, failing: int | None) -> None:
    """What happened after the awards: publicity, agreements, tranches, evaluations, the round
    finished. `failing` (an application id) failed its mid-term evaluation: its later tranches
    were stopped and it closed as failed."""
    year = plan.year
    awarded = await Application.filter(round_id=row.id, status=AppStatus.RECOMMENDED).order_by("id")
    await Application.filter(round_id=row.id, status=AppStatus.WAITLISTED).update(
        status=AppStatus.NOT_SELECTED
    )
    await ApplicationEvent.filter(
        application__round_id=row.id, to_status__in=[AppStatus.RECOMMENDED, AppStatus.WAITLISTED]
    ).update(at=_at(date(year, 7, 20)))
    events: list[ApplicationEvent] = []
    agreements: list[Agreement] = []
    tranches: list[Tranche] = []
    evaluations: list[Evaluation] = []
    for n, app in enumerate(awarded, start=1):
        failed = app.id == failing
        end = AppStatus.CLOSED_FAILED if failed else AppStatus.CLOSED
        closing = (
            (AppStatus.IN_PROGRESS, AppStatus.FINAL_REVIEW, (6, 20), "进入终期评估"),
            (AppStatus.FINAL_REVIEW, end, (7, 10), "终期评估结束"),
        )
        events += _events(app, year, AFTER_AWARD) + _events(app, year + 1, closing)
        award = app.award_fen or 0
        agreements.append(
            Agreement(
                application_id=app.id,
                number=f"YS-GYCT-{year}-{n:03d}",
                signed_on=date(year, 9, 1),
                amount_fen=award,
            )
        )
        percents = [step.percent for step in DEFAULT_PLAN]
        for seq, (step, amount) in enumerate(
            zip(DEFAULT_PLAN, tranche_amounts(award, percents), strict=True), start=1
        ):
            stopped = failed and step.trigger is not TrancheTrigger.SIGNING
            paid_on = date(year + (seq > 1), (9, 3, 8)[seq - 1], 10)
            tranches.append(
                Tranche(
                    application_id=app.id,
                    seq=seq,
                    percent=step.percent,
                    amount_fen=amount,
                    trigger=step.trigger,
                    status=TrancheStatus.CANCELLED if stopped else TrancheStatus.PAID,
                    paid_on=None if stopped else paid_on,
                    payment_reference="" if stopped else f"YS-ZF-{year}-{n:03d}-{seq}",
                )
            )
        midterm = 52 if failed else 70 + (app.id * 7) % 26
        evaluations.append(_evaluation(app.id, EvaluationKind.MIDTERM, date(year + 1, 2, 20), midterm))
        if not failed:
            evaluations.append(
                _evaluation(app.id, EvaluationKind.FINAL, date(year + 1, 6, 25), 72 + (app.id * 5) % 24)
            )
    await ApplicationEvent.bulk_create(events)
    await Agreement.bulk_create(agreements)
    await Tranche.bulk_create(tranches)
    await Evaluation.bulk_create(evaluations)
    for app in awarded:
        await Application.filter(id=app.id).update(
            status=AppStatus.CLOSED_FAILED if app.id == failing else AppStatus.CLOSED
        )
    await FundingRound.filter(id=row.id).update(stage=RoundStage.FINISHED)
    start = date(year, 8, 3)
    await ReviewPanel.filter(id=row.panel_id).update(
        publicity_starts_on=add_working_days(start, 1, (), ()),
        publicity_ends_on=add_working_days(start, plan_publicity_days(row), (), ()),
    )


def plan_publicity_days(row: FundingRound) -> int:
    return int(row.publicity_days)


def _evaluation(application_id: int, kind: EvaluationKind, on: date, score: int) -> Evaluation:
    return Evaluation(
        application_id=application_id,
        kind=kind,
        self_assessment="（演示数据）项目自评报告。",
        self_submitted_on=on - timedelta(days=10),
        score=score,
        pass_mark=60,
        passed=score >= 60,
        comment="（演示数据）评估意见。",
        reviewed_on=on,
    )


def _pick(
    rng: random.Random, registered: list[int], filed: list[int], count: int
) -> list[tuple[int, int | None]]:
    """Distinct applicants for one round: two in three registered, the rest filed with a
    registered sponsor (never themselves an applicant in that round)."""
    direct = rng.sample(registered, count - count // 3)
    sponsors = [o for o in registered if o not in direct]
    return [(o, None) for o in direct] + [(o, rng.choice(sponsors)) for o in rng.sample(filed, count // 3)]


def _rank_by_rule(totals: dict[int, dict[int, float]]) -> list[int]:
    """The review module's ranking (trimmed mean with five reviewers), for the plan."""
    result = aggregate_panel(totals, AggregationRule.TRIMMED_MEAN)
    return [r.entry.entry_id for r in rank(result.entries, AggregationRule.TRIMMED_MEAN)]


async def _past_round(
    plan: RoundPlan,
    rng: random.Random,
    experts: list[int],
    pools: tuple[list[int], list[int], dict[int, int]],
) -> int:
    """One past round, from the call to its end; returns what it awarded (fen)."""
    registered, filed, homes = pools
    row, panel = await _insert_round(plan)
    applicants = _pick(rng, registered, filed, len(plan.applications))
    made = await _insert_applications(
        plan, row, applicants, homes, _project_names(rng, len(plan.applications))
    )
    await ApplicationEvent.bulk_create([e for app in made for e in _events(app, plan.year, BEFORE_AWARD)])
    await _insert_review(plan, panel, made, experts, draw_seed=plan.year)
    ranking = await funding_review.ranking(row)
    outcome = await allocation.allocate(actor=SYSTEM, round_id=row.id, ranking=ranking)
    failing = outcome.recommended[-1] if plan.edition == 2 else None
    await _after_award(plan, row, failing)
    return outcome.awarded_fen


async def load_funding_seeds(*, seed: int = DEFAULT_SEED) -> FundingSeedReport:
    """Insert the demo funding rounds once (nothing when a demo round exists). Needs the
    registry's demo organisations."""
    if await FundingRound.filter(is_demo=True).exists():
        return FundingSeedReport()
    rng = random.Random(seed * 41 + 3)
    homes: dict[int, int] = {}
    registered, filed = await _applicants(homes)
    if len(registered) < 100 or len(filed) < 100:
        raise LookupError("公益创投种子需要社会组织种子（请先加载社会组织种子）")
    plans = plan_rounds(seed, _rank_by_rule)
    awarded = 0
    async with in_transaction():
        experts = await _experts(rng)
        for plan in plans:
            awarded += await _past_round(plan, rng, experts, (registered, filed, homes))
        opened = await _open_round(rng, registered, homes)
    return FundingSeedReport(len(plans) + 1, sum(len(p.applications) for p in plans) + opened, awarded)


OPEN_POOL_YUAN = 800_000


async def _open_round(rng: random.Random, registered: list[int], homes: dict[int, int]) -> int:
    """The fourth round, open for applications through the use cases: five submitted
    applications (inserted, as if organisations had applied), and a draft by `demo.organiser`'s
    organisation through the application use case. Returns how many applications it has."""
    data = RoundInput(
        edition=4,
        year=OPEN_ROUND_YEAR,
        title="第四届市级公益创投",
        pool_fen=OPEN_POOL_YUAN * FEN,
        cap_fen=CAP_YUAN * FEN,
    )
    row = await rounds.create_round(actor=SYSTEM, data=data, is_demo=True)
    await rounds.move_round(actor=SYSTEM, round_id=row.id, to=RoundStage.OPEN)
    plan = RoundPlan(4, OPEN_ROUND_YEAR, OPEN_POOL_YUAN, [])
    plan.applications.extend(
        ApplicationPlan(n, 0.5, rng.randrange(20_000, CAP_YUAN, 1_000), 0)
        for n in range(1, OPEN_ROUND_APPLICATIONS)
    )
    for a in plan.applications:
        a.matching_yuan = -(-a.requested_yuan * 40 // 60)
    applicants: list[tuple[int, int | None]] = [
        (o, None) for o in rng.sample(registered, len(plan.applications))
    ]
    made = await _insert_applications(
        plan, row, applicants, homes, _project_names(rng, len(plan.applications))
    )
    await Application.filter(round_id=row.id).update(status=AppStatus.SUBMITTED)
    await ApplicationEvent.bulk_create(
        [e for app in made for e in _events(app, OPEN_ROUND_YEAR, BEFORE_AWARD[:1])]
    )
    return len(made) + await _demo_organiser_draft(row, registered, homes)


async def _demo_organiser_draft(row: FundingRound, registered: list[int], homes: dict[int, int]) -> int:
    """`demo.organiser` drafts an application for its (filed) organisation, sponsored by a
    registered one: what an organiser sees under 我的申报."""
    user = await User.get_or_none(username="demo.organiser", is_demo=True)
    grant = await RoleAssignment.filter(user_id=user.id if user else 0, role=Role.ORGANISER).first()
    if user is None or grant is None or grant.organisation_id is None:
        return 0
    organiser = Actor(
        user_id=user.id,
        person_id=user.person_id,
        display_name=user.username,
        grants=(Grant(Role.ORGANISER, organisation_id=grant.organisation_id),),
    )
    lines = (
        LineInput("活动物资", "睦邻活动用品", 12_000 * FEN, FundedBy.GRANT),
        LineInput("人员劳务", "志愿者交通与误餐补贴", 8_000 * FEN, FundedBy.GRANT),
        LineInput("机构自筹", "居民自筹与商户捐赠", 14_000 * FEN, FundedBy.MATCHING),
    )
    data = ApplicationInput(
        organisation_id=grant.organisation_id,
        project_name="楼道睦邻互助计划",
        target_group="独居老人与双职工家庭",
        problem="（演示数据）楼道里独居老人多，邻里互相不熟悉，遇事无人照应。",
        plan="（演示数据）组建楼道互助小组，每月一次邻里活动，建立结对帮扶名单。",
        requested_fen=20_000 * FEN,
        budget_lines=lines,
        cell_ids=(homes[grant.organisation_id],) if grant.organisation_id in homes else (),
        sponsor_id=registered[0],
    )
    await applications.create_application(actor=organiser, round_id=row.id, data=data, is_demo=True)
    return 1
