"""Social-work page data: an agency's placements and workers, the social-worker directory (names
masked for the public, as everywhere) and a supervisor's log. Fixed statement counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from starlette.datastructures import FormData

from domain.access import Actor
from domain.errors import NotFound
from domain.organisations.models import Organisation
from domain.pagination import PageRequest
from domain.people.policy import PersonView, view_for
from domain.socialwork import policy, queries, service
from domain.socialwork.models import (
    CertificateLevel,
    Placement,
    SocialWorker,
    Station,
    SupervisionForm,
    SupervisionRecord,
)
from domain.socialwork.queries import Caseload, WorkerFilter
from domain.socialwork.service import SupervisionInput
from web.forms import text, texts, whole_number
from web.pages.organisation_forms import day

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


SUPERVISION_LABELS: dict[str, tuple[str, str]] = {
    "supervisor": ("sv-supervisor", "督导者"),
    "supervisees": ("sv-q", "被督导者"),
    "kind": ("sv-kind-INDIVIDUAL", "督导形式"),
    "held_on": ("sv-held-on", "日期"),
    "minutes": ("sv-minutes", "时长"),
    "topics": ("sv-topics", "督导主题"),
    "follow_up": ("sv-follow-up", "后续跟进"),
}
SUPERVISION_ALIASES = {
    "supervisorId": "supervisor",
    "superviseeIds": "supervisees",
    "heldOn": "held_on",
    "form": "kind",
}
FORMS = tuple(SupervisionForm)


@dataclass(frozen=True)
class SupervisionFilled:
    """The supervision form as typed."""

    supervisor: str = ""
    supervisees: tuple[str, ...] = ()
    q: str = ""
    kind: str = ""
    held_on: str = ""
    minutes: str = ""
    topics: str = ""
    follow_up: str = ""

    @classmethod
    def from_form(cls, form: FormData) -> SupervisionFilled:
        values = {name: text(form, name, 500) for name in ("supervisor", "q", "kind", "held_on", "minutes")}
        return cls(
            **values,
            supervisees=tuple(texts(form, "supervisee_ids"))[: service.MAX_SUPERVISEES + 5],
            topics=text(form, "topics", 600),
            follow_up=text(form, "follow_up", 600),
        )

    @property
    def chosen_ids(self) -> list[int]:
        return [n for n in (whole_number(raw) for raw in self.supervisees) if n is not None]

    def parse(self, supervisor_id: int | None) -> tuple[SupervisionInput, dict[str, str]]:
        errors: dict[str, str] = {}
        if supervisor_id is None:
            errors["supervisor"] = "请选择督导者"
        kind = SupervisionForm(self.kind) if self.kind in SupervisionForm.__members__ else None
        if kind is None:
            errors["kind"] = "请选择督导形式"
        minutes = whole_number(self.minutes)
        if minutes is None:
            errors["minutes"] = "请填写分钟数"
        held_on = day(self.held_on, "held_on", errors, required=True)
        data = SupervisionInput(
            supervisor_id=supervisor_id or 0,
            supervisee_ids=tuple(self.chosen_ids),
            form=kind or SupervisionForm.INDIVIDUAL,
            held_on=held_on or date.min,
            minutes=minutes if minutes is not None else 15,
            topics=self.topics,
            follow_up=self.follow_up,
        )
        return data, errors


@dataclass(frozen=True)
class Choice:
    worker: SocialWorker
    person: PersonView
    chosen: bool
    certificate_number: str | None
    """None: hidden from the reader (`domain.socialwork.policy`)."""


def by_certificate(actor: Actor) -> bool:
    """The supervisee search finds workers by their certificate number too (readers who see it)."""
    return policy.sees_certificates(actor)


async def choices(actor: Actor, filled: SupervisionFilled, supervisor: SocialWorker | None) -> list[Choice]:
    """The workers already chosen (checked) then those found (or the supervisor's colleagues)."""
    employer, own = (supervisor.employer_id, supervisor.id) if supervisor else (None, None)
    picked, others = await queries.worker_choices(
        filled.chosen_ids, filled.q, employer, own, by_certificate=by_certificate(actor)
    )
    return [
        Choice(w, view_for(actor, w.person), True, policy.certificate_number(actor, w)) for w in picked
    ] + [Choice(w, view_for(actor, w.person), False, policy.certificate_number(actor, w)) for w in others]
