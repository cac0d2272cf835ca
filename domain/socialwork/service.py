"""Use cases of social work: stations, agency placements, the social-worker register and the
supervision log. The bureau keeps the register (stations, placements, workers and supervisor
levels); a supervisor logs their own supervision, the bureau may log for anyone. Audited.

- An agency is a registered 社会服务机构 with the social-work flag (`Organisation.is_agency`).
- A placement is in a village or community (depth `UNIT_DEPTH`); one agency is not placed twice
  in the same cell at once.
- A supervision record names a supervisor (a worker with a supervisor level) and one supervisee
  for individual supervision, two or more for group or peer supervision; never the supervisor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.access import Actor
from domain.audit import service as audit
from domain.errors import (
    DomainError,
    ErrorCode,
    NotFound,
    PermissionDenied,
    ValidationError,
    ValidationErrors,
)
from domain.grids.models import UNIT_DEPTH, GridCell
from domain.organisations import policy as org_policy
from domain.organisations.models import Organisation
from domain.people.models import Person
from domain.socialwork import queries
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

MAX_SUPERVISEES = 30
MAX_MINUTES = 8 * 60


async def _agency(agency_id: int) -> Organisation:
    agency = await Organisation.get_or_none(id=agency_id)
    if agency is None:
        raise NotFound("社工机构不存在", ["agencyId"])
    if not agency.is_agency:
        raise DomainError(
            ErrorCode.NOT_FOR_TYPE, "只有登记为社会服务机构的社工机构可以驻点服务", ["agencyId"]
        )
    return agency


async def place_agency(
    *, actor: Actor, agency_id: int, cell_id: int, started_on: date, today: date
) -> Placement:
    org_policy.require_bureau(actor)
    agency = await _agency(agency_id)
    cell = await GridCell.get_or_none(id=cell_id)
    if cell is None:
        raise NotFound("网格单元不存在", ["cellId"])
    if cell.depth != UNIT_DEPTH:
        raise ValidationError(ErrorCode.INVALID_PARENT, "驻点服务须选择村或社区", ["cellId"])
    if started_on > today:
        raise ValidationError(ErrorCode.FUTURE_TIME, "日期不能晚于今天", ["startedOn"])
    async with in_transaction():
        await Organisation.select_for_update().get(id=agency.id)
        if await Placement.filter(agency_id=agency.id, cell_id=cell.id, ended_on__isnull=True).exists():
            raise DomainError(ErrorCode.DUPLICATE_CODE, "该机构已在此村（社区）驻点", ["cellId"])
        placement = await Placement.create(agency_id=agency.id, cell_id=cell.id, started_on=started_on)
        await audit.record(actor, "agency.place", "Organisation", agency.id, cell=cell.name)
    return placement


async def end_placement(*, actor: Actor, placement_id: int, ended_on: date, today: date) -> Placement:
    org_policy.require_bureau(actor)
    async with in_transaction():
        placement = await Placement.select_for_update().get_or_none(id=placement_id)
        if placement is None:
            raise NotFound("驻点记录不存在", ["placementId"])
        if placement.ended_on is not None:
            raise DomainError(ErrorCode.INVALID_TRANSITION, "该驻点已结束", ["placementId"])
        if not placement.started_on <= ended_on <= today:
            raise ValidationError(ErrorCode.OUT_OF_RANGE, "结束日期须在开始日期与今天之间", ["endedOn"])
        placement.ended_on = ended_on
        await placement.save(update_fields=["ended_on"])
        await audit.record(actor, "agency.end_placement", "Organisation", placement.agency_id)
    return placement


@dataclass(frozen=True)
class WorkerInput:
    person_id: int
    level: CertificateLevel
    certificate_number: str
    certificate_year: int
    employer_id: int | None = None
    station_id: int | None = None
    supervisor_level: SupervisorLevel | None = None


async def _check_worker(data: WorkerInput, today: date) -> str:
    errors: list[DomainError] = []
    number = data.certificate_number.strip()
    if not 4 <= len(number) <= 40:
        errors.append(
            ValidationError(ErrorCode.INVALID_LENGTH, "证书编号须为 4–40 个字符", ["certificateNumber"])
        )
    if not 2008 <= data.certificate_year <= today.year:  # the national examinations began in 2008
        errors.append(
            ValidationError(
                ErrorCode.OUT_OF_RANGE, f"取证年份须在 2008–{today.year} 之间", ["certificateYear"]
            )
        )
    if not await Person.exists(id=data.person_id):
        errors.append(NotFound("人员不存在", ["personId"]))
    if data.employer_id is not None:
        employer = await Organisation.get_or_none(id=data.employer_id)
        if employer is None or not employer.is_agency:
            errors.append(ValidationError(ErrorCode.NOT_FOR_TYPE, "工作单位须为社工机构", ["employerId"]))
    if data.station_id is not None and not await Station.exists(id=data.station_id):
        errors.append(NotFound("社工站不存在", ["stationId"]))
    if errors:
        raise ValidationErrors(errors)
    return number


async def register_worker(
    *, actor: Actor, data: WorkerInput, today: date, is_demo: bool = False
) -> SocialWorker:
    org_policy.require_bureau(actor)
    number = await _check_worker(data, today)
    try:
        async with in_transaction():
            worker = await SocialWorker.create(
                person_id=data.person_id,
                level=data.level,
                certificate_number=number,
                certificate_year=data.certificate_year,
                employer_id=data.employer_id,
                station_id=data.station_id,
                supervisor_level=data.supervisor_level,
                is_demo=is_demo,
            )
            await audit.record(
                actor, "social_worker.register", "SocialWorker", worker.id, level=data.level.label
            )
    except IntegrityError:
        error = DomainError(ErrorCode.DUPLICATE_CODE, "该人员已登记或证书编号已被使用", ["certificateNumber"])
        raise ValidationErrors([error]) from None
    return worker


def _may_log_for(actor: Actor, supervisor: SocialWorker) -> bool:
    return org_policy.is_bureau(actor) or queries.is_own_supervision(actor, supervisor)


@dataclass(frozen=True)
class SupervisionInput:
    supervisor_id: int
    supervisee_ids: tuple[int, ...]
    form: SupervisionForm
    held_on: date
    minutes: int
    topics: str
    follow_up: str = ""


def _check_supervision(data: SupervisionInput, today: date) -> list[DomainError]:
    errors: list[DomainError] = []
    people = set(data.supervisee_ids)
    if data.supervisor_id in people:
        errors.append(ValidationError(ErrorCode.INVALID, "督导者不能督导自己", ["superviseeIds"]))
    if data.form is SupervisionForm.INDIVIDUAL and len(people) != 1:
        errors.append(ValidationError(ErrorCode.ONE_TO_ONE, "个别督导只能有一名被督导者", ["superviseeIds"]))
    if data.form is not SupervisionForm.INDIVIDUAL and not 2 <= len(people) <= MAX_SUPERVISEES:
        message = f"团体或同辈督导须有 2–{MAX_SUPERVISEES} 名被督导者"
        errors.append(ValidationError(ErrorCode.OUT_OF_RANGE, message, ["superviseeIds"]))
    if not 15 <= data.minutes <= MAX_MINUTES:
        errors.append(ValidationError(ErrorCode.OUT_OF_RANGE, "时长须为 15–480 分钟", ["minutes"]))
    if data.held_on > today:
        errors.append(ValidationError(ErrorCode.FUTURE_TIME, "日期不能晚于今天", ["heldOn"]))
    if not 1 <= len(data.topics.strip()) <= 500:
        errors.append(ValidationError(ErrorCode.INVALID_LENGTH, "督导主题须为 1–500 个字符", ["topics"]))
    return errors


def check_supervision(data: SupervisionInput, today: date) -> list[DomainError]:
    """The errors of the record's own values (no lookups): what a form whose other inputs do not
    parse still shows beside their fields."""
    return _check_supervision(data, today)


async def log_supervision(
    *, actor: Actor, data: SupervisionInput, today: date, is_demo: bool = False
) -> SupervisionRecord:
    org_policy.require_write(actor)
    supervisor = await SocialWorker.get_or_none(id=data.supervisor_id)
    if supervisor is None:
        raise NotFound("督导者不存在", ["supervisorId"])
    if not _may_log_for(actor, supervisor):
        raise PermissionDenied("只能记录本人开展的督导")
    errors = _check_supervision(data, today)
    if supervisor.supervisor_level is None:
        errors.append(ValidationError(ErrorCode.NOT_FOR_TYPE, "该社工没有督导资格", ["supervisorId"]))
    found = await SocialWorker.filter(id__in=set(data.supervisee_ids)).count()
    if found != len(set(data.supervisee_ids)):
        errors.append(NotFound("被督导者不存在", ["superviseeIds"]))
    if errors:
        raise ValidationErrors(errors)
    async with in_transaction():
        record = await SupervisionRecord.create(
            supervisor_id=supervisor.id,
            form=data.form,
            held_on=data.held_on,
            minutes=data.minutes,
            topics=data.topics.strip(),
            follow_up=data.follow_up.strip(),
            author_user_id=actor.user_id,
            is_demo=is_demo,
        )
        await Supervisee.bulk_create(
            [Supervisee(record_id=record.id, worker_id=w) for w in sorted(set(data.supervisee_ids))]
        )
        await audit.record(actor, "supervision.log", "SocialWorker", supervisor.id, minutes=data.minutes)
    return record
