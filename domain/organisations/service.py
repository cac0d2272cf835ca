"""Use cases of the organisation registry: filing and registering, the upgrade from filed to
registered (history kept), deregistration, sanction-list entries, A-level ratings and annual
reports. Every change is audited; bad input raises every field error at once.

Concurrency: a use case that changes an organisation locks its row first (`SELECT ... FOR
UPDATE` on PostgreSQL; SQLite serialises writers) and writes the audit record last. Uniqueness
of the credit code and the filing number is the database's (unique indexes), so two
simultaneous registrations of one code cannot both succeed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.access import Actor
from domain.audit import service as audit
from domain.clock import years_later
from domain.errors import DomainError, ErrorCode, NotFound, ValidationError, ValidationErrors
from domain.grids.models import TOWN_DEPTH, GridCell, path_ids
from domain.organisations import policy
from domain.organisations.codes import validate_uscc
from domain.organisations.models import (
    BAR_YEARS,
    ORG_TRANSITIONS,
    LegalForm,
    Organisation,
    OrgField,
    OrgStatus,
    Rating,
    RatingRecord,
    Sanction,
    SanctionList,
    rating_valid_until,
)


@dataclass(frozen=True)
class OrganisationInput:
    name: str
    legal_form: LegalForm
    field: OrgField
    home_cell_id: int
    founded_on: date | None = None
    summary: str = ""
    social_work: bool = False
    # registered (登记)
    uscc: str | None = None
    registered_on: date | None = None
    # filed (备案)
    filing_number: str | None = None
    filing_cell_id: int | None = None
    filed_on: date | None = None


def _invalid(code: ErrorCode, message: str, path: str) -> ValidationError:
    return ValidationError(code, message, [path])


def _text(value: str | None, path: str, label: str, low: int, high: int, errors: list[DomainError]) -> str:
    text = (value or "").strip()
    if not low <= len(text) <= high:
        errors.append(ValidationError(ErrorCode.INVALID_LENGTH, f"{label}须为 {low}–{high} 个字符", [path]))
    return text


async def _cell(cell_id: int | None, path: str, errors: list[DomainError]) -> GridCell | None:
    cell = await GridCell.get_or_none(id=cell_id) if cell_id is not None else None
    if cell is None:
        errors.append(NotFound("网格单元不存在", [path]))
    elif cell.retired:
        errors.append(ValidationError(ErrorCode.RETIRED, "该网格单元已撤销", [path]))
    return cell


def _check_dates(data: OrganisationInput, today: date, errors: list[DomainError]) -> None:
    dates = {"foundedOn": data.founded_on, "registeredOn": data.registered_on, "filedOn": data.filed_on}
    for path, day in dates.items():
        if day is not None and day > today:
            errors.append(ValidationError(ErrorCode.FUTURE_TIME, "日期不能晚于今天", [path]))


def _town_id(cell: GridCell) -> int | None:
    ids = path_ids(cell.path)
    return ids[TOWN_DEPTH] if len(ids) > TOWN_DEPTH else None


async def _checked_new(data: OrganisationInput, today: date) -> tuple[dict[str, Any], GridCell]:
    """The row's values once every rule holds (else every error at once), and the cell the
    permission is decided on: the filing cell of a filed organisation, else the home cell."""
    errors: list[DomainError] = []
    name = _text(data.name, "name", "组织名称", 2, 100, errors)
    summary = _text(data.summary, "summary", "简介", 0, 500, errors)
    home = await _cell(data.home_cell_id, "homeCellId", errors)
    values: dict[str, Any] = {"name": name, "summary": summary, "legal_form": data.legal_form}
    filing: GridCell | None = None
    if data.legal_form.registered:
        try:
            values["uscc"] = validate_uscc(data.uscc or "", data.legal_form)
        except ValidationError as error:
            errors.append(error)
        values.update(status=OrgStatus.REGISTERED, registered_on=data.registered_on or today)
    else:
        filing = await _cell(data.filing_cell_id, "filingCellId", errors)
        number = _text(data.filing_number, "filingNumber", "备案编号", 1, 40, errors)
        if filing is not None and home is not None and not home.path.startswith(filing.path):
            message = "活动地须在备案的镇（街道）或社区范围内"
            errors.append(_invalid(ErrorCode.INVALID_PARENT, message, "homeCellId"))
        values.update(status=OrgStatus.FILED, filing_number=number, filed_on=data.filed_on or today)
    if data.social_work and data.legal_form is not LegalForm.SERVICE_INSTITUTION:
        errors.append(_invalid(ErrorCode.NOT_FOR_TYPE, "社工机构须为登记的社会服务机构", "socialWork"))
    _check_dates(data, today, errors)
    if errors:
        raise ValidationErrors(errors)
    assert home is not None
    values.update(
        field=data.field,
        home_cell_id=home.id,
        home_path=home.path,
        town_id=_town_id(home),
        founded_on=data.founded_on,
        social_work=data.social_work,
        filing_cell_id=filing.id if filing else None,
    )
    return values, filing or home


async def check_organisation(data: OrganisationInput, today: date) -> None:
    """Every error `create_organisation` would raise about the input itself, changing nothing: a
    form whose other inputs do not even parse still shows these beside their fields."""
    await _checked_new(data, today)


async def _unique_name(name: str, exclude: int | None = None) -> None:
    clash = Organisation.filter(name=name).exclude(status=OrgStatus.DEREGISTERED)
    if exclude is not None:
        clash = clash.exclude(id=exclude)
    if await clash.exists():
        raise ValidationErrors([DomainError(ErrorCode.DUPLICATE_NAME, "已有同名的社会组织", ["name"])])


def _duplicate(error: IntegrityError) -> DomainError:
    text = str(error).lower()
    if "uscc" in text:
        return DomainError(ErrorCode.DUPLICATE_CODE, "该统一社会信用代码已登记", ["uscc"])
    if "filing_number" in text:
        return DomainError(ErrorCode.DUPLICATE_CODE, "该备案编号已被使用", ["filingNumber"])
    raise error


async def create_organisation(
    *, actor: Actor, data: OrganisationInput, today: date, is_demo: bool = False
) -> Organisation:
    """Register (three legal forms, bureau only) or file (社区社会组织, bureau or grid staff over the
    filing town or community) an organisation."""
    policy.require_write(actor)
    values, decided_on = await _checked_new(data, today)
    if data.legal_form.registered:
        policy.require_bureau(actor)
    else:
        policy.require_file_at(actor, decided_on.path)
    try:
        async with in_transaction():
            await _unique_name(str(values["name"]))
            organisation = await Organisation.create(**values, is_demo=is_demo)
            action = "organisation.register" if data.legal_form.registered else "organisation.file"
            await audit.record(actor, action, "Organisation", organisation.id, name=organisation.name)
    except IntegrityError as error:
        raise ValidationErrors([_duplicate(error)]) from None
    return organisation


async def _locked(organisation_id: int) -> Organisation:
    organisation = await Organisation.select_for_update().get_or_none(id=organisation_id)
    if organisation is None:
        raise NotFound("社会组织不存在", ["id"])
    return organisation


def _require_transition(organisation: Organisation, to: OrgStatus) -> None:
    if to not in ORG_TRANSITIONS[organisation.status]:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, f"{organisation.status.label}的组织不能变更为{to.label}", ["id"]
        )


async def upgrade_to_registered(
    *, actor: Actor, organisation_id: int, legal_form: LegalForm, uscc: str, registered_on: date, today: date
) -> Organisation:
    """A filed community organisation registers as a legal person: its filing number and date stay
    as history, its status and legal form change."""
    policy.require_bureau(actor)
    errors: list[DomainError] = []
    if not legal_form.registered:
        errors.append(_invalid(ErrorCode.INVALID, "请选择登记的组织类型", "legalForm"))
    else:
        try:
            uscc = validate_uscc(uscc, legal_form)
        except ValidationError as error:
            errors.append(error)
    if registered_on > today:
        errors.append(_invalid(ErrorCode.FUTURE_TIME, "日期不能晚于今天", "registeredOn"))
    if errors:
        raise ValidationErrors(errors)
    try:
        async with in_transaction():
            organisation = await _locked(organisation_id)
            _require_transition(organisation, OrgStatus.REGISTERED)
            before = organisation.legal_form
            organisation.status, organisation.legal_form = OrgStatus.REGISTERED, legal_form
            organisation.uscc, organisation.registered_on = uscc, registered_on
            await organisation.save(
                update_fields=["status", "legal_form", "uscc", "registered_on", "updated_at"]
            )
            change = {"from": before.label, "to": legal_form.label}
            await audit.record(actor, "organisation.upgrade", "Organisation", organisation.id, **change)
    except IntegrityError as error:
        raise ValidationErrors([_duplicate(error)]) from None
    return organisation


async def deregister(
    *, actor: Actor, organisation_id: int, on: date, reason: str, today: date
) -> Organisation:
    policy.require_bureau(actor)
    reason = reason.strip()
    if not reason:
        raise _invalid(ErrorCode.REASON_REQUIRED, "请填写注销原因", "reason")
    if on > today:
        raise _invalid(ErrorCode.FUTURE_TIME, "日期不能晚于今天", "on")
    async with in_transaction():
        organisation = await _locked(organisation_id)
        _require_transition(organisation, OrgStatus.DEREGISTERED)
        organisation.status, organisation.deregistered_on = OrgStatus.DEREGISTERED, on
        await organisation.save(update_fields=["status", "deregistered_on", "updated_at"])
        await audit.record(actor, "organisation.deregister", "Organisation", organisation.id, reason=reason)
    return organisation


async def add_sanction(
    *,
    actor: Actor,
    organisation_id: int,
    sanction_list: SanctionList,
    reason: str,
    source: str,
    listed_on: date,
    today: date,
    removed_on: date | None = None,
) -> Sanction:
    """An entry on a list; a bar after a breach ends `BAR_YEARS` later unless a date is given."""
    policy.require_bureau(actor)
    errors: list[DomainError] = []
    reason = _text(reason, "reason", "列入原因", 1, 500, errors)
    source = _text(source, "source", "决定机关及文号", 1, 200, errors)
    if listed_on > today:
        errors.append(_invalid(ErrorCode.FUTURE_TIME, "日期不能晚于今天", "listedOn"))
    if sanction_list is SanctionList.BARRED and removed_on is None:
        removed_on = years_later(listed_on, BAR_YEARS)
    if removed_on is not None and removed_on <= listed_on:
        errors.append(_invalid(ErrorCode.END_BEFORE_START, "移出日期须晚于列入日期", "removedOn"))
    if errors:
        raise ValidationErrors(errors)
    async with in_transaction():
        organisation = await _locked(organisation_id)
        sanction = await Sanction.create(
            organisation_id=organisation.id,
            list=sanction_list,
            reason=reason,
            source=source,
            listed_on=listed_on,
            removed_on=removed_on,
        )
        summary = {"list": sanction_list.label, "reason": reason}
        await audit.record(actor, "organisation.sanction", "Organisation", organisation.id, **summary)
    return sanction


async def lift_sanction(*, actor: Actor, sanction_id: int, on: date, reason: str, today: date) -> Sanction:
    policy.require_bureau(actor)
    reason = reason.strip()
    if not reason:
        raise _invalid(ErrorCode.REASON_REQUIRED, "请填写移出原因", "reason")
    async with in_transaction():
        sanction = await Sanction.select_for_update().get_or_none(id=sanction_id)
        if sanction is None:
            raise NotFound("名录记录不存在", ["id"])
        if not sanction.active_on(on) or on > today:
            raise _invalid(ErrorCode.INVALID, "移出日期须在列入期间内且不晚于今天", "on")
        sanction.removed_on, sanction.removal_reason = on, reason
        await sanction.save(update_fields=["removed_on", "removal_reason"])
        summary = {"list": sanction.list.label, "reason": reason}
        org_id = sanction.organisation_id
        await audit.record(actor, "organisation.lift_sanction", "Organisation", org_id, **summary)
    return sanction


async def record_rating(
    *, actor: Actor, organisation_id: int, level: Rating, rated_on: date, today: date
) -> RatingRecord:
    """An A-level evaluation, valid `RATING_VALID_YEARS` (the day before the anniversary is the last)."""
    policy.require_bureau(actor)
    if rated_on > today:
        raise _invalid(ErrorCode.FUTURE_TIME, "日期不能晚于今天", "ratedOn")
    async with in_transaction():
        organisation = await _locked(organisation_id)
        if organisation.status is not OrgStatus.REGISTERED:
            raise DomainError(ErrorCode.NOT_FOR_TYPE, "只有已登记的社会组织参加等级评估", ["id"])
        valid_until = rating_valid_until(rated_on)
        rating = await RatingRecord.create(
            organisation_id=organisation.id, level=level, rated_on=rated_on, valid_until=valid_until
        )
        latest = (
            await RatingRecord.filter(organisation_id=organisation.id).order_by("-rated_on", "-id").first()
        )
        if latest is not None and latest.id == rating.id:
            organisation.rating, organisation.rating_valid_until = level, valid_until
            await organisation.save(update_fields=["rating", "rating_valid_until", "updated_at"])
        await audit.record(actor, "organisation.rate", "Organisation", organisation.id, level=level.label)
    return rating
