"""Reads of social work: an agency's placements and workers by level, the social-worker
directory (names masked for the public by the adapters, as everywhere), the supervision log with
its per-supervisor caseload and hours.

Who sees the supervision log (`can_view_supervision`): bureau and grid staff (not ADMIN), and
supervisors their own records; supervision notes are about colleagues' practice, not public."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tortoise.expressions import Q
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from domain.access import Actor, Role
from domain.organisations import policy as org_policy
from domain.organisations.models import LegalForm, Organisation, OrgStatus
from domain.pagination import Page, PageRequest, keyset_page
from domain.permissions import DATA_ROLES
from domain.socialwork.models import (
    CertificateLevel,
    Placement,
    SocialWorker,
    Station,
    Supervisee,
    SupervisionRecord,
    SupervisorLevel,
)

MAX_PLACEMENTS = 100
MAX_AGENCY_WORKERS = 100
WORKER_ORDER = ("id",)
RECORD_ORDER = ("held_on", "id")


async def placements_of(agency_id: int) -> list[Placement]:
    """The agency's placements with their cells, current first then most recent: one statement."""
    rows = await Placement.filter(agency_id=agency_id).select_related("cell").order_by("-started_on", "-id")
    rows = rows[:MAX_PLACEMENTS]
    return sorted(rows, key=lambda p: p.ended_on is not None)


async def levels_of(agency_id: int) -> dict[CertificateLevel, int]:
    rows = (
        await SocialWorker.filter(employer_id=agency_id)
        .group_by("level")
        .annotate(n=Count("id"))
        .values("level", "n")
    )
    counts = Counter({CertificateLevel(row["level"]): int(row["n"]) for row in rows})
    return {level: counts[level] for level in CertificateLevel}


@dataclass(frozen=True)
class WorkerFilter:
    """Every given criterion must hold. `town_id`: the town of the worker's station or of their
    employer's home cell."""

    level: CertificateLevel | None = None
    employer_id: int | None = None
    supervisors_only: bool = False
    supervisor_level: SupervisorLevel | None = None
    town_id: int | None = None


def _workers(f: WorkerFilter) -> QuerySet[SocialWorker]:
    qs = SocialWorker.all()
    if f.level is not None:
        qs = qs.filter(level=f.level)
    if f.employer_id is not None:
        qs = qs.filter(employer_id=f.employer_id)
    if f.supervisors_only:
        qs = qs.filter(supervisor_level__isnull=False)
    if f.supervisor_level is not None:
        qs = qs.filter(supervisor_level=f.supervisor_level)
    if f.town_id is not None:
        qs = qs.filter(Q(station__town_id=f.town_id) | Q(employer__town_id=f.town_id))
    return qs


async def workers_page(f: WorkerFilter, page: PageRequest) -> Page[SocialWorker]:
    """One page of workers with their person and employer: one statement."""
    qs = _workers(f).select_related("person", "employer")
    return await keyset_page(qs, WORKER_ORDER, page)


async def workers_count(f: WorkerFilter) -> int:
    return await _workers(f).count()


async def supervisor_by_id(worker_id: int) -> SocialWorker | None:
    """A worker with a supervisor level, with their person: one statement."""
    return (
        await SocialWorker.filter(id=worker_id, supervisor_level__isnull=False)
        .select_related("person")
        .first()
    )


async def supervisor_of_person(person_id: int | None) -> SocialWorker | None:
    if person_id is None:
        return None
    return await SocialWorker.filter(person_id=person_id, supervisor_level__isnull=False).first()


def is_own_supervision(actor: Actor, supervisor: SocialWorker | None) -> bool:
    """The actor is the supervisor, acting in a working role: the matrix gives residents and
    administrators no "own" supervision (an ADMIN who is also a supervisor reads no notes)."""
    return (
        supervisor is not None
        and actor.person_id is not None
        and actor.person_id == supervisor.person_id
        and actor.has_role(*DATA_ROLES)
    )


def can_view_supervision(actor: Actor, supervisor: SocialWorker | None = None) -> bool:
    if org_policy.is_bureau(actor) or actor.has_role(Role.GRID_STAFF):
        return True  # staff working with agencies; ADMIN runs accounts, not casework
    return is_own_supervision(actor, supervisor)


@dataclass(frozen=True)
class Caseload:
    records: int
    minutes: int
    supervisees: int


async def caseload(supervisor_id: int, year: int) -> Caseload:
    """Records, hours (in minutes) and distinct supervisees of one supervisor in a calendar year:
    two statements."""
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    records = SupervisionRecord.filter(supervisor_id=supervisor_id, held_on__gte=start, held_on__lt=end)
    rows = await records.annotate(n=Count("id"), minutes=Sum("minutes")).values("n", "minutes")
    people = await Supervisee.filter(
        record__supervisor_id=supervisor_id, record__held_on__gte=start, record__held_on__lt=end
    ).values_list("worker_id", flat=True)
    total = rows[0] if rows else {}
    return Caseload(int(total.get("n") or 0), int(total.get("minutes") or 0), len(set(people)))


async def supervision_log(supervisor_id: int, page: PageRequest) -> Page[SupervisionRecord]:
    """A supervisor's records, newest first: one statement."""
    qs = SupervisionRecord.filter(supervisor_id=supervisor_id)
    return await keyset_page(qs, RECORD_ORDER, page, descending=True)


MAX_AGENCIES = 200  # Pinghu has 24; a bound, not a page


@dataclass(frozen=True)
class AgencyRow:
    agency: Organisation
    workers: int
    places: int
    """Villages and communities it is stationed in today."""


async def agencies() -> list[AgencyRow]:
    """The social-work agencies on the register with their workers and current placements, by
    name: three statements."""
    found = (
        await Organisation.filter(
            social_work=True, legal_form=LegalForm.SERVICE_INSTITUTION, status=OrgStatus.REGISTERED
        )
        .select_related("home_cell")
        .order_by("name", "id")
        .limit(MAX_AGENCIES)
    )
    ids = [a.id for a in found]
    workers = SocialWorker.filter(employer_id__in=ids).group_by("employer_id").annotate(n=Count("id"))
    worker_counts = {int(r["employer_id"]): int(r["n"]) for r in await workers.values("employer_id", "n")}
    places = Placement.filter(agency_id__in=ids, ended_on__isnull=True).group_by("agency_id")
    place_counts = {
        int(r["agency_id"]): int(r["n"])
        for r in await places.annotate(n=Count("id")).values("agency_id", "n")
    }
    return [AgencyRow(a, worker_counts.get(a.id, 0), place_counts.get(a.id, 0)) for a in found]


# --- batched reads for the API's DataLoaders (one statement per batch) ---------------------------


async def workers_by_ids(ids: Iterable[int]) -> dict[int, SocialWorker]:
    wanted = set(ids)
    return {w.id: w for w in await SocialWorker.filter(id__in=wanted)} if wanted else {}


async def stations_by_ids(ids: Iterable[int]) -> dict[int, Station]:
    wanted = set(ids)
    return {s.id: s for s in await Station.filter(id__in=wanted)} if wanted else {}


async def placements_by_ids(ids: Iterable[int]) -> dict[int, Placement]:
    wanted = set(ids)
    return {p.id: p for p in await Placement.filter(id__in=wanted)} if wanted else {}


async def records_by_ids(ids: Iterable[int]) -> dict[int, SupervisionRecord]:
    wanted = set(ids)
    return {r.id: r for r in await SupervisionRecord.filter(id__in=wanted)} if wanted else {}


async def placements_of_agencies(agency_ids: Iterable[int]) -> dict[int, list[Placement]]:
    """Each agency's placements as `placements_of` orders them (current first, then most recent),
    at most `MAX_PLACEMENTS` each: one statement."""
    wanted = list(set(agency_ids))
    grouped: dict[int, list[Placement]] = defaultdict(list)
    for row in await Placement.filter(agency_id__in=wanted).order_by("-started_on", "-id"):
        if len(grouped[row.agency_id]) < MAX_PLACEMENTS:
            grouped[row.agency_id].append(row)
    return {a: sorted(grouped[a], key=lambda p: p.ended_on is not None) for a in wanted}


async def workers_of_employers(employer_ids: Iterable[int]) -> dict[int, list[SocialWorker]]:
    """Each agency's workers, highest certificate first, at most `MAX_AGENCY_WORKERS` each (the
    directory filtered by employer pages through all): one statement."""
    wanted = list(set(employer_ids))
    grouped: dict[int, list[SocialWorker]] = defaultdict(list)
    rank = {level: i for i, level in enumerate(reversed(CertificateLevel))}
    rows = await SocialWorker.filter(employer_id__in=wanted).order_by("id")
    for row in sorted(rows, key=lambda w: rank[w.level]):
        if row.employer_id is not None and len(grouped[row.employer_id]) < MAX_AGENCY_WORKERS:
            grouped[row.employer_id].append(row)
    return {e: grouped[e] for e in wanted}


async def supervisees_of(record_ids: Iterable[int]) -> dict[int, list[SocialWorker]]:
    """Each record's supervisees (at most `MAX_SUPERVISEES`, a domain rule): one statement."""
    wanted = list(set(record_ids))
    grouped: dict[int, list[SocialWorker]] = defaultdict(list)
    rows = await Supervisee.filter(record_id__in=wanted).select_related("worker").order_by("record_id", "id")
    for row in rows:
        grouped[row.record_id].append(row.worker)
    return {r: grouped[r] for r in wanted}


async def supervision_count(supervisor_id: int) -> int:
    return await SupervisionRecord.filter(supervisor_id=supervisor_id).count()


MAX_STATIONS = 100


async def stations(town_id: int | None = None) -> list[Station]:
    """The social-work stations (one or a few per town), by town then name, at most
    `MAX_STATIONS`: one statement."""
    qs = Station.all() if town_id is None else Station.filter(town_id=town_id)
    qs = qs.select_related("town", "operator")
    return list(await qs.order_by("town__code", "name", "id").limit(MAX_STATIONS))


MAX_SUPERVISORS = 200
MAX_CHOICES = 20


async def supervisors(limit: int = MAX_SUPERVISORS) -> list[SocialWorker]:
    """Workers with a supervisor level, with their person, in id order: one statement."""
    return list(
        await SocialWorker.filter(supervisor_level__isnull=False)
        .select_related("person")
        .order_by("id")
        .limit(limit)
    )


async def worker_choices(
    chosen: Iterable[int],
    search: str,
    employer_id: int | None,
    supervisor_id: int | None = None,
    limit: int = MAX_CHOICES,
    *,
    by_certificate: bool = False,
) -> tuple[list[SocialWorker], list[SocialWorker]]:
    """The workers already chosen, and up to `limit` others to choose from (never the supervisor):
    those whose name holds `search` or, `by_certificate` (a reader who sees the numbers,
    `policy.sees_certificates`), whose certificate number starts with it, else (no search) the
    employer's. With person and employer: at most two statements."""
    wanted = sorted(set(chosen))
    picked = (
        list(await SocialWorker.filter(id__in=wanted).select_related("person", "employer").order_by("id"))
        if wanted
        else []
    )
    text = search.strip()[:50]
    if text:
        where = Q(person__name__contains=text)
        if by_certificate:
            where |= Q(certificate_number__startswith=text.upper())
    elif employer_id is not None:
        where = Q(employer_id=employer_id)
    else:
        return picked, []
    others = (
        await SocialWorker.filter(where)
        .exclude(id__in=[*wanted, supervisor_id or 0])
        .select_related("person", "employer")
        .order_by("id")
        .limit(limit)
    )
    return picked, list(others)
