"""The staff's training pages: the cohorts list, cohort and session forms, nomination, certifying
and withdrawing with a reason, certificates, and the rows of the roster / attendance exports
(written by `web.exports`).

Forms keep what the user typed as text; `parse` turns it into domain inputs and collects the
errors only the page can find (a date that is not a date). The domain then adds its own, all at
once (`ValidationErrors`), and each error is shown beside the input it names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from domain.access import Actor
from domain.clock import SHANGHAI
from domain.errors import DomainError, ValidationErrors
from domain.grids import queries as grid_queries
from domain.input import Errors
from domain.leaders import policy, queries
from domain.leaders.models import (
    Certificate,
    Cohort,
    LeaderStatus,
    MicroLeader,
    SessionType,
    SourceRole,
    TrainingSession,
)
from domain.leaders.queries import Progress, SheetRow
from domain.people.policy import PersonView, view_for
from domain.people.validation import normalise_mobile, normalise_person_name
from web.forms import field_errors, whole_number
from web.localtime import at_local, local_clock, local_datetime

SESSION_TYPES = tuple(SessionType)
SOURCE_ROLES = tuple(SourceRole)

# The domain's field names (GraphQL's) -> the form's input names.
COHORT_INPUTS = {"name", "year", "min_attendance_share", "min_hours", "year_unverified"}
COHORT_ALIASES = {"minAttendanceShare": "min_attendance_share", "minHours": "min_hours"}
SESSION_INPUTS = {
    "session_type",
    "title",
    "date",
    "start",
    "end",
    "venue",
    "facilitator",
    "facilitator_username",
    "capacity",
    "hours",
    "required",
}
SESSION_ALIASES = {
    "sessionType": "session_type",
    "startsAt": "start",
    "endsAt": "end",
    "facilitatorUserId": "facilitator_username",
    "facilitatorUsername": "facilitator_username",
}
NOMINATE_INPUTS = {"person_id", "name", "mobile", "cell_code", "source_role"}
NOMINATE_ALIASES = {"personId": "person_id", "homeCellId": "cell_code", "sourceRole": "source_role"}


def errors_of(error: DomainError, inputs: set[str], aliases: Mapping[str, str]) -> dict[str, str]:
    """Every error a refusal carries, keyed by the input it names (see `web.forms.field_errors`)."""
    return field_errors(error, inputs, aliases)


def _clip(form: Mapping[str, Any], name: str, limit: int = 200) -> str:
    value = form.get(name)
    return value[:limit].strip() if isinstance(value, str) else ""


# --- the cohorts list -------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortRow:
    cohort: Cohort
    counts: dict[LeaderStatus, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def enrolled(self) -> int:
        return self.counts.get(LeaderStatus.ENROLLED, 0)

    @property
    def certified(self) -> int:
        return self.counts.get(LeaderStatus.CERTIFIED, 0)


@dataclass(frozen=True)
class CohortList:
    rows: list[CohortRow]
    can_manage: bool


async def cohort_list(actor: Actor) -> CohortList:
    """Every cohort, newest first, with its leaders per status (two statements)."""
    policy.require_open_training(actor)
    cohorts = await queries.cohorts()
    counts = await queries.leader_counts(c.id for c in cohorts)
    rows = [CohortRow(c, counts.get(c.id, {})) for c in cohorts]
    return CohortList(rows, policy.can_manage_training(actor))


# --- the cohort form --------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortForm:
    name: str = ""
    year: str = ""
    min_attendance_share: str = "0.8"
    min_hours: str = "0"
    year_unverified: bool = False

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> CohortForm:
        return cls(
            name=_clip(form, "name", 100),
            year=_clip(form, "year", 10),
            min_attendance_share=_clip(form, "min_attendance_share", 10),
            min_hours=_clip(form, "min_hours", 10),
            year_unverified=form.get("year_unverified") == "on",
        )

    @classmethod
    def of(cls, cohort: Cohort) -> CohortForm:
        return cls(
            name=cohort.name,
            year=str(cohort.year),
            min_attendance_share=str(Decimal(str(cohort.min_attendance_share)).normalize()),
            min_hours=str(Decimal(str(cohort.min_hours))),
            year_unverified=cohort.year_unverified,
        )

    def parse(self) -> tuple[dict[str, Any], dict[str, str]]:
        errors: dict[str, str] = {}
        year = whole_number(self.year)
        if year is None:
            errors["year"] = "请填写年份（四位数字）"
        values = {
            "name": self.name,
            "year": year or 0,
            "min_attendance_share": self.min_attendance_share or "0",
            "min_hours": self.min_hours or "0",
            "year_unverified": self.year_unverified,
        }
        return values, errors


# --- the session form -------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionForm:
    session_type: str = ""
    title: str = ""
    date: str = ""
    start: str = ""
    end: str = ""
    venue: str = ""
    facilitator: str = ""
    facilitator_username: str = ""
    capacity: str = ""
    hours: str = ""
    required: bool = True

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> SessionForm:
        text = {f.name: _clip(form, f.name, 120) for f in fields(cls) if f.name != "required"}
        return cls(**text, required=form.get("required") == "on")

    @classmethod
    def of(cls, session: TrainingSession, username: str | None) -> SessionForm:
        return cls(
            session_type=session.session_type.value,
            title=session.title,
            date=session.starts_at.astimezone(SHANGHAI).date().isoformat(),
            start=local_clock(session.starts_at),
            end=local_clock(session.ends_at),
            venue=session.venue,
            facilitator=session.facilitator,
            facilitator_username=username or "",
            capacity=str(session.capacity),
            hours=str(session.hours),
            required=session.required,
        )

    @property
    def one_to_one(self) -> bool:
        return self.session_type == SessionType.CASE_COACHING.value

    def parse(self) -> tuple[dict[str, Any], dict[str, str]]:
        """Domain inputs, and what only the page can refuse (unparsable text). Inputs that did
        not parse are left out so the domain still checks all the others."""
        errors: dict[str, str] = {}
        values: dict[str, Any] = {
            "title": self.title,
            "venue": self.venue,
            "facilitator": self.facilitator,
            "hours": self.hours or "0",
            "required": self.required,
        }
        if self.session_type in SessionType.__members__:
            values["session_type"] = SessionType(self.session_type)
        else:
            errors["session_type"] = "请选择培训类型"
        day, start, end = _day(self.date), _clock(self.start), _clock(self.end)
        if day is None:
            errors["date"] = "请填写日期（如 2026-12-06）"
        if start is None:
            errors["start"] = "请填写开始时间（如 09:00）"
        if end is None:
            errors["end"] = "请填写结束时间（如 11:00）"
        if day is not None and start is not None and end is not None:
            values["starts_at"], values["ends_at"] = at_local(day, start), at_local(day, end)
        capacity = whole_number(self.capacity)
        if capacity is not None:
            values["capacity"] = capacity
        elif self.capacity or not self.one_to_one:
            errors["capacity"] = "请填写名额（整数）"
        return values, errors


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _clock(raw: str) -> time | None:
    try:
        return time.fromisoformat(raw) if len(raw) in (4, 5) else None
    except ValueError:
        return None


# --- nomination -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NominateForm:
    person_id: str = ""
    name: str = ""
    mobile: str = ""
    cell_code: str = ""
    source_role: str = ""

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> NominateForm:
        return cls(**{f.name: _clip(form, f.name, 40) for f in fields(cls)})

    def parse(self) -> tuple[dict[str, Any], dict[str, str]]:
        errors: dict[str, str] = {}
        values: dict[str, Any] = {"name": self.name, "mobile": self.mobile}
        if self.person_id:
            person_id = whole_number(self.person_id)
            if person_id is None:
                errors["person_id"] = "人员编号应为数字"
            values["person_id"] = person_id
        if self.source_role in SourceRole.__members__:
            values["source_role"] = SourceRole(self.source_role)
        else:
            errors["source_role"] = "请选择来源"
        if not self.cell_code:
            errors["cell_code"] = "请填写所在网格的编码"
        if not self.person_id:  # a new person: their name and mobile, shown with the rest
            found = Errors()
            found.check(lambda: normalise_person_name(self.name))
            found.check(lambda: normalise_mobile(self.mobile))
            if found.errors:
                errors = {
                    **errors_of(ValidationErrors(found.errors), NOMINATE_INPUTS, NOMINATE_ALIASES),
                    **errors,
                }
        return values, errors

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


# --- rosters, attendance and certificates -----------------------------------------------------


@dataclass(frozen=True)
class RosterRow:
    leader: MicroLeader
    person: PersonView
    cell_name: str
    progress: Progress | None
    certificate: Certificate | None


async def roster(actor: Actor, cohort: Cohort) -> list[RosterRow]:
    """Every leader of the cohort with progress and certificate (a fixed number of statements)."""
    leaders = await queries.cohort_roster(cohort.id)
    cells = await grid_queries.cells_by_ids({leader.home_cell_id for leader in leaders})
    progress = await queries.progress_for(leader.id for leader in leaders)
    certificates = await queries.certificates_of_leaders(leader.id for leader in leaders)
    return [
        RosterRow(
            leader,
            view_for(actor, leader.person),
            cells[leader.home_cell_id].name if leader.home_cell_id in cells else "",
            progress.get(leader.id),
            certificates.get(leader.id),
        )
        for leader in leaders
    ]


ROSTER_HEADERS = ["序号", "姓名", "来源", "所在网格", "状态", "必修出勤", "必修场次", "学时", "证书编号"]
ATTENDANCE_HEADERS = ["序号", "姓名", "报名时间", "出席", "签到时间", "更正原因"]


def roster_rows(rows: list[RosterRow]) -> list[list[Any]]:
    return [
        [
            i,
            row.person.name,
            row.leader.source_role.label,
            row.cell_name,
            row.leader.status.label,
            row.progress.required_attended if row.progress else 0,
            row.progress.required_total if row.progress else 0,
            float(row.progress.hours) if row.progress else 0.0,
            row.certificate.number if row.certificate else "",
        ]
        for i, row in enumerate(rows, start=1)
    ]


def attendance_rows(rows: list[SheetRow], people: Mapping[int, PersonView]) -> list[list[Any]]:
    return [
        [
            i,
            people[row.leader.id].name,
            local_datetime(row.enrolment.enrolled_at),
            "出席" if row.present else "缺席",
            local_datetime(row.checked_in_at),
            row.attendance.correction_reason or "" if row.attendance else "",
        ]
        for i, row in enumerate(rows, start=1)
    ]


def stamp(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y%m%d")
