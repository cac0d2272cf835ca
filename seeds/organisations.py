"""Demo organisations and social work, reproducing the report's headline figures exactly: 560
registered organisations (24 of them private social-work agencies) and 1,989 filed community
organisations over the nine real towns, 2,300 certified social workers, 32 supervisors, a
social-work station per town, and a year of supervision records.

Everything here is generated demo data (`is_demo`, shown as 演示数据), and nothing borrows a real
organisation's name or code:
- names are a sexagenary term (甲子 ... 癸亥), an invented word and a suffix by field, e.g.
  庚辰和鸣合唱团, never a place name;
- credit codes carry `MJDM` (demo) where a real code has its organisation code, with a correct
  check digit, so they pass validation but cannot be a real body's code; filing numbers and
  certificate numbers start with `YS`.
The stations are named after their (real) towns: the report says every town has one; their
operators and dates are generated.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from stdnum.cn import uscc as stdnum_uscc
from tortoise.transactions import in_transaction

from domain.access import Role
from domain.accounts.models import RoleAssignment, User
from domain.grids.codes import GridKind
from domain.grids.models import GridCell, path_ids
from domain.organisations.models import (
    AnnualReport,
    LegalForm,
    MemberRole,
    Organisation,
    OrganisationMember,
    OrgField,
    OrgStatus,
    Rating,
    RatingRecord,
    ReportStatus,
    Sanction,
    SanctionList,
    rating_valid_until,
)
from domain.people.models import Person
from domain.socialwork.models import (
    CertificateLevel,
    Placement,
    SocialWorker,
    Station,
    Supervisee,
    SupervisionForm,
    SupervisionRecord,
    SupervisorLevel,
)
from seeds import pinghu
from seeds.generate import CYCLE, DEFAULT_SEED, GIVEN_NAMES, MOBILE_SECOND_DIGITS, SURNAMES

INSERT_BATCH = 1000
READ_CHUNK = 500
REGISTERED = 560
FILED = 1989
AGENCIES = 24
SOCIAL_WORKERS = 2300
SUPERVISORS = {SupervisorLevel.SUPERVISOR: 8, SupervisorLevel.TRAINEE: 12, SupervisorLevel.ASSISTANT: 12}
# Registered organisations by legal form (the report gives only the total); agencies are among
# the service institutions.
REGISTERED_FORMS = {LegalForm.SOCIAL_GROUP: 250, LegalForm.SERVICE_INSTITUTION: 292, LegalForm.FOUNDATION: 18}
TODAY = date(2026, 11, 30)  # the demo's "now" for history: a fixed day keeps the seeds reproducible

WORDS = tuple(
    [
        "和鸣",
        "乐群",
        "同心",
        "暖阳",
        "善邻",
        "映月",
        "清风",
        "晨曦",
        "青禾",
        "知行",
        "守望",
        "携手",
        "春晖",
        "安和",
        "益众",
        "睦邻",
        "欣然",
        "仁和",
        "众合",
        "聚力",
        "远航",
        "微光",
        "启明",
        "合悦",
    ]
)
SUFFIXES: dict[tuple[LegalForm, OrgField], tuple[str, ...]] = {
    (LegalForm.SOCIAL_GROUP, OrgField.CULTURE_SPORTS): ("文化促进会", "体育协会"),
    (LegalForm.SOCIAL_GROUP, OrgField.CHARITY): ("志愿者协会", "慈善联合会"),
    (LegalForm.SOCIAL_GROUP, OrgField.MUTUAL_AID): ("互助协会",),
    (LegalForm.SOCIAL_GROUP, OrgField.MEDIATION): ("调解协会",),
    (LegalForm.SERVICE_INSTITUTION, OrgField.LIFE_SERVICE): ("养老服务中心", "便民服务中心"),
    (LegalForm.SERVICE_INSTITUTION, OrgField.CHARITY): ("公益服务中心",),
    (LegalForm.SERVICE_INSTITUTION, OrgField.CULTURE_SPORTS): ("文化发展中心",),
    (LegalForm.SERVICE_INSTITUTION, OrgField.SOCIAL_WORK): ("社会工作服务中心",),
    (LegalForm.FOUNDATION, OrgField.CHARITY): ("公益基金会",),
    (LegalForm.COMMUNITY_GROUP, OrgField.CULTURE_SPORTS): (
        "舞蹈队",
        "合唱团",
        "书画社",
        "太极拳队",
        "戏曲社",
    ),
    (LegalForm.COMMUNITY_GROUP, OrgField.CHARITY): ("志愿服务队", "爱心驿站"),
    (LegalForm.COMMUNITY_GROUP, OrgField.LIFE_SERVICE): ("便民服务队", "助老服务队"),
    (LegalForm.COMMUNITY_GROUP, OrgField.MUTUAL_AID): ("邻里互助会", "互助小组"),
    (LegalForm.COMMUNITY_GROUP, OrgField.MEDIATION): ("和事佬调解室",),
}


@dataclass
class OrgDraft:
    name: str
    legal_form: LegalForm
    field: OrgField
    status: OrgStatus
    town_code: str
    unit_index: int  # which unit of the town is home (community groups file with their unit)
    founded_on: date
    uscc: str | None = None
    filing_number: str | None = None
    social_work: bool = False
    contact: tuple[str, str] = ("", "")
    rating: tuple[Rating, date] | None = None
    sanction: tuple[SanctionList, date, date | None] | None = None
    reports: tuple[tuple[int, ReportStatus], ...] = ()


@dataclass(frozen=True)
class OrganisationSeedReport:
    organisations: int = 0
    social_workers: int = 0
    supervisions: int = 0

    @property
    def inserted(self) -> int:
        return self.organisations + self.social_workers + self.supervisions

    def __str__(self) -> str:
        counts = f"社会组织 {self.organisations} 家，社工 {self.social_workers} 人"
        return f"{counts}，督导记录 {self.supervisions} 条（演示数据）"


@dataclass
class _Names:
    """Distinct invented names and mobile numbers for one load."""

    rng: random.Random
    used: set[str] = field(default_factory=set)
    mobiles: set[str] = field(default_factory=set)

    def organisation(self, form: LegalForm, org_field: OrgField) -> str:
        suffixes = SUFFIXES[(form, org_field)]
        while True:
            name = self.rng.choice(CYCLE) + self.rng.choice(WORDS) + self.rng.choice(suffixes)
            if name not in self.used:
                self.used.add(name)
                return name

    def person(self) -> tuple[str, str]:
        mobile = ""
        while not mobile or mobile in self.mobiles:
            mobile = f"1{self.rng.choice(MOBILE_SECOND_DIGITS)}{self.rng.randrange(10**9):09d}"
        self.mobiles.add(mobile)
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_NAMES), mobile


def demo_uscc(kind: str, serial: int) -> str:
    """A well-formed civil-affairs code that no real body holds (`MJDM` + five digits)."""
    base = f"5{kind}{pinghu.CITY.code}MJDM{serial:05d}"
    return base + stdnum_uscc.calc_check_digit(base + "0")


def _spread(rng: random.Random, total: int, parts: int) -> list[int]:
    """`total` over `parts` towns, uneven like real towns, summing exactly."""
    weights = [rng.uniform(0.6, 1.6) for _ in range(parts)]
    shares = [int(total * w / sum(weights)) for w in weights]
    for i in range(total - sum(shares)):
        shares[i % parts] += 1
    return shares


def _history(rng: random.Random, draft: OrgDraft) -> None:
    """A rating for some registered organisations, a few sanction entries, annual reports."""
    if draft.status is OrgStatus.REGISTERED and rng.random() < 0.3:
        level = rng.choices([Rating.A5, Rating.A4, Rating.A3, Rating.A2], [1, 3, 5, 2])[0]
        draft.rating = (level, date(rng.randint(2019, 2025), rng.randint(1, 12), rng.randint(1, 28)))
    roll = rng.random()
    if roll < 0.006:
        listed = date(rng.randint(2022, 2026), rng.randint(1, 10), rng.randint(1, 28))
        lifted = listed + timedelta(days=rng.randint(90, 400)) if rng.random() < 0.5 else None
        draft.sanction = (SanctionList.ABNORMAL, listed, lifted if lifted and lifted < TODAY else None)
    elif roll < 0.008:
        draft.sanction = (SanctionList.DISHONEST, date(rng.randint(2023, 2025), 6, 1), None)
    if draft.status is OrgStatus.REGISTERED:
        first = max(draft.founded_on.year + 1, TODAY.year - 3)
        statuses = [
            ReportStatus.ACCEPTED,
            ReportStatus.ACCEPTED,
            ReportStatus.SUBMITTED,
            ReportStatus.RETURNED,
        ]
        draft.reports = tuple(
            (year, ReportStatus.ACCEPTED if year < TODAY.year - 1 else rng.choice(statuses))
            for year in range(first, TODAY.year)
        )


def plan_organisations(seed: int, units_per_town: dict[str, int]) -> list[OrgDraft]:
    """Every demo organisation, reproducible from `seed`."""
    rng = random.Random(seed * 7 + 14)
    names = _Names(rng)
    towns = [t.code for t in pinghu.TOWNS]
    drafts: list[OrgDraft] = []
    serial = 0
    agencies = AGENCIES
    for form, count in REGISTERED_FORMS.items():
        for town, n in zip(towns, _spread(rng, count, len(towns)), strict=True):
            for _ in range(n):
                serial += 1
                agency = form is LegalForm.SERVICE_INSTITUTION and agencies > 0
                agencies -= agency
                fields_of_form = [
                    f for f_form, f in SUFFIXES if f_form is form and f is not OrgField.SOCIAL_WORK
                ]
                org_field = OrgField.SOCIAL_WORK if agency else rng.choice(fields_of_form)
                drafts.append(
                    _registered(rng, names, form, org_field, town, units_per_town[town], serial, agency)
                )
    for town, n in zip(towns, _spread(rng, FILED, len(towns)), strict=True):
        for k in range(n):
            drafts.append(_filed(rng, names, town, units_per_town[town], k + 1))
    for draft in drafts:
        draft.contact = names.person()
        _history(rng, draft)
    return drafts


def _registered(
    rng: random.Random,
    names: _Names,
    form: LegalForm,
    org_field: OrgField,
    town: str,
    units: int,
    serial: int,
    agency: bool,
) -> OrgDraft:
    kind = {LegalForm.SOCIAL_GROUP: "1", LegalForm.SERVICE_INSTITUTION: "2", LegalForm.FOUNDATION: "3"}[form]
    return OrgDraft(
        name=names.organisation(form, org_field),
        legal_form=form,
        field=org_field,
        status=OrgStatus.REGISTERED,
        town_code=town,
        unit_index=rng.randrange(units) if units and rng.random() < 0.5 else -1,
        founded_on=date(rng.randint(2005, 2024), rng.randint(1, 12), rng.randint(1, 28)),
        uscc=demo_uscc(kind, serial),
        social_work=agency,
    )


def _filed(rng: random.Random, names: _Names, town: str, units: int, number: int) -> OrgDraft:
    org_field = rng.choices(
        [
            OrgField.CULTURE_SPORTS,
            OrgField.CHARITY,
            OrgField.LIFE_SERVICE,
            OrgField.MUTUAL_AID,
            OrgField.MEDIATION,
        ],
        [5, 3, 2, 3, 1],
    )[0]
    founded = date(rng.randint(2012, 2026), rng.randint(1, 10), rng.randint(1, 28))
    return OrgDraft(
        name=names.organisation(LegalForm.COMMUNITY_GROUP, org_field),
        legal_form=LegalForm.COMMUNITY_GROUP,
        field=org_field,
        status=OrgStatus.FILED,
        town_code=town,
        unit_index=rng.randrange(units) if units else -1,
        founded_on=founded,
        filing_number=f"YS-{town}-{founded.year}-{number:04d}",
    )


# --- loading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    town_id: int
    town_path: str
    units: list[tuple[int, str]]  # (id, path) of the town's communities and villages, by code


async def _places() -> dict[str, _Place]:
    towns = await GridCell.filter(kind=GridKind.TOWN, code__in=[t.code for t in pinghu.TOWNS]).values_list(
        "id", "code", "path"
    )
    units = (
        await GridCell.filter(
            kind__in=[GridKind.COMMUNITY, GridKind.VILLAGE], code__startswith=pinghu.CITY.code, retired=False
        )
        .order_by("code")
        .values_list("id", "code", "path")
    )
    places: dict[str, _Place] = {}
    for town_id, code, path in towns:
        mine = [(unit_id, unit_path) for unit_id, unit_code, unit_path in units if unit_code.startswith(code)]
        places[code] = _Place(town_id, path, mine)
    return places


async def _insert_people(people: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Demo people; id by mobile (distinct within a load, the newest demo row wins)."""
    await Person.bulk_create(
        [Person(name=n, mobile=m, is_demo=True) for n, m in people], batch_size=INSERT_BATCH
    )
    mobiles = [m for _, m in people]
    ids: dict[str, int] = {}
    for start in range(0, len(mobiles), READ_CHUNK):
        rows = (
            await Person.filter(mobile__in=mobiles[start : start + READ_CHUNK], is_demo=True)
            .order_by("id")
            .values_list("id", "mobile")
        )
        ids.update({mobile: person_id for person_id, mobile in rows})
    return ids


def _home(draft: OrgDraft, place: _Place) -> tuple[int, str]:
    if draft.unit_index >= 0 and place.units:
        return place.units[draft.unit_index % len(place.units)]
    return place.town_id, place.town_path


def _row(draft: OrgDraft, place: _Place, contact: int) -> Organisation:
    home_id, home_path = _home(draft, place)
    registered = draft.status is OrgStatus.REGISTERED
    rating = draft.rating
    until = rating_valid_until(rating[1]) if rating else None
    return Organisation(
        name=draft.name,
        legal_form=draft.legal_form,
        field=draft.field,
        status=draft.status,
        uscc=draft.uscc,
        filing_number=draft.filing_number,
        filing_cell_id=None if registered else home_id,
        home_cell_id=home_id,
        home_path=home_path,
        town_id=path_ids(home_path)[1],
        founded_on=draft.founded_on,
        registered_on=draft.founded_on if registered else None,
        filed_on=None if registered else draft.founded_on,
        social_work=draft.social_work,
        rating=rating[0] if rating else None,
        rating_valid_until=until,
        contact_id=contact,
        is_demo=True,
    )


async def _organisation_ids(drafts: Sequence[OrgDraft]) -> dict[str, int]:
    """Id by name (names are distinct among demo organisations)."""
    names = [d.name for d in drafts]
    ids: dict[str, int] = {}
    for start in range(0, len(names), READ_CHUNK):
        rows = await Organisation.filter(
            name__in=names[start : start + READ_CHUNK], is_demo=True
        ).values_list("id", "name")
        ids.update({name: org_id for org_id, name in rows})
    return ids


async def _insert_history(drafts: Sequence[OrgDraft], ids: dict[str, int], people: dict[str, int]) -> None:
    members: list[OrganisationMember] = []
    ratings: list[RatingRecord] = []
    sanctions: list[Sanction] = []
    reports: list[AnnualReport] = []
    for d in drafts:
        org = ids[d.name]
        members.append(
            OrganisationMember(
                organisation_id=org,
                person_id=people[d.contact[1]],
                role=MemberRole.CONTACT,
                started_on=d.founded_on,
                is_demo=True,
            )
        )
        if d.rating:
            level, rated_on = d.rating
            ratings.append(
                RatingRecord(
                    organisation_id=org,
                    level=level,
                    rated_on=rated_on,
                    valid_until=rating_valid_until(rated_on),
                    is_demo=True,
                )
            )
        if d.sanction:
            kind, listed, lifted = d.sanction
            sanctions.append(
                Sanction(
                    organisation_id=org,
                    list=kind,
                    reason="未按规定报送年度报告" if kind is SanctionList.ABNORMAL else "弄虚作假骗取资金",
                    source="平湖市民政局（演示）",
                    listed_on=listed,
                    removed_on=lifted,
                    removal_reason="已整改" if lifted else "",
                    is_demo=True,
                )
            )
        reports.extend(
            AnnualReport(
                organisation_id=org,
                year=year,
                status=status,
                submitted_on=date(year + 1, 4, 30),
                decided_on=None if status is ReportStatus.SUBMITTED else date(year + 1, 6, 15),
                note="财务报表不完整" if status is ReportStatus.RETURNED else "",
                is_demo=True,
            )
            for year, status in d.reports
        )
    await OrganisationMember.bulk_create(members, batch_size=INSERT_BATCH)
    await RatingRecord.bulk_create(ratings, batch_size=INSERT_BATCH)
    await Sanction.bulk_create(sanctions, batch_size=INSERT_BATCH)
    await AnnualReport.bulk_create(reports, batch_size=INSERT_BATCH)


# --- social work ---------------------------------------------------------------------------------

TOPICS = (
    "个案评估与服务计划",
    "老年人服务个案的风险研判",
    "小组工作的设计与带领",
    "社区走访中的伦理困境",
    "服务记录与文书规范",
    "困境儿童个案转介",
    "志愿者团队的激励与管理",
    "社工自我照顾与情绪疏导",
)


def _level(rng: random.Random) -> CertificateLevel:
    return rng.choices(list(CertificateLevel), [70, 28, 2])[0]


async def _insert_social_work(
    rng: random.Random, places: dict[str, _Place], agencies: list[tuple[int, str]]
) -> tuple[int, int]:
    """Stations, placements, workers (employers among the agencies), supervisors and a year of
    supervision. Returns (workers, supervision records)."""
    stations = [
        Station(
            name=f"{town.name}社会工作站",
            town_id=places[town.code].town_id,
            is_demo=True,
            operator_id=agencies[i % len(agencies)][0],
            opened_on=date(2021, 7, 1),
        )
        for i, town in enumerate(pinghu.TOWNS)
    ]
    await Station.bulk_create(stations)
    placements = []
    for agency_id, town_code in agencies:
        units = places[town_code].units
        for unit_id, _ in rng.sample(units, min(len(units), rng.randint(2, 5))):
            start = date(rng.randint(2019, 2025), rng.randint(1, 12), 1)
            placements.append(Placement(agency_id=agency_id, cell_id=unit_id, started_on=start, is_demo=True))
    await Placement.bulk_create(placements, batch_size=INSERT_BATCH)
    taken = await Person.filter(is_demo=True).values_list("mobile", flat=True)
    names = _Names(rng, mobiles={str(mobile) for mobile in taken})
    people = [names.person() for _ in range(SOCIAL_WORKERS)]
    ids = await _insert_people(people)
    levels = [lvl for lvl, n in SUPERVISORS.items() for _ in range(n)]
    workers = [
        SocialWorker(
            person_id=ids[mobile],
            level=CertificateLevel.SENIOR
            if i < 8
            else (CertificateLevel.INTERMEDIATE if i < len(levels) else _level(rng)),
            certificate_number=f"YS{2008 + i % 18}{i + 1:05d}",
            certificate_year=2008 + i % 18,
            employer_id=agencies[i % len(agencies)][0] if i < len(levels) or rng.random() < 0.2 else None,
            supervisor_level=levels[i] if i < len(levels) else None,
            is_demo=True,
        )
        for i, (_, mobile) in enumerate(people)
    ]
    await SocialWorker.bulk_create(workers, batch_size=INSERT_BATCH)
    return SOCIAL_WORKERS, await _insert_supervision(rng)


async def _insert_supervision(rng: random.Random) -> int:
    supervisors = list(
        await SocialWorker.filter(is_demo=True, supervisor_level__isnull=False).values_list("id", flat=True)
    )
    pool = list(
        await SocialWorker.filter(is_demo=True, supervisor_level__isnull=True)
        .limit(600)
        .values_list("id", flat=True)
    )
    made = 0
    first_day = TODAY - timedelta(days=365)
    for supervisor in supervisors:
        for month in range(12):
            for _ in range(rng.randint(1, 3)):
                form = rng.choices(list(SupervisionForm), [5, 3, 2])[0]
                held = first_day + timedelta(days=month * 30 + rng.randrange(28))
                record = await SupervisionRecord.create(
                    supervisor_id=supervisor,
                    form=form,
                    held_on=held,
                    minutes=rng.choice([60, 90, 120, 180]),
                    topics=rng.choice(TOPICS),
                    follow_up="下次督导前完成服务计划修订",
                    is_demo=True,
                )
                count = 1 if form is SupervisionForm.INDIVIDUAL else rng.randint(2, 8)
                await Supervisee.bulk_create(
                    [Supervisee(record_id=record.id, worker_id=w) for w in rng.sample(pool, count)]
                )
                made += 1
    return made


async def load_organisation_seeds(*, seed: int = DEFAULT_SEED) -> OrganisationSeedReport:
    """Insert the demo registry and social work once (nothing when demo organisations exist)."""
    if await Organisation.filter(is_demo=True).exists():
        return OrganisationSeedReport()
    places = await _places()
    if len(places) != len(pinghu.TOWNS):
        raise LookupError("社会组织种子需要网格树（请先加载网格种子）")
    drafts = plan_organisations(seed, {code: len(place.units) for code, place in places.items()})
    rng = random.Random(seed * 7 + 15)
    async with in_transaction():
        people = await _insert_people([d.contact for d in drafts])
        rows = [_row(d, places[d.town_code], people[d.contact[1]]) for d in drafts]
        await Organisation.bulk_create(rows, batch_size=INSERT_BATCH)
        ids = await _organisation_ids(drafts)
        await _insert_history(drafts, ids, people)
        agencies = [(ids[d.name], d.town_code) for d in drafts if d.social_work]
        workers, supervisions = await _insert_social_work(rng, places, agencies)
        await _scope_demo_organiser(drafts, ids)
    return OrganisationSeedReport(len(drafts), workers, supervisions)


DEMO_ORGANISER = "demo.organiser"


async def _scope_demo_organiser(drafts: list[OrgDraft], ids: dict[str, int]) -> None:
    """`demo.organiser` acts for the first filed 居民互助类 organisation of 当湖街道, so the demo
    shows what an organiser keeps (members, annual reports). Nothing without demo accounts."""
    chosen = next(
        d
        for d in drafts
        if d.town_code == pinghu.TOWNS[0].code
        and d.status is OrgStatus.FILED
        and d.field is OrgField.MUTUAL_AID
    )
    user = await User.get_or_none(username=DEMO_ORGANISER, is_demo=True)
    if user is not None:
        await RoleAssignment.filter(
            user_id=user.id, role=Role.ORGANISER, organisation_id=None, revoked_at__isnull=True
        ).update(organisation_id=ids[chosen.name])
