"""Reads of the organisation registry. The directory is public: every organisation that is not
deregistered (a deregistered one stays reachable by id, marked 已注销), filtered by place, legal
form, field, status, rating in force and a name search, paged by keyset on id (newest entries
last). `directory_filter` is the directory's one rule: the resolvers and the compiled read path
both render it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tortoise.expressions import Q
from tortoise.functions import Count

from domain import clock
from domain.grids.codes import GridKind
from domain.grids.models import GridCell
from domain.organisations.models import (
    AnnualReport,
    LegalForm,
    Organisation,
    OrganisationMember,
    OrgField,
    OrgStatus,
    Rating,
    RatingRecord,
    Sanction,
)
from domain.pagination import Page, PageRequest, keyset_page
from domain.people.models import Person

DIRECTORY_ORDER = ("id",)
MAX_SEARCH_LENGTH = 50
MAX_MEMBERS = 50
MAX_SANCTIONS = 50
MAX_RATINGS = 20


@dataclass(frozen=True)
class DirectoryFilter:
    """Every given criterion must hold. `subtree_path` is a cell's materialised path (a town, a
    community...); `rating` is the level in force on `day`; `search` a part of the name."""

    subtree_path: str | None = None
    town_id: int | None = None
    legal_forms: tuple[LegalForm, ...] = ()
    fields: tuple[OrgField, ...] = ()
    statuses: tuple[OrgStatus, ...] = ()
    rating: Rating | None = None
    social_work: bool | None = None
    search: str | None = None
    day: date | None = None


def directory_filter(f: DirectoryFilter) -> Q:
    """The directory's rule as one predicate over the organisation table."""
    parts = [Q(status__in=list(f.statuses))] if f.statuses else [~Q(status=OrgStatus.DEREGISTERED)]
    if f.subtree_path is not None:
        parts.append(Q(home_path__startswith=f.subtree_path))
    if f.town_id is not None:
        parts.append(Q(town_id=f.town_id))
    if f.legal_forms:
        parts.append(Q(legal_form__in=list(f.legal_forms)))
    if f.fields:
        parts.append(Q(field__in=list(f.fields)))
    if f.rating is not None:
        parts.append(Q(rating=f.rating, rating_valid_until__gte=f.day or clock.today()))
    if f.social_work is not None:
        parts.append(Q(social_work=f.social_work))
    if f.search:
        parts.append(Q(name__contains=f.search.strip()[:MAX_SEARCH_LENGTH]))
    return Q(*parts)


async def directory(f: DirectoryFilter, page: PageRequest) -> Page[Organisation]:
    """One page of the directory: one statement."""
    return await keyset_page(Organisation.filter(directory_filter(f)), DIRECTORY_ORDER, page)


async def directory_count(f: DirectoryFilter) -> int:
    return await Organisation.filter(directory_filter(f)).count()


async def totals_by_status(f: DirectoryFilter) -> dict[OrgStatus, int]:
    """How many organisations of each status the filter finds (statuses aside): one GROUP BY.
    The directory's headline figures (登记 560, 备案 1,989 in the report)."""
    unfiltered = DirectoryFilter(**{**f.__dict__, "statuses": tuple(OrgStatus)})
    rows = (
        await Organisation.filter(directory_filter(unfiltered))
        .group_by("status")
        .annotate(n=Count("id"))
        .values("status", "n")
    )
    totals = dict.fromkeys(OrgStatus, 0)
    for row in rows:
        totals[OrgStatus(row["status"])] = int(row["n"])
    return totals


async def organisations_by_ids(ids: Iterable[int]) -> dict[int, Organisation]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {org.id: org for org in await Organisation.filter(id__in=wanted)}


async def current_members(organisation_ids: Iterable[int]) -> dict[int, list[OrganisationMember]]:
    """Each organisation's members in force with their person, by role (legal representative,
    contact, member): one statement (bounded per organisation by `MAX_MEMBERS`)."""
    wanted = list(set(organisation_ids))
    grouped: dict[int, list[OrganisationMember]] = {org: [] for org in wanted}
    if not wanted:
        return grouped
    rows = (
        await OrganisationMember.filter(organisation_id__in=wanted, ended_on__isnull=True)
        .select_related("person")
        .order_by("organisation_id", "role", "id")
    )
    for row in rows:
        if len(grouped[row.organisation_id]) < MAX_MEMBERS:
            grouped[row.organisation_id].append(row)
    return grouped


async def sanctions_of(organisation_ids: Iterable[int]) -> dict[int, list[Sanction]]:
    """Every sanction-list entry, newest first (public information): one statement."""
    wanted = list(set(organisation_ids))
    grouped: dict[int, list[Sanction]] = defaultdict(list)
    for row in await Sanction.filter(organisation_id__in=wanted).order_by("-listed_on", "-id"):
        if len(grouped[row.organisation_id]) < MAX_SANCTIONS:
            grouped[row.organisation_id].append(row)
    return {org: grouped[org] for org in wanted}


async def ratings_of(organisation_ids: Iterable[int]) -> dict[int, list[RatingRecord]]:
    wanted = list(set(organisation_ids))
    grouped: dict[int, list[RatingRecord]] = defaultdict(list)
    for row in await RatingRecord.filter(organisation_id__in=wanted).order_by("-rated_on", "-id"):
        if len(grouped[row.organisation_id]) < MAX_RATINGS:
            grouped[row.organisation_id].append(row)
    return {org: grouped[org] for org in wanted}


MAX_SUGGESTIONS = 10


async def by_name_or_code(text: str) -> Organisation | None:
    """The organisation still on the register an administrator means: by its exact credit code,
    filing number or name (names are unique among organisations on the register)."""
    wanted = text.strip()
    if not wanted:
        return None
    named = Q(uscc=wanted.upper()) | Q(filing_number=wanted) | Q(name=wanted)
    return await Organisation.filter(named).exclude(status=OrgStatus.DEREGISTERED).order_by("id").first()


async def suggestions(text: str) -> list[Organisation]:
    """Up to `MAX_SUGGESTIONS` organisations on the register whose name contains `text`."""
    wanted = text.strip()[:MAX_SEARCH_LENGTH]
    if not wanted:
        return []
    found = Organisation.filter(name__contains=wanted).exclude(status=OrgStatus.DEREGISTERED)
    return await found.order_by("name", "id").limit(MAX_SUGGESTIONS)


MAX_REPORTS = 50


async def members_by_ids(ids: Iterable[int]) -> dict[int, OrganisationMember]:
    """Membership rows (current or ended) with their person: one statement."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await OrganisationMember.filter(id__in=wanted).select_related("person")
    return {row.id: row for row in rows}


async def sanctions_by_ids(ids: Iterable[int]) -> dict[int, Sanction]:
    wanted = set(ids)
    return {row.id: row for row in await Sanction.filter(id__in=wanted)} if wanted else {}


async def reports_by_ids(ids: Iterable[int]) -> dict[int, AnnualReport]:
    wanted = set(ids)
    return {row.id: row for row in await AnnualReport.filter(id__in=wanted)} if wanted else {}


async def reports_of(organisation_ids: Iterable[int]) -> dict[int, list[AnnualReport]]:
    """Each organisation's annual reports, newest year first (at most `MAX_REPORTS`): one statement."""
    wanted = list(set(organisation_ids))
    grouped: dict[int, list[AnnualReport]] = defaultdict(list)
    for row in await AnnualReport.filter(organisation_id__in=wanted).order_by("-year", "-id"):
        if len(grouped[row.organisation_id]) < MAX_REPORTS:
            grouped[row.organisation_id].append(row)
    return {org: grouped[org] for org in wanted}


async def annual_reports_of(organisation_id: int) -> list[AnnualReport]:
    """The organisation's annual reports, latest year first (their status is public): one statement."""
    return (await reports_of([organisation_id]))[organisation_id]


async def person_by_name_and_mobile(name: str, mobile: str) -> Person | None:
    """The one person with exactly this name and mobile number (how a form names an existing
    person without listing anyone): one statement, none for an empty input."""
    name, mobile = name.strip(), mobile.strip()
    if not name or not (mobile.isascii() and mobile.isdigit() and len(mobile) == 11):
        return None
    return await Person.filter(name=name, mobile=mobile).order_by("id").first()


MAX_PLACES = 1000


async def places() -> list[GridCell]:
    """The towns, villages and communities an organisation is filed at or active in, in tree order
    (codes extend their parent's): one statement."""
    kinds = [GridKind.TOWN, GridKind.COMMUNITY, GridKind.VILLAGE]
    return list(await GridCell.filter(kind__in=kinds, retired=False).order_by("code").limit(MAX_PLACES))
