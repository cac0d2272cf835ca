"""Social-work page data: an agency's placements and workers, the social-worker directory (names
masked for the public, as everywhere) and a supervisor's log. Fixed statement counts."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from domain.access import Actor
from domain.errors import NotFound
from domain.organisations.models import Organisation
from domain.pagination import PageRequest
from domain.people.policy import PersonView, view_for
from domain.socialwork import queries
from domain.socialwork.models import CertificateLevel, Placement, SocialWorker, Station, SupervisionRecord
from domain.socialwork.queries import Caseload, WorkerFilter
from web.forms import whole_number

PAGE_SIZE = 20
LEVELS = tuple(CertificateLevel)


@dataclass(frozen=True)
class AgencyView:
    placements: list[Placement]
    levels: dict[CertificateLevel, int]


async def agency(organisation: Organisation) -> AgencyView | None:
    """Two statements for a social-work agency, none for any other organisation."""
    if not organisation.is_agency:
        return None
    return AgencyView(await queries.placements_of(organisation.id), await queries.levels_of(organisation.id))


@dataclass(frozen=True)
class WorkerRow:
    worker: SocialWorker
    person: PersonView


@dataclass(frozen=True)
class Workers:
    level: str
    supervisors: bool
    rows: list[WorkerRow]
    total: int
    next_url: str | None
    is_first_page: bool

    def url(self, **extra: str) -> str:
        params = {"level": self.level, "supervisors": "1" if self.supervisors else "", **extra}
        query = urlencode({k: v for k, v in params.items() if v})
        return "/social-workers" + (f"?{query}" if query else "")


async def workers(actor: Actor, params: dict[str, str]) -> Workers:
    """Two statements: the page (with people and employers) and the count."""
    level = params.get("level", "")
    supervisors = params.get("supervisors") == "1"
    where = WorkerFilter(
        level=CertificateLevel(level) if level in CertificateLevel.__members__ else None,
        supervisors_only=supervisors,
    )
    key = whole_number(params.get("after", ""))
    page = await queries.workers_page(where, PageRequest(first=PAGE_SIZE, after=(key,) if key else None))
    rows = [WorkerRow(w, view_for(actor, w.person)) for w in page.items]
    total = await queries.workers_count(where)
    view = Workers(level if where.level else "", supervisors, rows, total, None, key is None)
    if not (page.has_next and page.items):
        return view
    return Workers(view.level, supervisors, rows, total, view.url(after=str(page.items[-1].id)), key is None)


@dataclass(frozen=True)
class SupervisionView:
    supervisor: SocialWorker
    person: PersonView
    caseload: Caseload
    year: int
    records: list[SupervisionRecord]


async def supervision(actor: Actor, worker_id: int, year: int) -> SupervisionView:
    found = await queries.supervisor_by_id(worker_id)
    if found is None or not queries.can_view_supervision(actor, found):
        raise NotFound("督导记录不存在")
    log = await queries.supervision_log(found.id, PageRequest(first=50))
    caseload = await queries.caseload(found.id, year)
    return SupervisionView(found, view_for(actor, found.person), caseload, year, log.items)


@dataclass(frozen=True)
class AgenciesView:
    agencies: list[queries.AgencyRow]
    stations: list[Station]


async def agencies() -> AgenciesView:
    """The public agency directory and the towns' stations: four statements."""
    return AgenciesView(await queries.agencies(), await queries.stations())
