"""Reads of social work: an agency's placements and workers by level, the social-worker
directory (names masked for the public by the adapters, as everywhere), the supervision log with
its per-supervisor caseload and hours.

Who sees the supervision log (`can_view_supervision`): bureau and grid staff (not ADMIN), and
supervisors their own records; supervision notes are about colleagues' practice, not public."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tortoise.expressions import Q
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from domain.access import Actor, Role
from domain.organisations import policy as org_policy
from domain.pagination import Page, PageRequest, keyset_page
from domain.socialwork.models import (
    CertificateLevel,
    Placement,
    SocialWorker,
    Supervisee,
    SupervisionRecord,
)

MAX_PLACEMENTS = 100
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
    level: CertificateLevel | None = None
    employer_id: int | None = None
    supervisors_only: bool = False


def _workers(f: WorkerFilter) -> QuerySet[SocialWorker]:
    qs = SocialWorker.all()
    if f.level is not None:
        qs = qs.filter(level=f.level)
    if f.employer_id is not None:
        qs = qs.filter(employer_id=f.employer_id)
    if f.supervisors_only:
        qs = qs.filter(supervisor_level__isnull=False)
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


def can_view_supervision(actor: Actor, supervisor: SocialWorker | None = None) -> bool:
    if org_policy.is_bureau(actor) or actor.has_role(Role.GRID_STAFF):
        return True  # staff working with agencies; ADMIN runs accounts, not casework
    return supervisor is not None and actor.person_id is not None and actor.person_id == supervisor.person_id


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
) -> tuple[list[SocialWorker], list[SocialWorker]]:
    """The workers already chosen, and up to `limit` others to choose from (never the supervisor):
    those whose name holds `search` or whose certificate number starts with it, else (no search)
    the employer's. With person and employer: at most two statements."""
    wanted = sorted(set(chosen))
    picked = (
        list(await SocialWorker.filter(id__in=wanted).select_related("person", "employer").order_by("id"))
        if wanted
        else []
    )
    text = search.strip()[:50]
    if text:
        where = Q(person__name__contains=text) | Q(certificate_number__startswith=text.upper())
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
