"""The organisation directory and an organisation's page: public, personal data masked as
everywhere (`domain.people.policy.view_for`). Each page reads in a fixed number of statements."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from urllib.parse import urlencode

from domain.access import Actor
from domain.errors import NotFound
from domain.funding import queries as funding_queries
from domain.funding.models import Application
from domain.grids import queries as grid_queries
from domain.grids.codes import GridKind
from domain.grids.models import GridCell
from domain.grids.queries import GridCellFilter
from domain.organisations import eligibility, queries
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
from domain.organisations.queries import DirectoryFilter
from domain.pagination import PageRequest
from domain.people.policy import PersonView, view_for
from web.forms import whole_number
from web.pages import socialwork
from web.pages.organisation_forms import Maintains, maintains

PAGE_SIZE = 20
TOWNS = 100
LEGAL_FORMS = tuple(LegalForm)
FIELDS = tuple(OrgField)
STATUSES = (OrgStatus.REGISTERED, OrgStatus.FILED)
RATINGS = tuple(Rating)


@dataclass(frozen=True)
class DirectoryQuery:
    """The directory's filter form as typed (unknown values are ignored, not errors)."""

    town: str = ""
    community: str = ""
    form: str = ""
    field: str = ""
    status: str = ""
    rating: str = ""
    q: str = ""

    @classmethod
    def from_params(cls, params: dict[str, str]) -> DirectoryQuery:
        return cls(
            **{f.name: params.get(f.name, "").strip()[: queries.MAX_SEARCH_LENGTH] for f in fields(cls)}
        )

    @property
    def filtered(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def url(self, **extra: str) -> str:
        params = {**{f.name: getattr(self, f.name) for f in fields(self)}, **extra}
        query = urlencode({k: v for k, v in params.items() if v})
        return "/organisations" + (f"?{query}" if query else "")

    def domain_filter(
        self, towns: list[GridCell], communities: list[GridCell], today: date
    ) -> DirectoryFilter:
        town = next((t for t in towns if t.code == self.town), None)
        community = next((c for c in communities if c.code == self.community), None)
        return DirectoryFilter(
            subtree_path=community.path if community else None,
            town_id=town.id if town else None,
            legal_forms=(LegalForm(self.form),) if self.form in LegalForm.__members__ else (),
            fields=(OrgField(self.field),) if self.field in OrgField.__members__ else (),
            statuses=(OrgStatus(self.status),) if self.status in ("REGISTERED", "FILED") else (),
            rating=Rating(self.rating) if self.rating in Rating.__members__ else None,
            search=self.q or None,
            day=today,
        )


@dataclass(frozen=True)
class Row:
    organisation: Organisation
    cell: GridCell | None
    town: GridCell | None


@dataclass(frozen=True)
class Directory:
    query: DirectoryQuery
    towns: list[GridCell]
    communities: list[GridCell]
    rows: list[Row]
    total: int
    totals: dict[OrgStatus, int]
    next_url: str | None
    is_first_page: bool
    today: date


async def directory(query: DirectoryQuery, after: str, today: date) -> Directory:
    """Five statements: towns, the page, its cells, the count, the totals by status (and, once a
    town is chosen, its villages and communities)."""
    towns = (
        await grid_queries.cells_page(GridCellFilter(kinds=(GridKind.TOWN,)), PageRequest(first=TOWNS))
    ).items
    town = next((t for t in towns if t.code == query.town), None)
    communities = [c for c in (await grid_queries.children_of([town.id])).get(town.id, [])] if town else []
    where = query.domain_filter(towns, communities, today)
    key = whole_number(after)
    page = await queries.directory(where, PageRequest(first=PAGE_SIZE, after=(key,) if key else None))
    cells = await grid_queries.cells_by_ids({org.home_cell_id for org in page.items})
    by_town = {t.id: t for t in towns}
    rows = [Row(org, cells.get(org.home_cell_id), by_town.get(org.town_id or 0)) for org in page.items]
    total = await queries.directory_count(where)
    totals = await queries.totals_by_status(where)
    next_url = query.url(after=str(page.items[-1].id)) if page.has_next and page.items else None
    return Directory(query, towns, communities, rows, total, totals, next_url, key is None, today)


@dataclass(frozen=True)
class MemberRow:
    member: OrganisationMember
    person: PersonView


@dataclass(frozen=True)
class OrganisationView:
    organisation: Organisation
    cell: GridCell | None
    filing_cell: GridCell | None
    members: list[MemberRow]
    sanctions: list[Sanction]
    ratings: list[RatingRecord]
    rating: Rating | None
    eligibility: eligibility.Eligibility
    today: date
    agency: socialwork.AgencyView | None
    reports: list[AnnualReport]
    may: Maintains
    applications: list[Application]
    """Its venture-funding applications the reader sees (`funding.queries.visible_applications_of`)."""
    more_applications: bool


async def organisation_page(actor: Actor, organisation_id: int, today: date) -> OrganisationView:
    found = await queries.organisations_by_ids([organisation_id])
    if organisation_id not in found:
        raise NotFound("社会组织不存在")
    org = found[organisation_id]
    cells = await grid_queries.cells_by_ids({org.home_cell_id, org.filing_cell_id or org.home_cell_id})
    members = (await queries.current_members([org.id]))[org.id]
    sanctions = (await queries.sanctions_of([org.id]))[org.id]
    applications, more = await funding_queries.organisation_applications(actor, org.id)
    return OrganisationView(
        organisation=org,
        cell=cells.get(org.home_cell_id),
        filing_cell=cells.get(org.filing_cell_id) if org.filing_cell_id else None,
        members=[MemberRow(m, view_for(actor, m.person)) for m in members],
        sanctions=sanctions,
        ratings=(await queries.ratings_of([org.id]))[org.id],
        rating=org.rating_on(today),
        eligibility=eligibility.decide(org, sanctions, today),
        today=today,
        agency=await socialwork.agency(org),
        reports=await queries.annual_reports_of(org.id),
        may=maintains(actor, org, cells.get(org.filing_cell_id) if org.filing_cell_id else None),
        applications=applications,
        more_applications=more,
    )
