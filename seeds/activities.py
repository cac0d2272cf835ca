"""A year of demo activities (民情日志) by the seeded micro-leaders, up to SEED_NOW.

Each leader logs about weekly (fewer for an organisation leader) from their nomination, or the
start of the year, until SEED_NOW or their withdrawal, always on a cell of their home subtree.
The mix of types follows the source role (a 微网格长 visits and checks safety more, a 小组长
mediates and deliberates more, an organisation leader runs more volunteering and culture); the
type-specific fields follow the model: a mediation has an outcome, volunteering hours fit in the
activity, a visit reaches at least one household, and problems found are counted by category
(`{"FIRE": 2, "SECURITY": 1}`), only on the types that look for them.

Who typed and who reviewed (`author_user_id`, `reviewed_by_user_id`): a leader with an account
(the demo account `demo.leader`) logs their own activities; the others keep a paper log that a
data-entry clerk (`demo.clerk`, grid staff for the whole city) enters for them. The reviewer is the
demo grid staff account of the cell's town (every town has one); the bureau (`demo.bureau`) may
review any of them. No reviewing account types a record, so a reviewer's queue holds everything
waiting in their scope (nobody may verify what they typed themselves). Old entries
are nearly all verified; the last days hold the submitted ones and the drafts, and a few were
returned with a reason. Nothing lies after SEED_NOW, nor after the present moment should the
clock be earlier: such entries are left out.

Idempotence: nothing is inserted once any demo activity exists (two reads); an older demo year whose
records were typed under a reviewing account (`demo.bureau` once entered them, so the bureau's
queue showed almost nothing) is refused with what to do (`StaleDemoData`).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from domain.access import Role
from domain.accounts.models import User
from domain.activities import rollup
from domain.activities.models import (
    PROBLEM_LABELS,
    Activity,
    ActivityStatus,
    ActivityType,
    MediationOutcome,
    ProblemCategory,
    location,
    public_by_default,
)
from domain.grids.codes import GridKind
from domain.grids.models import GridCell, path_ids
from domain.leaders.models import MicroLeader, SourceRole
from seeds.accounts import DEMO_ACCOUNTS
from seeds.generate import DEFAULT_SEED
from seeds.leaders import SEED_NOW, SHANGHAI
from seeds.loader import StaleDemoData

INSERT_BATCH = 1000
WINDOW_START = SEED_NOW - timedelta(days=365)
# Activities a year, by source role; each leader's own rate is drawn around it.
YEARLY: dict[SourceRole, int] = {
    SourceRole.MICRO_GRID_HEAD: 90,
    SourceRole.GROUP_LEADER: 85,
    SourceRole.ORG_LEADER: 75,
}
BUREAU = next(a.username for a in DEMO_ACCOUNTS if a.role is Role.BUREAU_STAFF)
CLERK = "demo.clerk"
GRID_STAFF = {
    a.town_code: a.username
    for a in DEMO_ACCOUNTS
    if a.role is Role.GRID_STAFF and a.town_code and a.username != CLERK
}
# The demo accounts that review the seeded records: none of them may have typed one.
REVIEWERS = (BUREAU, *GRID_STAFF.values())

T = ActivityType
TYPE_WEIGHTS: dict[ActivityType, int] = {
    T.VISIT: 22,
    T.MEDIATION: 8,
    T.DELIBERATION: 8,
    T.PUBLICITY: 11,
    T.ENVIRONMENT: 10,
    T.SAFETY_CHECK: 10,
    T.VOLUNTEERING: 10,
    T.ERRAND: 8,
    T.CULTURE_SPORTS: 6,
    T.PROJECT_WORK: 3,
    T.EMERGENCY: 1,
    T.OTHER: 3,
}
ROLE_BIAS: dict[SourceRole, dict[ActivityType, float]] = {
    SourceRole.MICRO_GRID_HEAD: {T.VISIT: 1.4, T.SAFETY_CHECK: 1.5, T.ERRAND: 1.3},
    SourceRole.GROUP_LEADER: {T.MEDIATION: 1.8, T.DELIBERATION: 1.7, T.ENVIRONMENT: 1.2},
    SourceRole.ORG_LEADER: {
        T.VOLUNTEERING: 1.8,
        T.CULTURE_SPORTS: 2.2,
        T.PROJECT_WORK: 2.5,
        T.SAFETY_CHECK: 0.5,
    },
}
# Where in the home subtree an activity happens, by the kind of cell (weights).
CELL_WEIGHTS: dict[GridKind, int] = {
    GridKind.COMMUNITY: 3,
    GridKind.VILLAGE: 3,
    GridKind.GRID: 3,
    GridKind.MICRO_GRID: 4,
}
# Minutes: (shortest, longest); starts: usual local start times.
DURATION: dict[ActivityType, tuple[int, int]] = {
    T.VISIT: (30, 120),
    T.MEDIATION: (45, 180),
    T.DELIBERATION: (60, 150),
    T.PUBLICITY: (60, 180),
    T.ENVIRONMENT: (60, 240),
    T.SAFETY_CHECK: (60, 180),
    T.VOLUNTEERING: (60, 240),
    T.ERRAND: (30, 90),
    T.CULTURE_SPORTS: (60, 180),
    T.PROJECT_WORK: (60, 240),
    T.EMERGENCY: (60, 240),
    T.OTHER: (30, 120),
}
DAY_STARTS = ("08:30", "09:00", "09:30", "10:00", "13:30", "14:00", "14:30", "15:00")
EVENING_STARTS = ("18:30", "19:00", "19:30")
EVENING_TYPES = frozenset({T.DELIBERATION, T.CULTURE_SPORTS, T.VOLUNTEERING})
# (participants, households reached): ranges by type; households never exceed the cell's.
REACH: dict[ActivityType, tuple[tuple[int, int], tuple[int, int]]] = {
    T.VISIT: ((1, 14), (1, 12)),
    T.MEDIATION: ((2, 6), (1, 3)),
    T.DELIBERATION: ((8, 40), (6, 30)),
    T.PUBLICITY: ((15, 120), (10, 80)),
    T.ENVIRONMENT: ((4, 30), (10, 60)),
    T.SAFETY_CHECK: ((1, 4), (5, 40)),
    T.VOLUNTEERING: ((3, 25), (5, 40)),
    T.ERRAND: ((1, 5), (1, 5)),
    T.CULTURE_SPORTS: ((10, 80), (8, 50)),
    T.PROJECT_WORK: ((5, 40), (5, 30)),
    T.EMERGENCY: ((2, 30), (1, 20)),
    T.OTHER: ((3, 20), (0, 10)),
}
# Categories each type may find problems in; the others find none.
PROBLEM_SCOPE: dict[ActivityType, tuple[ProblemCategory, ...]] = {
    T.ENVIRONMENT: (ProblemCategory.SANITATION, ProblemCategory.FACILITIES),
    T.SAFETY_CHECK: (ProblemCategory.FIRE, ProblemCategory.SECURITY, ProblemCategory.FACILITIES),
    T.VISIT: (ProblemCategory.LIVELIHOOD,),
    T.EMERGENCY: (ProblemCategory.SECURITY, ProblemCategory.FACILITIES),
}
PROBLEM_CHANCE: dict[ActivityType, float] = {
    T.ENVIRONMENT: 1.0,
    T.SAFETY_CHECK: 0.8,
    T.VISIT: 0.2,
    T.EMERGENCY: 0.7,
}
OUTCOMES: dict[MediationOutcome, int] = {
    MediationOutcome.RESOLVED: 64,
    MediationOutcome.PARTLY: 18,
    MediationOutcome.REFERRED: 12,
    MediationOutcome.FAILED: 6,
}
RETURN_REASONS = (
    "参与户数未填写，请补充后重新提交",
    "活动经过过于简单，请补充过程和结果",
    "照片与活动内容不符，请核实后重新提交",
    "活动时长与实际不符，请核实",
    "调解结果与后续跟进不一致，请补充说明",
)
S = ActivityStatus
# Where an entry stands at SEED_NOW, by its age in days (up to): the newest wait for review.
STATUS_BY_AGE: tuple[tuple[int, dict[ActivityStatus, float]], ...] = (
    (2, {S.DRAFT: 0.12, S.SUBMITTED: 0.68, S.VERIFIED: 0.2}),
    (10, {S.DRAFT: 0.03, S.SUBMITTED: 0.15, S.RETURNED: 0.04, S.VERIFIED: 0.78}),
    (400, {S.DRAFT: 0.002, S.RETURNED: 0.008, S.VERIFIED: 0.99}),
)
# Demo account's latest entries, newest first: something to show on every status.
DEMO_LATEST = (
    ActivityStatus.DRAFT,
    ActivityStatus.SUBMITTED,
    ActivityStatus.SUBMITTED,
    ActivityStatus.RETURNED,
)


# --- texts: titles by type; "村:" or "社:" limits a title to villages or communities, and a
# leading "1,2|" to those months --------------------------------------------------------------

TITLES: dict[ActivityType, tuple[str, ...]] = {
    T.VISIT: (
        "走访慰问{cell}独居老人",
        "{cell}困难家庭入户走访",
        "走访{cell}新居民家庭",
        "上门探望{cell}高龄老人",
        "走访{cell}残疾人家庭了解需求",
        "{cell}低保家庭定期走访",
        "1,2|春节前走访慰问{cell}困难家庭",
        "10|重阳节走访慰问{cell}高龄老人",
        "7,8|高温天气走访{cell}独居老人",
    ),
    T.MEDIATION: (
        "调解{cell}楼上漏水引发的邻里纠纷",
        "社:化解{cell}楼道堆物引发的邻里矛盾",
        "调解{cell}噪音扰民纠纷",
        "社:调解{cell}车位占用纠纷",
        "调解{cell}宠物扰邻纠纷",
        "调解{cell}家庭赡养纠纷",
        "村:调解{cell}宅基地界址纠纷",
        "村:调解{cell}田间排水纠纷",
    ),
    T.DELIBERATION: (
        "{venue}议事：{topic}",
        "{venue}议事：{topic}",
        "村:召开村民议事会：{topic}",
        "社:召开居民议事会：{topic}",
    ),
    T.PUBLICITY: (
        "{cell}防范电信网络诈骗宣传",
        "垃圾分类政策入户宣传",
        "城乡居民医保参保政策宣传",
        "{cell}消防安全知识宣传",
        "养老服务补贴政策宣传",
        "“最多跑一次”便民服务宣传",
        "3|“3·15”消费维权知识宣传",
        "6,7,8|{cell}防溺水安全宣传",
        "11|“119”消防宣传月入户宣传",
    ),
    T.ENVIRONMENT: (
        "村:{cell}河道沿岸垃圾清理",
        "社:{cell}楼道堆物清理",
        "{cell}绿化带杂物清理",
        "村:{cell}房前屋后环境整治",
        "村:“美丽庭院”创建环境整治",
        "社:{cell}非机动车乱停放整治",
        "{cell}卫生死角清理",
    ),
    T.SAFETY_CHECK: (
        "{cell}消防隐患排查",
        "{cell}电动自行车违规充电排查",
        "{cell}出租房安全检查",
        "{cell}燃气安全隐患排查",
        "5,6|汛期前{cell}危旧房排查",
        "7,8,9|台风来临前{cell}安全巡查",
        "12,1,2|{cell}冬季用火用电安全检查",
    ),
    T.VOLUNTEERING: (
        "{cell}志愿理发服务",
        "“邻里守望”志愿巡逻",
        "{cell}义务清扫",
        "为{cell}老人志愿测血压",
        "为高龄老人送餐上门",
        "文明交通志愿劝导",
        "{unit}志愿服务日活动",
    ),
    T.ERRAND: (
        "为{cell}老人代办医保报销",
        "代办{cell}居民养老资格认证",
        "为行动不便居民代缴水电费",
        "代办残疾人证年审",
        "代办{cell}居民居住证申领",
        "帮助老人线上预约就诊",
    ),
    T.CULTURE_SPORTS: (
        "{cell}邻里节百家宴",
        "{unit}广场舞展演",
        "{unit}邻里趣味运动会",
        "{cell}书法兴趣小组活动",
        "{unit}邻里电影夜",
        "6|端午包粽子邻里活动",
        "9|中秋邻里茶话会",
        "2|元宵猜灯谜",
        "7,8|暑期儿童兴趣课堂",
        "1,2|迎新春写春联送春联",
    ),
    T.PROJECT_WORK: (
        "“邻里互助小组”项目活动",
        "社:“楼道微更新”微治理项目施工协调",
        "“幸福养老”项目入户需求评估",
        "村:“小河长”护河项目巡河",
        "村:“美丽庭院”项目评比",
        "“四点半课堂”项目志愿辅导",
    ),
    T.EMERGENCY: (
        "7,8,9|台风过境后{cell}巡查排险",
        "6,7|暴雨积水应急排涝协助",
        "12,1,2|寒潮期间{cell}独居老人安全巡查",
        "{cell}突发停水应急协调",
        "协助处置{cell}电动自行车起火险情",
    ),
    T.OTHER: (
        "参加{unit}网格例会",
        "{cell}人口信息核对",
        "协助{unit}开展民意调查",
        "{cell}民情恳谈",
        "陪同社工入户了解困难家庭情况",
    ),
}
TOPICS = (
    "社:老旧小区加装电梯",
    "社:公共停车位划分",
    "村:村规民约修订",
    "垃圾分类积分兑换办法",
    "村:河道保洁分工",
    "村:文化礼堂使用安排",
    "社:楼道堆物清理方案",
    "社:小区公共收益使用",
    "电动自行车集中充电点选址",
    "邻里互助小组活动安排",
    "村:村道路灯安装",
)
VENUES: dict[GridKind, tuple[str, ...]] = {
    GridKind.COMMUNITY: ("居民会客厅", "民情茶室", "党群服务中心"),
    GridKind.VILLAGE: ("村民客堂", "民情茶室", "文化礼堂"),
}
NARRATIVES: dict[ActivityType, tuple[str, ...]] = {
    T.VISIT: (
        "入户走访{households}户，了解老人身体状况和日常生活需求，{problems}。",
        "与网格员一起走访{households}户，逐户登记家庭情况，更新民情台账，{problems}。",
    ),
    T.MEDIATION: (
        "接到居民反映后当天上门了解情况，分别听取双方意见，约双方到{place}面对面协商。",
        "双方因生活琐事积怨已久，本人先分别做思想工作，再请{participants}位当事人坐下来谈。",
    ),
    T.DELIBERATION: (
        "组织{participants}名居民代表围绕“{topic}”议事协商，形成初步方案，将在{cell}公示征求意见。",
        "{participants}名居民代表参加，围绕“{topic}”充分发言，意见基本一致，会议纪要报{unit}。",
        "围绕“{topic}”议事，{participants}人参加，费用分摊仍有分歧，约定下次议事继续讨论。",
    ),
    T.PUBLICITY: (
        "在{place}发放宣传资料，向{participants}名居民讲解政策要点，现场解答问题。",
        "入户宣传{households}户，张贴海报，并在微信群转发政策解读。",
    ),
    T.ENVIRONMENT: ("组织{participants}名居民和志愿者清理{cell}卫生死角，{problems}。",),
    T.SAFETY_CHECK: ("逐户检查{households}户，{problems}。",),
    T.VOLUNTEERING: ("带领{participants}名志愿者开展服务，服务居民{households}户，本人服务{hours}小时。",),
    T.ERRAND: ("受{households}户居民委托代为办理，已办结并将材料送回。",),
    T.CULTURE_SPORTS: (
        "组织{participants}名居民参加，邻里之间相互熟悉，气氛热烈。",
        "{participants}名居民参加，不少新居民第一次参与，增进了邻里感情。",
        "{participants}人参加，活动结束后收集了居民对下次活动的建议。",
    ),
    T.PROJECT_WORK: ("按项目计划开展本期活动，参与居民{participants}人，完成进度记录和照片留存。",),
    T.EMERGENCY: (
        "接到情况后第一时间赶到现场，协助疏导居民{participants}人，{problems}，险情已排除，未造成人员伤亡。",
    ),
    T.OTHER: ("完成本次工作，{participants}人参与，情况已记入民情台账。",),
}
MEDIATION_RESULTS: dict[MediationOutcome, tuple[str, str]] = {
    MediationOutcome.RESOLVED: ("双方达成一致，当场握手言和。", "一周后回访，确认约定履行情况"),
    MediationOutcome.PARTLY: ("双方就主要问题达成一致，剩余分歧约定再协商。", "下周再次组织双方协商"),
    MediationOutcome.FAILED: (
        "双方分歧较大，暂未达成一致，已做好情绪疏导。",
        "持续关注，必要时请社区调解员介入",
    ),
    MediationOutcome.REFERRED: ("涉及责任认定，已转交{unit}人民调解委员会。", "跟进人民调解委员会的调解进度"),
}
FOLLOW_UPS: dict[ActivityType, str] = {
    T.VISIT: "重点户下月再次走访",
    T.SAFETY_CHECK: "三天内复查整改情况",
    T.ENVIRONMENT: "下周复查，防止反弹",
    T.EMERGENCY: "持续关注后续情况",
}


# --- the report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivitySeedReport:
    """What one load of the activity seeds inserted, by status; or why it inserted nothing."""

    by_status: dict[ActivityStatus, int] = field(default_factory=dict)
    note: str = "demo activities present"

    @property
    def activities(self) -> int:
        return sum(self.by_status.values())

    @property
    def inserted(self) -> int:
        return self.activities

    def __str__(self) -> str:
        if not self.activities:
            return f"activity seeds: {self.note}"
        counts = ", ".join(f"{count} {status.value}" for status, count in self.by_status.items())
        return f"activity seeds inserted: {self.activities} activities ({counts})"


# --- the pure plan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LeaderRow:
    id: int
    role: SourceRole
    home_path: str
    nominated_at: datetime
    withdrawn_at: datetime | None
    user_id: int | None  # the leader's own account, if any


@dataclass(frozen=True)
class CellRow:
    id: int
    path: str
    code: str
    name: str
    kind: GridKind
    households: int
    unit: CellRow | None  # the community or village it lies in (itself for one)

    @property
    def town_code(self) -> str:
        return self.code[:9]


@dataclass(frozen=True)
class Accounts:
    clerk: int  # types the paper logs of leaders without an account
    grid_staff: dict[str, int]  # town code -> user id

    def reviewer(self, cell: CellRow) -> int:
        return self.grid_staff[cell.town_code]


def plan_activities(
    seed: int, leaders: Sequence[LeaderRow], cells: Sequence[CellRow], accounts: Accounts
) -> list[Activity]:
    """The year's activities of every leader, oldest first per leader; pure."""
    rng = random.Random(f"{seed}:activities")
    rows: list[Activity] = []
    for leader in leaders:
        subtree = [cell for cell in cells if cell.path.startswith(leader.home_path)]
        rows += _leader_year(rng, leader, subtree, accounts)
    return rows


def _leader_year(
    rng: random.Random, leader: LeaderRow, subtree: Sequence[CellRow], accounts: Accounts
) -> list[Activity]:
    first = max(WINDOW_START, leader.nominated_at + timedelta(days=2))
    last = min(SEED_NOW, leader.withdrawn_at or SEED_NOW)
    if last <= first or not subtree:
        return []
    days = (last - first).days
    count = round(YEARLY[leader.role] * rng.uniform(0.6, 1.4) * days / 365)
    weights = _type_weights(leader.role)
    slots = sorted(_slot(rng, first, days, weights, subtree) for _ in range(count))
    slots = [slot for slot in slots if slot.ended_at <= last]
    forced = DEMO_LATEST[: len(slots)] if leader.user_id else ()
    statuses: list[ActivityStatus | None] = [None] * (len(slots) - len(forced))
    statuses += reversed(forced)
    return [
        _activity(rng, leader, slot, accounts, status) for slot, status in zip(slots, statuses, strict=True)
    ]


@dataclass(frozen=True, order=True)
class _Slot:
    """When, what and where: drawn first, so the ones past the leader's last day can be dropped
    before any other choice is made."""

    started_at: datetime
    ended_at: datetime
    activity_type: ActivityType = field(compare=False)
    cell: CellRow = field(compare=False)


def _slot(
    rng: random.Random,
    first: datetime,
    days: int,
    weights: dict[ActivityType, float],
    subtree: Sequence[CellRow],
) -> _Slot:
    day = datetime.combine((first + timedelta(days=rng.randint(1, days))).date(), time(), SHANGHAI)
    activity_type = rng.choices(list(weights), list(weights.values()))[0]
    started_at = _clock(rng, day, activity_type)
    shortest, longest = DURATION[activity_type]
    ended_at = started_at + timedelta(minutes=rng.randrange(shortest, longest + 1, 5))
    cell = rng.choices(subtree, [CELL_WEIGHTS[cell.kind] for cell in subtree])[0]
    return _Slot(started_at, ended_at, activity_type, cell)


def _type_weights(role: SourceRole) -> dict[ActivityType, float]:
    bias = ROLE_BIAS[role]
    return {kind: weight * bias.get(kind, 1.0) for kind, weight in TYPE_WEIGHTS.items()}


def _activity(
    rng: random.Random, leader: LeaderRow, slot: _Slot, accounts: Accounts, forced: ActivityStatus | None
) -> Activity:
    activity_type, cell = slot.activity_type, slot.cell
    (low_p, high_p), (low_h, high_h) = REACH[activity_type]
    participants = rng.randint(low_p, high_p)
    households = min(rng.randint(low_h, high_h), cell.households)
    text = _Texts(rng, cell, activity_type, slot.started_at.month)
    outcome = _outcome(rng) if activity_type is T.MEDIATION else None
    problems = _problems(rng, activity_type)
    hours = _volunteer_hours(rng, slot) if activity_type is T.VOLUNTEERING else None
    narrative = text.narrative(
        participants=participants, households=households, hours=hours, problems=_problem_text(problems)
    )
    review = _review(rng, slot.ended_at, forced)
    return Activity(
        author_user_id=leader.user_id or accounts.clerk,
        leader_id=leader.id,
        **location(cell.id, cell.path),
        activity_type=activity_type,
        title=text.title,
        narrative=narrative + (text.fill(MEDIATION_RESULTS[outcome][0]) if outcome else ""),
        started_at=slot.started_at,
        ended_at=slot.ended_at,
        place=text.place,
        participants=participants,
        households_reached=households,
        problems=problems,
        mediation_outcome=outcome,
        volunteer_hours=hours,
        follow_up=_follow_up(activity_type, outcome, problems),
        status=review.status,
        return_reason=review.reason,
        created_at=review.created_at,
        submitted_at=review.submitted_at,
        verified_at=review.verified_at,
        reviewed_by_user_id=accounts.reviewer(cell) if review.reviewed else None,
        # the verifier's default (`PUBLIC_BY_DEFAULT`); details never public in the demo
        is_public=review.status is ActivityStatus.VERIFIED and public_by_default(activity_type),
        is_demo=True,
    )


def _follow_up(
    activity_type: ActivityType, outcome: MediationOutcome | None, problems: dict[str, Any]
) -> str:
    if outcome:
        return MEDIATION_RESULTS[outcome][1]
    return FOLLOW_UPS.get(activity_type, "") if problems else ""


def _clock(rng: random.Random, day: datetime, activity_type: ActivityType) -> datetime:
    evening = activity_type in EVENING_TYPES and rng.random() < 0.4
    hour, minute = map(int, rng.choice(EVENING_STARTS if evening else DAY_STARTS).split(":"))
    return day.replace(hour=hour, minute=minute + rng.choice((0, 0, 5, 10, 15, 20)))


def _outcome(rng: random.Random) -> MediationOutcome:
    return rng.choices(list(OUTCOMES), list(OUTCOMES.values()))[0]


def _problems(rng: random.Random, activity_type: ActivityType) -> dict[str, Any]:
    scope = PROBLEM_SCOPE.get(activity_type, ())
    if not scope or rng.random() >= PROBLEM_CHANCE[activity_type]:
        return {}
    found = rng.sample(scope, rng.randint(1, len(scope)))
    return {category.value: rng.randint(1, 4) for category in scope if category in found}


def _problem_text(problems: dict[str, Any]) -> str:
    if not problems:
        return "未发现明显问题"
    found = "、".join(f"{PROBLEM_LABELS[ProblemCategory(key)]}{count}处" for key, count in problems.items())
    return f"发现{found}，已拍照留存并督促整改"


def _volunteer_hours(rng: random.Random, slot: _Slot) -> Decimal:
    """The leader's own hours, in half hours, never more than the activity lasted."""
    halves = int((slot.ended_at - slot.started_at) / timedelta(minutes=30))
    return Decimal(rng.randint(max(1, halves - 2), halves)) / 2


class _Texts:
    """Title, place and narrative of one activity, in the words of its cell and its month."""

    def __init__(self, rng: random.Random, cell: CellRow, activity_type: ActivityType, month: int) -> None:
        self._rng = rng
        unit = cell.unit or cell
        self._kind = unit.kind
        venue = rng.choice(VENUES.get(unit.kind, ("居民会客厅",)))
        self._values = {
            "cell": cell.name,
            "unit": unit.name,
            "venue": venue,
            "topic": _text(self._pick(TOPICS, month)),
        }
        self.title = self.fill(_text(self._pick(TITLES[activity_type], month)))
        self.place = f"{unit.name}{venue}" if activity_type in (T.DELIBERATION, T.MEDIATION) else cell.name
        self._values["place"] = self.place
        self._narratives = NARRATIVES[activity_type]

    def fill(self, template: str) -> str:
        return template.format(**self._values)

    def narrative(self, **values: object) -> str:
        return self._rng.choice(self._narratives).format(**self._values, **values)

    def _pick(self, options: Sequence[str], month: int) -> str:
        fitting = [option for option in options if _fits(option, self._kind, month)]
        return self._rng.choice(fitting)


def _fits(option: str, kind: GridKind, month: int) -> bool:
    months, _, rest = option.rpartition("|")
    if months and str(month) not in months.split(","):
        return False
    scope = rest[:2]
    if scope == "村:":
        return kind is GridKind.VILLAGE
    if scope == "社:":
        return kind is GridKind.COMMUNITY
    return True


def _text(option: str) -> str:
    rest = option.rpartition("|")[2]
    return rest[2:] if rest[:2] in ("村:", "社:") else rest


@dataclass(frozen=True)
class _Review:
    status: ActivityStatus
    created_at: datetime
    submitted_at: datetime | None = None
    verified_at: datetime | None = None
    reason: str | None = None

    @property
    def reviewed(self) -> bool:
        return self.status in (ActivityStatus.VERIFIED, ActivityStatus.RETURNED)


def _review(rng: random.Random, ended_at: datetime, forced: ActivityStatus | None) -> _Review:
    """Where the entry stands at SEED_NOW: typed soon after the activity, submitted at once unless
    kept as a draft, reviewed within four days; so the newest are the unreviewed ones."""
    created_at = min(ended_at + timedelta(minutes=rng.randint(5, 360)), SEED_NOW)
    status = forced or _status(rng, SEED_NOW - ended_at)
    if status is ActivityStatus.DRAFT:
        return _Review(status, created_at)
    submitted_at = min(created_at + timedelta(minutes=rng.randint(1, 30)), SEED_NOW)
    reviewed_at = submitted_at + timedelta(minutes=rng.randint(120, 96 * 60))
    if status is ActivityStatus.SUBMITTED or (reviewed_at > SEED_NOW and not forced):
        return _Review(ActivityStatus.SUBMITTED, created_at, submitted_at)
    if status is ActivityStatus.RETURNED:
        return _Review(status, created_at, submitted_at, reason=rng.choice(RETURN_REASONS))
    return _Review(status, created_at, submitted_at, verified_at=reviewed_at)


def _status(rng: random.Random, age: timedelta) -> ActivityStatus:
    odds = next(odds for days, odds in STATUS_BY_AGE if age < timedelta(days=days))
    return rng.choices(list(odds), list(odds.values()))[0]


def clip_to(rows: Sequence[Activity], now: datetime) -> list[Activity]:
    """The rows as they stand at `now` when the clock is earlier than SEED_NOW: later activities
    are left out, and a review or submission that would lie ahead is not there yet."""
    kept = []
    for row in rows:
        if row.ended_at > now:
            continue
        if (row.verified_at and row.verified_at > now) or (row.submitted_at and row.submitted_at > now):
            _unreview(row, submitted=row.submitted_at is not None and row.submitted_at <= now)
        row.created_at = min(row.created_at, now)
        kept.append(row)
    return kept


def _unreview(row: Activity, *, submitted: bool) -> None:
    row.status = ActivityStatus.SUBMITTED if submitted else ActivityStatus.DRAFT
    row.verified_at = row.reviewed_by_user_id = row.return_reason = None
    row.is_public = row.details_public = False
    if not submitted:
        row.submitted_at = None


# --- the loader --------------------------------------------------------------------------------


async def load_activity_seeds(*, seed: int = DEFAULT_SEED, now: datetime | None = None) -> ActivitySeedReport:
    """Insert the demo year of activities in one transaction, unless demo activities exist. Needs
    the leader seeds and the demo clerk and grid staff accounts; `now` stands in for the clock in
    tests. Refuses an older demo year typed under a reviewing account (`StaleDemoData`)."""
    if await Activity.filter(is_demo=True).exists():
        await _refuse_stale_demo_year()
        return ActivitySeedReport()
    leaders = await _leaders()
    if not leaders:
        return ActivitySeedReport(note="no demo micro-leaders to log activities (load the leader seeds)")
    accounts = await _accounts()
    if accounts is None:
        return ActivitySeedReport(
            note=f"demo accounts missing ({CLERK} and a grid staff per town): no one to enter the logs"
        )
    rows = plan_activities(seed, leaders, await _cells(), accounts)
    moment = now or datetime.now(SHANGHAI)
    if moment < SEED_NOW:
        rows = clip_to(rows, moment)
    async with in_transaction() as tx:
        await Activity.bulk_create(rows, batch_size=INSERT_BATCH)
        await rollup.rebuild_on(tx)  # verified rows inserted in bulk, not counted by the service
    return ActivitySeedReport(dict(sorted(Counter(row.status for row in rows).items())), note="")


async def _leaders() -> list[LeaderRow]:
    rows = (
        await MicroLeader.filter(is_demo=True)
        .order_by("id")
        .values_list("id", "person_id", "source_role", "home_path", "nominated_at", "withdrawn_at")
    )
    users = await User.filter(person_id__in=[row[1] for row in rows], is_active=True).values_list(
        "person_id", "id"
    )
    user_by_person: dict[int, int] = dict(users)
    return [
        LeaderRow(leader_id, SourceRole(role), path, nominated, withdrawn, user_by_person.get(person_id))
        for leader_id, person_id, role, path, nominated, withdrawn in rows
    ]


async def _refuse_stale_demo_year() -> None:
    """One read: demo records typed under a reviewing account come from an older seed, whose
    reviewers could not verify most of what waits in their queue."""
    reviewers = User.filter(username__in=REVIEWERS, is_demo=True).values("id")
    if await Activity.filter(is_demo=True, author_user_id__in=Subquery(reviewers)).exists():
        raise StaleDemoData(
            "数据库里的演示活动记录由审核账号代录（旧版演示数据），审核人无法核实自己录入的记录："
            "请删除演示数据库（默认 data/linzhi.sqlite3）后重新运行 make run。"
        )


async def _accounts() -> Accounts | None:
    names = [CLERK, *GRID_STAFF.values()]
    rows = await User.filter(username__in=names, is_demo=True).values_list("username", "id")
    ids: dict[str, int] = dict(rows)
    if any(name not in ids for name in names):
        return None
    return Accounts(ids[CLERK], {town: ids[name] for town, name in GRID_STAFF.items()})


async def _cells() -> list[CellRow]:
    """Every cell an activity can be about (village level and below), each with its unit."""
    rows = (
        await GridCell.filter(
            kind__in=[GridKind.COMMUNITY, GridKind.VILLAGE, GridKind.GRID, GridKind.MICRO_GRID], retired=False
        )
        .order_by("path")
        .values_list("id", "path", "code", "name", "kind", "households")
    )
    units: dict[int, CellRow] = {}
    cells = []
    for cell_id, path, code, name, kind, households in rows:
        ids = path_ids(path)
        unit = units.get(ids[2]) if len(ids) > 3 else None
        cell = CellRow(cell_id, path, code, name, GridKind(kind), households, unit)
        if unit is None:
            units[cell_id] = cell
        cells.append(cell)
    return cells
