"""The micro-leader (微领袖) seeds: the first cohort as the source report tells it, a second cohort in
training now, and the training plan, enrolment and attendance of both.

From the report (共治共享 社会治理改革新动力足; written in 2020, it dates the start to 去年, so 2019):
the 微领袖 programme's first cohort (首期) had 38 people, recruited for their credibility and
influence (公信度和影响力) among 微网格长, 村（居）民小组长 and 社区社会组织负责人, and trained through
个案辅导增能, 小组团队辅导, 主题工作坊, 外出参访 and the 实务能力训练营. Everything else (people,
dates, titles, venues, facilitators, attendance) is generated demo data and flagged `is_demo`.

Consistency kept by construction: every leader's home cell is a real cell of the loaded tree (a
micro-grid for a 微网格长, a grid for a 小组长, the community or village for an organisation
leader); a certified leader's attendance meets the cohort rule, and `certified_at` is the check-in
that first met it (certification is automatic); the second cohort's past required sessions are
too few for anyone to meet the rule yet; `enrolled_count` is the number of ENROLLED enrolments, and
a withdrawn leader's later enrolments are cancelled. A 微网格长 becomes the recorded head of their
micro-grid when it has none.

The demo account `demo.leader` is one of the second cohort's enrolled leaders, a 居民小组长 whose
home is the first grid of 南河头社区 (当湖街道), so it can log activities in the demo.

Idempotence: a cohort is inserted, with its leaders and plan, only when no demo cohort of its name
exists; one read when both do. Seeding bypasses the services, so it is not audited (as the grid
seeds are not).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from tortoise.transactions import in_transaction

from domain.accounts.models import User
from domain.grids.codes import GridKind
from domain.grids.models import GridCell
from domain.leaders.lifecycle import CERTIFICATE_PREFIX, shanghai_date
from domain.leaders.models import (
    Attendance,
    Certificate,
    CertificateSequence,
    Cohort,
    Enrolment,
    EnrolmentStatus,
    LeaderStatus,
    MicroLeader,
    SessionType,
    SourceRole,
    TrainingSession,
)
from domain.people.models import Person
from seeds import pinghu
from seeds.generate import DEFAULT_SEED, GIVEN_NAMES, MOBILE_SECOND_DIGITS, SURNAMES, SeedPerson

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
# The moment the demo data describes: past sessions, attendance and activities lie before it,
# upcoming sessions after it. Fixed, so every load of a seed yields the same rows.
SEED_NOW = datetime(2026, 11, 28, 23, 0, tzinfo=SHANGHAI)

DEMO_LEADER_USERNAME = "demo.leader"
DEMO_LEADER_CELL = pinghu.NANHETOU.code + "001"  # 南河头社区 第1网格
DEMO_LEADER_TOWN = DEMO_LEADER_CELL[:9]  # 当湖街道
INSERT_BATCH = 1000
READ_CHUNK = 1000
UPDATE_BATCH = 250  # bulk_update writes CASE id WHEN ...: small batches, as in the grid loader

HOME_KINDS: dict[SourceRole, tuple[GridKind, ...]] = {
    SourceRole.MICRO_GRID_HEAD: (GridKind.MICRO_GRID,),
    SourceRole.GROUP_LEADER: (GridKind.GRID,),
    SourceRole.ORG_LEADER: (GridKind.COMMUNITY, GridKind.VILLAGE),
}
FACILITATOR_TITLES = ("高级社会工作师", "社会工作师", "社工督导", "社会工作师", "助理社会工作师", "社工督导")
PRESENT_REQUIRED = 0.9
PRESENT_ELECTIVE = 0.85
ELECTIVE_INTEREST = 0.45


@dataclass(frozen=True)
class SessionPlan:
    session_type: SessionType
    required: bool
    starts: str  # local time, "YYYY-MM-DD HH:MM"
    hours: str
    capacity: int
    title: str
    venue: str

    @property
    def starts_at(self) -> datetime:
        return datetime.strptime(self.starts, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)

    @property
    def ends_at(self) -> datetime:
        # A full day (6 credited hours or more) includes a lunch break, or the travel of a visit.
        extra = 1.5 if Decimal(self.hours) >= 6 else 0
        return self.starts_at + timedelta(hours=float(self.hours) + extra)


@dataclass(frozen=True)
class Withdrawal:
    day: str
    reason: str


@dataclass(frozen=True)
class CohortPlan:
    name: str
    year: int
    towns: dict[str, int]  # leaders per town code
    roles: dict[SourceRole, int]
    nominated: tuple[str, str]  # window of the nominations
    enrolled: str  # the day the nominees were enrolled
    withdrawals: tuple[Withdrawal, ...]
    sessions: tuple[SessionPlan, ...]
    late_nominations: int = 0  # nominated recently, not enrolled yet
    late_window: tuple[str, str] = ("", "")
    demo_account: bool = False
    # The year is inferred (the report says "去年"): shown as 待核实 until someone confirms it.
    year_unverified: bool = False
    min_attendance_share: Decimal = Decimal("0.800")
    min_hours: Decimal = Decimal("30.0")


# Venues of the plans, by the short names the tables below use.
VENUES = {
    "大厅": "平湖市社会组织服务中心多功能厅",
    "督导室": "平湖市社会工作服务指导中心督导室",
    "训练营": "广陈镇社会组织服务平台培训室",
    "杭州": "杭州市上城区湖滨街道（平湖市民政局门口集合出发）",
    "桐乡": "桐乡市高桥街道越丰村（平湖市民政局门口集合出发）",
}


def _plan(table: str) -> tuple[SessionPlan, ...]:
    """A training plan written one session a line: `type 必修|选修 start hours capacity | title |
    venue` (a key of VENUES, or the venue itself). Denser to read and check than constructor calls."""
    sessions = []
    for line in table.strip().splitlines():
        head, title, venue = (part.strip() for part in line.split("|"))
        kind, need, day, clock, hours, capacity = head.split()
        starts = f"{day} {clock}"
        venue = VENUES.get(venue, venue)
        if SessionType[kind] is SessionType.CASE_COACHING:
            sessions.extend(_appointments(need == "必修", starts, hours, int(capacity), title, venue))
            continue
        sessions.append(
            SessionPlan(SessionType[kind], need == "必修", starts, hours, int(capacity), title, venue)
        )
    return tuple(sessions)


APPOINTMENTS_PER_AFTERNOON = 2
APPOINTMENT_GAP = timedelta(minutes=10)


def _appointments(
    required: bool, starts: str, hours: str, count: int, title: str, venue: str
) -> list[SessionPlan]:
    """个案辅导增能 is one-to-one: a coaching round for `count` leaders is `count` appointments of
    one seat each, two an afternoon from the round's first day."""
    first = datetime.strptime(starts, "%Y-%m-%d %H:%M")
    length = timedelta(hours=float(hours)) + APPOINTMENT_GAP
    slots = []
    for k in range(count):
        day, turn = divmod(k, APPOINTMENTS_PER_AFTERNOON)
        at = first + timedelta(days=day) + turn * length
        slots.append(
            SessionPlan(
                SessionType.CASE_COACHING,
                required,
                at.strftime("%Y-%m-%d %H:%M"),
                hours,
                1,
                f"{title}·一对一预约{k + 1}",
                venue,
            )
        )
    return slots


FIRST_SESSIONS = _plan("""
WORKSHOP       必修 2019-04-13 09:00 3.0 45 | 首期开班仪式暨“微领袖”角色认知工作坊 | 大厅
GROUP_COACHING 必修 2019-04-27 09:00 3.0 45 | 小组团队辅导：居民骨干的沟通与动员 | 当湖街道党群服务中心
WORKSHOP       必修 2019-05-18 09:00 3.0 45 | 社区议事规则工作坊 | 启元社区居民会客厅
CASE_COACHING  选修 2019-05-25 14:00 1.5  8 | 个案辅导增能：个人领导力评估与反馈（第1场） | 督导室
STUDY_VISIT    必修 2019-06-15 08:00 6.0 45 | 赴杭州市上城区参访社区治理创新 | 杭州
CASE_COACHING  选修 2019-06-22 14:00 1.5  8 | 个案辅导增能：个人领导力评估与反馈（第2场） | 督导室
GROUP_COACHING 必修 2019-07-13 09:00 3.0 45 | 小组团队辅导：如何组建居民自治小组 | 乍浦镇天妃社区民情茶室
WORKSHOP       选修 2019-07-27 14:00 3.0 25 | 主题工作坊：社区社会组织培育与公益创投申报 | 大厅
WORKSHOP       必修 2019-08-17 09:00 3.0 45 | 邻里纠纷调解技巧工作坊 | 钟埭街道党群服务中心
CASE_COACHING  选修 2019-08-24 14:00 1.5  8 | 个案辅导增能：社区问题诊断一对一督导（第1场） | 督导室
WORKSHOP       选修 2019-08-31 09:00 3.0 30 | 主题工作坊：垃圾分类入户宣传与动员 | 新埭镇社会组织服务平台
GROUP_COACHING 选修 2019-09-07 14:00 3.0 20 | 小组团队辅导：志愿者团队的招募与激励 | 新仓镇党群服务中心
STUDY_VISIT    必修 2019-09-21 08:00 6.0 45 | 赴桐乡市参访“三治融合”实践 | 桐乡
CASE_COACHING  选修 2019-09-28 14:00 1.5  8 | 个案辅导增能：社区问题诊断一对一督导（第2场） | 督导室
BOOTCAMP       必修 2019-10-19 08:30 6.0 45 | “微领袖”实务能力训练营（一）：社区需求调研 | 训练营
BOOTCAMP       必修 2019-10-20 08:30 6.0 45 | “微领袖”实务能力训练营（二）：微治理项目设计 | 训练营
WORKSHOP       必修 2019-11-23 09:00 3.0 45 | 首期结业汇报暨微治理项目分享会 | 大厅
""")

# Six of the ten required sessions are past at SEED_NOW: 60% < 80%, so nobody is certified yet.
SECOND_SESSIONS = _plan("""
WORKSHOP       必修 2026-05-09 09:00 3.0 45 | 第二期开班仪式暨“微领袖”角色认知工作坊 | 大厅
GROUP_COACHING 必修 2026-05-23 09:00 3.0 45 | 小组团队辅导：居民议事会的组织与主持 | 钟埭街道党群服务中心
WORKSHOP       必修 2026-06-13 09:00 3.0 45 | “民情茶室”议事协商实务工作坊 | 独山港镇前进村居民会客厅
CASE_COACHING  选修 2026-06-27 14:00 1.5  8 | 个案辅导增能：个人领导力评估与反馈（第1场） | 督导室
STUDY_VISIT    必修 2026-07-11 08:00 6.0 45 | 赴杭州市上城区参访社区治理创新 | 杭州
WORKSHOP       选修 2026-08-08 14:00 3.0 25 | 主题工作坊：社区安全隐患排查与台风防御 | 天妃社区党群服务中心
CASE_COACHING  选修 2026-08-22 14:00 1.5  8 | 个案辅导增能：个人领导力评估与反馈（第2场） | 督导室
WORKSHOP       必修 2026-09-12 09:00 3.0 45 | 邻里纠纷调解与“枫桥经验”工作坊 | 新埭镇社会组织服务平台
GROUP_COACHING 选修 2026-09-26 14:00 3.0 20 | 小组团队辅导：志愿服务队伍建设 | 林埭镇党群服务中心
STUDY_VISIT    必修 2026-10-24 08:00 6.0 45 | 赴桐乡市参访“三治融合”实践 | 桐乡
CASE_COACHING  选修 2026-11-07 14:00 1.5  8 | 个案辅导增能：社区问题诊断一对一督导（第1场） | 督导室
BOOTCAMP       必修 2026-12-05 08:30 6.0 45 | “微领袖”实务能力训练营（一）：社区需求调研 | 训练营
BOOTCAMP       必修 2026-12-06 08:30 6.0 45 | “微领袖”实务能力训练营（二）：微治理项目设计 | 训练营
CASE_COACHING  选修 2026-12-12 14:00 1.5  8 | 个案辅导增能：社区问题诊断一对一督导（第2场） | 督导室
GROUP_COACHING 必修 2026-12-19 09:00 3.0 45 | 小组团队辅导：邻里互助小组的培育与维系 | 新仓镇党群服务中心
WORKSHOP       选修 2026-12-26 14:00 3.0 25 | 主题工作坊：公益创投项目申报书写作 | 大厅
WORKSHOP       必修 2027-01-16 09:00 3.0 45 | 第二期结业汇报暨微治理项目分享会 | 大厅
""")


def _per_town(counts: str) -> dict[str, int]:
    """Leaders per town, written in the order of `pinghu.TOWNS`."""
    return {town.code: int(n) for town, n in zip(pinghu.TOWNS, counts.split(), strict=True)}


COHORTS: tuple[CohortPlan, ...] = (
    CohortPlan(
        name="首期",
        year=2019,
        year_unverified=True,
        towns=_per_town("6 4 4 5 4 4 4 3 4"),
        roles={SourceRole.MICRO_GRID_HEAD: 15, SourceRole.GROUP_LEADER: 14, SourceRole.ORG_LEADER: 9},
        nominated=("2019-03-04", "2019-03-22"),
        enrolled="2019-04-08",
        withdrawals=(
            Withdrawal("2019-06-20", "因身体原因申请退出培训"),
            Withdrawal("2019-09-10", "工作调动至外地，无法继续参加培训"),
        ),
        sessions=FIRST_SESSIONS,
    ),
    CohortPlan(
        name="第二期",
        year=2026,
        towns=_per_town("6 5 4 5 4 4 4 4 4"),
        roles={SourceRole.MICRO_GRID_HEAD: 16, SourceRole.GROUP_LEADER: 14, SourceRole.ORG_LEADER: 10},
        nominated=("2026-03-09", "2026-04-10"),
        enrolled="2026-04-27",
        withdrawals=(Withdrawal("2026-08-18", "家中老人需长期照护，本人申请退出本期培训"),),
        sessions=SECOND_SESSIONS,
        late_nominations=5,
        late_window=("2026-10-12", "2026-11-20"),
        demo_account=True,
    ),
)


# --- the report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeaderSeedReport:
    """What one load of the leader seeds inserted; nothing when both cohorts are present."""

    cohorts: tuple[str, ...] = ()
    leaders: int = 0
    people: int = 0
    sessions: int = 0
    enrolments: int = 0
    attendance: int = 0
    demo_account: str | None = None  # the username linked to a leader, if any

    @property
    def inserted(self) -> int:
        counts = (self.leaders, self.people, self.sessions, self.enrolments, self.attendance)
        return len(self.cohorts) + sum(counts)

    def __str__(self) -> str:
        if not self.cohorts:
            return "leader seeds: every cohort present"
        linked = f"; {self.demo_account} is one of them" if self.demo_account else ""
        return (
            f"leader seeds inserted: cohorts {'、'.join(self.cohorts)}; {self.leaders} micro-leaders "
            f"({self.people} demo people); {self.sessions} training sessions, {self.enrolments} enrolments, "
            f"{self.attendance} attendance rows{linked}"
        )

    def __add__(self, other: LeaderSeedReport) -> LeaderSeedReport:
        return LeaderSeedReport(
            self.cohorts + other.cohorts,
            self.leaders + other.leaders,
            self.people + other.people,
            self.sessions + other.sessions,
            self.enrolments + other.enrolments,
            self.attendance + other.attendance,
            self.demo_account or other.demo_account,
        )


# --- the pure plan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CellRow:
    id: int
    code: str
    path: str
    kind: GridKind
    head_id: int | None

    @property
    def town_code(self) -> str:
        return self.code[:9]


@dataclass
class LeaderDraft:
    person: SeedPerson
    role: SourceRole
    cell: CellRow
    status: LeaderStatus
    nominated_at: datetime
    enrolled_at: datetime | None = None
    withdrawn_at: datetime | None = None
    reason: str | None = None
    demo_account: bool = False
    certified_at: datetime | None = None


@dataclass(frozen=True)
class EnrolmentDraft:
    session: int  # index in the plan's sessions
    leader: int  # index in the cohort's leaders
    enrolled_at: datetime
    cancelled_at: datetime | None


@dataclass
class CohortDraft:
    plan: CohortPlan
    leaders: list[LeaderDraft]
    facilitators: list[str]
    enrolments: list[EnrolmentDraft] = field(default_factory=list)
    attendance: dict[tuple[int, int], datetime] = field(default_factory=dict)  # (session, leader)


def plan_cohorts(seed: int, cells: Sequence[CellRow]) -> list[CohortDraft]:
    """Both cohorts for `seed` over the loaded tree: pure, so the same tree gives the same rows."""
    rng = random.Random(f"{seed}:leaders")
    catalogue = _catalogue(cells)
    people = _People(rng)
    facilitators = _facilitators(rng, people)
    taken: set[int] = set()
    drafts = []
    for plan in COHORTS:
        leaders = _leaders(rng, plan, catalogue, people, taken)
        draft = CohortDraft(plan, leaders, [rng.choice(facilitators) for _ in plan.sessions])
        _train(rng, draft)
        drafts.append(draft)
    return drafts


def _catalogue(cells: Iterable[CellRow]) -> dict[tuple[str, GridKind], list[CellRow]]:
    by_town_kind: dict[tuple[str, GridKind], list[CellRow]] = defaultdict(list)
    for cell in sorted(cells, key=lambda c: c.code):
        by_town_kind[cell.town_code, cell.kind].append(cell)
    return by_town_kind


def _facilitators(rng: random.Random, people: _People) -> list[str]:
    return [f"{people.name()}（{title}）" for title in FACILITATOR_TITLES]


def _leaders(
    rng: random.Random,
    plan: CohortPlan,
    catalogue: dict[tuple[str, GridKind], list[CellRow]],
    people: _People,
    taken: set[int],
) -> list[LeaderDraft]:
    towns = dict(plan.towns)
    roles = dict(plan.roles)
    leaders: list[LeaderDraft] = []
    if plan.demo_account:
        leaders.append(_demo_slot(rng, plan, catalogue, people, taken))
        towns[DEMO_LEADER_TOWN] -= 1
        roles[SourceRole.GROUP_LEADER] -= 1
    slots = [town for town, count in towns.items() for _ in range(count)]
    role_list = [role for role, count in roles.items() for _ in range(count)]
    rng.shuffle(role_list)
    for town, role in zip(slots, role_list, strict=True):
        cell = _home_cell(rng, catalogue, town, role, taken)
        leaders.append(
            LeaderDraft(people.next(), role, cell, LeaderStatus.ENROLLED, _day(rng, *plan.nominated))
        )
    _set_statuses(rng, plan, leaders)
    return leaders


def _demo_slot(
    rng: random.Random,
    plan: CohortPlan,
    catalogue: dict[tuple[str, GridKind], list[CellRow]],
    people: _People,
    taken: set[int],
) -> LeaderDraft:
    grids = catalogue[DEMO_LEADER_TOWN, GridKind.GRID]
    cell = next((c for c in grids if c.code == DEMO_LEADER_CELL and c.id not in taken), None)
    if cell is None:
        cell = _home_cell(rng, catalogue, DEMO_LEADER_TOWN, SourceRole.GROUP_LEADER, taken)
    taken.add(cell.id)
    nominated = _day(rng, *plan.nominated)
    return LeaderDraft(
        people.next(), SourceRole.GROUP_LEADER, cell, LeaderStatus.ENROLLED, nominated, demo_account=True
    )


def _home_cell(
    rng: random.Random,
    catalogue: dict[tuple[str, GridKind], list[CellRow]],
    town: str,
    role: SourceRole,
    taken: set[int],
) -> CellRow:
    """A cell of the role's kind in the town, not yet any leader's home."""
    candidates = [
        c for kind in HOME_KINDS[role] for c in catalogue.get((town, kind), []) if c.id not in taken
    ]
    if not candidates:
        raise LookupError(f"微领袖种子找不到 {town} 的{role.label}所属网格（请先加载网格种子）")
    cell = rng.choice(candidates)
    taken.add(cell.id)
    return cell


def _set_statuses(rng: random.Random, plan: CohortPlan, leaders: list[LeaderDraft]) -> None:
    """Enrol everyone, then pick the withdrawals and the late nominations among the ordinary slots;
    in a finished cohort the rest are certified later, from their attendance."""
    enrolled_at = _at(plan.enrolled, "09:30")
    ordinary = [i for i, leader in enumerate(leaders) if not leader.demo_account]
    chosen = rng.sample(ordinary, len(plan.withdrawals) + plan.late_nominations)
    for leader in leaders:
        leader.enrolled_at = enrolled_at
    for index, withdrawal in zip(chosen, plan.withdrawals, strict=False):
        leaders[index].status = LeaderStatus.WITHDRAWN
        leaders[index].withdrawn_at = _at(
            withdrawal.day, f"{rng.randint(9, 16)}:{rng.choice(['00', '20', '40'])}"
        )
        leaders[index].reason = withdrawal.reason
    for index in chosen[len(plan.withdrawals) :]:
        leaders[index].status = LeaderStatus.NOMINATED
        leaders[index].nominated_at = _day(rng, *plan.late_window)
        leaders[index].enrolled_at = None


def _train(rng: random.Random, draft: CohortDraft) -> None:
    """Enrolments for every enrolled leader (required sessions all, electives by interest up to
    capacity), attendance at past sessions, and certification where the rule is met."""
    sessions = draft.plan.sessions
    for s, session in enumerate(sessions):
        for leader_index in _enrolled_in(rng, draft, session):
            leader = draft.leaders[leader_index]
            assert leader.enrolled_at is not None
            enrolled_at = leader.enrolled_at
            if not session.required:
                enrolled_at = max(
                    enrolled_at, session.starts_at - timedelta(days=rng.randint(3, 10), hours=2)
                )
            cancelled = leader.withdrawn_at if _withdrawn_before(leader, session.starts_at) else None
            draft.enrolments.append(EnrolmentDraft(s, leader_index, enrolled_at, cancelled))
            if cancelled is None and session.ends_at <= SEED_NOW:
                share = PRESENT_REQUIRED if session.required else PRESENT_ELECTIVE
                if rng.random() < share:
                    draft.attendance[s, leader_index] = _check_in(rng, session)
    if all(session.ends_at <= SEED_NOW for session in sessions):
        _certify(rng, draft)


def _enrolled_in(rng: random.Random, draft: CohortDraft, session: SessionPlan) -> list[int]:
    """Leaders enrolled in the session: everyone in training for a required one; for an elective,
    the interested among those still in training when it was announced, up to capacity."""
    training = [i for i, leader in enumerate(draft.leaders) if leader.enrolled_at is not None]
    if session.required:
        return training
    announced = session.starts_at - timedelta(days=10)
    open_to = [i for i in training if not _withdrawn_before(draft.leaders[i], announced)]
    rng.shuffle(open_to)
    interested = [i for i in open_to if rng.random() < ELECTIVE_INTEREST]
    return sorted(interested[: session.capacity])


def _withdrawn_before(leader: LeaderDraft, moment: datetime) -> bool:
    return leader.withdrawn_at is not None and leader.withdrawn_at < moment


def _check_in(rng: random.Random, session: SessionPlan) -> datetime:
    return session.starts_at + timedelta(minutes=rng.randint(-20, 10))


def _certify(rng: random.Random, draft: CohortDraft) -> None:
    """Every leader still enrolled at the end is certified: absences at required sessions are made
    up (in plan order) until the rule holds, and `certified_at` is the check-in that met it."""
    sessions = draft.plan.sessions
    for index, leader in enumerate(draft.leaders):
        if leader.status is not LeaderStatus.ENROLLED:
            continue
        for s, session in enumerate(sessions):
            if meets_rule(draft.plan, _attended(draft, index)):
                break
            if session.required and (s, index) not in draft.attendance:
                draft.attendance[s, index] = _check_in(rng, session)
        leader.status = LeaderStatus.CERTIFIED
        leader.certified_at = _first_met(draft, index)


def _attended(draft: CohortDraft, leader: int) -> list[SessionPlan]:
    return [session for s, session in enumerate(draft.plan.sessions) if (s, leader) in draft.attendance]


def _first_met(draft: CohortDraft, leader: int) -> datetime:
    attended: list[SessionPlan] = []
    for s, session in enumerate(draft.plan.sessions):
        if (s, leader) in draft.attendance:
            attended.append(session)
            if meets_rule(draft.plan, attended):
                return draft.attendance[s, leader]
    raise AssertionError("a certified leader must meet the rule")


def meets_rule(plan: CohortPlan, attended: Sequence[SessionPlan]) -> bool:
    """The cohort's completion rule over the sessions a leader attended."""
    required = sum(1 for session in plan.sessions if session.required)
    share = Decimal(sum(1 for session in attended if session.required)) / required
    hours = sum((Decimal(session.hours) for session in attended), Decimal(0))
    return share >= plan.min_attendance_share and hours >= plan.min_hours


def _day(rng: random.Random, first: str, last: str) -> datetime:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    day = start + timedelta(days=rng.randint(0, (end - start).days))
    return datetime.combine(day, time(rng.randint(9, 16), rng.choice((0, 15, 30, 45))), SHANGHAI)


def _at(day: str, clock: str) -> datetime:
    return datetime.strptime(f"{day} {clock}", "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)


class _People:
    """Demo names and distinct, well-formed mobiles, as `seeds.generate` makes its grid heads."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._mobiles: set[str] = set()

    def name(self) -> str:
        return self._rng.choice(SURNAMES) + self._rng.choice(GIVEN_NAMES)

    def next(self) -> SeedPerson:
        name = self.name()
        mobile = self.mobile()
        while mobile in self._mobiles:
            mobile = self.mobile()
        self._mobiles.add(mobile)
        return SeedPerson(name, mobile)

    def mobile(self) -> str:
        return f"1{self._rng.choice(MOBILE_SECOND_DIGITS)}{self._rng.randrange(10**9):09d}"


# --- the loader --------------------------------------------------------------------------------


async def load_leader_seeds(*, seed: int = DEFAULT_SEED) -> LeaderSeedReport:
    """Insert each demo cohort that is missing, with its leaders, people, plan, enrolment and
    attendance, in one transaction. Needs the grid tree (and links `demo.leader` when present)."""
    names = [plan.name for plan in COHORTS]
    present = {
        str(name) for name in await Cohort.filter(name__in=names, is_demo=True).values_list("name", flat=True)
    }
    if present >= set(names):
        return LeaderSeedReport()
    cells = await home_cells()
    if not cells:
        raise LookupError("微领袖种子需要网格树（请先加载网格种子）")
    drafts = [d for d in plan_cohorts(seed, cells) if d.plan.name not in present]
    demo_person = await _demo_leader_person()
    report = LeaderSeedReport()
    async with in_transaction():
        for draft in drafts:
            report += await _insert_cohort(draft, demo_person)
    return report


async def home_cells() -> list[CellRow]:
    """Every cell a leader can call home (village level and below), in one read."""
    rows = await GridCell.filter(
        kind__in=[GridKind.COMMUNITY, GridKind.VILLAGE, GridKind.GRID, GridKind.MICRO_GRID], retired=False
    ).values_list("id", "code", "path", "kind", "head_id")
    return [CellRow(cell_id, code, path, GridKind(kind), head) for cell_id, code, path, kind, head in rows]


async def _demo_leader_person() -> int | None:
    """The person of the demo leader account, unless that username belongs to a real user or the
    person already leads in an active cohort (a person is in at most one)."""
    found = await User.filter(username=DEMO_LEADER_USERNAME, is_demo=True).values_list("person_id")
    if not found:
        return None
    person_id: int = found[0][0]
    active = [LeaderStatus.NOMINATED, LeaderStatus.ENROLLED]
    if await MicroLeader.filter(person_id=person_id, status__in=active).exists():
        return None
    return person_id


async def _insert_cohort(draft: CohortDraft, demo_person: int | None) -> LeaderSeedReport:
    plan = draft.plan
    cohort = await Cohort.create(
        name=plan.name,
        year=plan.year,
        year_unverified=plan.year_unverified,
        min_attendance_share=plan.min_attendance_share,
        min_hours=plan.min_hours,
        is_demo=True,
    )
    linked = demo_person if plan.demo_account else None
    people = await _insert_people([ld.person for ld in draft.leaders if not (ld.demo_account and linked)])
    person_ids = [linked if ld.demo_account and linked else people[ld.person.mobile] for ld in draft.leaders]
    leader_ids = await _insert_leaders(cohort.id, draft.leaders, person_ids)
    await _head_micro_grids(draft.leaders, person_ids)
    session_ids = await _insert_sessions(cohort.id, draft)
    await Enrolment.bulk_create(
        [
            Enrolment(
                session_id=session_ids[e.session],
                leader_id=leader_ids[e.leader],
                status=EnrolmentStatus.CANCELLED if e.cancelled_at else EnrolmentStatus.ENROLLED,
                enrolled_at=e.enrolled_at,
                cancelled_at=e.cancelled_at,
            )
            for e in draft.enrolments
        ],
        batch_size=INSERT_BATCH,
    )
    await Attendance.bulk_create(
        [
            Attendance(
                session_id=session_ids[s], leader_id=leader_ids[leader], present=True, checked_in_at=at
            )
            for (s, leader), at in sorted(draft.attendance.items())
        ],
        batch_size=INSERT_BATCH,
    )
    await _insert_certificates(cohort, draft.leaders, leader_ids)
    return LeaderSeedReport(
        cohorts=(plan.name,),
        leaders=len(draft.leaders),
        people=len(people),
        sessions=len(session_ids),
        enrolments=len(draft.enrolments),
        attendance=len(draft.attendance),
        demo_account=DEMO_LEADER_USERNAME if linked else None,
    )


async def _insert_certificates(
    cohort: Cohort, leaders: Sequence[LeaderDraft], leader_ids: Sequence[int]
) -> None:
    """Every certified leader's 结业证书, numbered in the order they met the rule, dated that day;
    the year's sequence continues after them."""
    certified = sorted(
        (leader.certified_at, leader_id)
        for leader, leader_id in zip(leaders, leader_ids, strict=True)
        if leader.certified_at is not None
    )
    if not certified:
        return
    sequence = await CertificateSequence.get_or_none(year=cohort.year)
    before = sequence.last_number if sequence else 0
    await Certificate.bulk_create(
        [
            Certificate(
                leader_id=leader_id,
                cohort_id=cohort.id,
                number=f"{CERTIFICATE_PREFIX}-{cohort.year}-{n:04d}",
                issued_on=shanghai_date(at),
                automatic=True,
                is_demo=True,
            )
            for n, (at, leader_id) in enumerate(certified, start=before + 1)
        ],
        batch_size=INSERT_BATCH,
    )
    if sequence is None:
        await CertificateSequence.create(year=cohort.year, last_number=len(certified))
    else:
        sequence.last_number = before + len(certified)
        await sequence.save(update_fields=["last_number"])


async def _insert_people(people: Sequence[SeedPerson]) -> dict[str, int]:
    """Insert the demo people; id by mobile (distinct within the plan; the newest demo row wins,
    as in the grid loader)."""
    await Person.bulk_create(
        [Person(name=p.name, mobile=p.mobile, is_demo=True) for p in people], batch_size=INSERT_BATCH
    )
    mobiles = [p.mobile for p in people]
    ids: dict[str, int] = {}
    for start in range(0, len(mobiles), READ_CHUNK):
        rows = (
            await Person.filter(mobile__in=mobiles[start : start + READ_CHUNK], is_demo=True)
            .order_by("id")
            .values_list("id", "mobile")
        )
        ids.update({mobile: person_id for person_id, mobile in rows})
    return ids


async def _insert_leaders(
    cohort_id: int, leaders: Sequence[LeaderDraft], person_ids: Sequence[int]
) -> list[int]:
    """Insert the cohort's leaders; their ids, in draft order, read back by person."""
    await MicroLeader.bulk_create(
        [
            MicroLeader(
                person_id=person_id,
                cohort_id=cohort_id,
                home_cell_id=leader.cell.id,
                home_path=leader.cell.path,
                source_role=leader.role,
                status=leader.status,
                nominated_at=leader.nominated_at,
                enrolled_at=leader.enrolled_at,
                certified_at=leader.certified_at,
                withdrawn_at=leader.withdrawn_at,
                status_reason=leader.reason,
                is_demo=True,
            )
            for leader, person_id in zip(leaders, person_ids, strict=True)
        ],
        batch_size=INSERT_BATCH,
    )
    rows = await MicroLeader.filter(cohort_id=cohort_id).values_list("person_id", "id")
    by_person: dict[int, int] = dict(rows)
    return [by_person[person_id] for person_id in person_ids]


async def _insert_sessions(cohort_id: int, draft: CohortDraft) -> list[int]:
    """Insert the plan; ids in plan order, read back by title (unique within a plan)."""
    enrolled: dict[int, int] = defaultdict(int)
    for e in draft.enrolments:
        if e.cancelled_at is None:
            enrolled[e.session] += 1
    await TrainingSession.bulk_create(
        [
            TrainingSession(
                cohort_id=cohort_id,
                session_type=session.session_type,
                title=session.title,
                starts_at=session.starts_at,
                ends_at=session.ends_at,
                venue=session.venue,
                facilitator=facilitator,
                capacity=session.capacity,
                enrolled_count=enrolled[s],
                hours=Decimal(session.hours),
                required=session.required,
                is_demo=True,
            )
            for s, (session, facilitator) in enumerate(
                zip(draft.plan.sessions, draft.facilitators, strict=True)
            )
        ],
        batch_size=INSERT_BATCH,
    )
    rows = await TrainingSession.filter(cohort_id=cohort_id).values_list("title", "id")
    by_title: dict[str, int] = dict(rows)
    return [by_title[session.title] for session in draft.plan.sessions]


async def _head_micro_grids(leaders: Sequence[LeaderDraft], person_ids: Sequence[int]) -> None:
    """A 微网格长 heads their micro-grid: record them as its head where it has none."""
    heads = {
        leader.cell.id: person_id
        for leader, person_id in zip(leaders, person_ids, strict=True)
        if leader.role is SourceRole.MICRO_GRID_HEAD and leader.cell.head_id is None
    }
    if not heads:
        return
    cells = await GridCell.filter(id__in=sorted(heads))
    for cell in cells:
        cell.head_id = heads[cell.id]
    await GridCell.bulk_update(cells, fields=["head_id"], batch_size=UPDATE_BATCH)
