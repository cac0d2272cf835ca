"""Members of an organisation and its annual reports: kept by the organisation's own organisers,
by grid staff over a filed organisation's filing, and by the bureau (`policy.can_maintain`).

- One legal representative and one contact at a time: naming a new one ends the previous one's
  role that day (history kept). The organisation's `contact_id` follows its current contact.
- A person is named once per role at a time.
- An annual report is for a finished year, not before the organisation existed; a returned report
  may be submitted again; the bureau accepts or returns it with a note.
"""

from __future__ import annotations

from datetime import date

from tortoise.transactions import in_transaction

from domain.access import Actor
from domain.audit import service as audit
from domain.errors import DomainError, ErrorCode, NotFound, ValidationError
from domain.grids.models import GridCell
from domain.organisations import policy
from domain.organisations.models import (
    AnnualReport,
    MemberRole,
    Organisation,
    OrganisationMember,
    OrgStatus,
    ReportStatus,
)
from domain.people.models import Person

SINGLE_ROLES = frozenset({MemberRole.LEGAL_REPRESENTATIVE, MemberRole.CONTACT})


async def _maintained(actor: Actor, organisation_id: int) -> Organisation:
    """The organisation locked for the change, once the actor may maintain it."""
    policy.require_write(actor)
    organisation = await Organisation.select_for_update().get_or_none(id=organisation_id)
    if organisation is None:
        raise NotFound("社会组织不存在", ["organisationId"])
    filing = (
        await GridCell.get_or_none(id=organisation.filing_cell_id) if organisation.filing_cell_id else None
    )
    policy.require_maintain(actor, organisation, filing.path if filing else None)
    if organisation.status is OrgStatus.DEREGISTERED:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "已注销的组织不能再变更", ["organisationId"])
    return organisation


async def add_member(
    *, actor: Actor, organisation_id: int, person_id: int, role: MemberRole, started_on: date, today: date
) -> OrganisationMember:
    if started_on > today:
        raise ValidationError(ErrorCode.FUTURE_TIME, "日期不能晚于今天", ["startedOn"])
    async with in_transaction():
        organisation = await _maintained(actor, organisation_id)
        if not await Person.exists(id=person_id):
            raise NotFound("人员不存在", ["personId"])
        current = OrganisationMember.filter(organisation_id=organisation.id, role=role, ended_on__isnull=True)
        if await current.filter(person_id=person_id).exists():
            raise DomainError(ErrorCode.DUPLICATE_PERSON, f"此人已是该组织的{role.label}", ["personId"])
        if role in SINGLE_ROLES:
            await current.update(ended_on=started_on)
        member = await OrganisationMember.create(
            organisation_id=organisation.id, person_id=person_id, role=role, started_on=started_on
        )
        if role is MemberRole.CONTACT:
            organisation.contact_id = person_id
            await organisation.save(update_fields=["contact_id", "updated_at"])
        await audit.record(
            actor,
            "organisation.add_member",
            "Organisation",
            organisation.id,
            role=role.label,
            person_id=person_id,
        )
    return member


async def end_member(*, actor: Actor, member_id: int, ended_on: date, today: date) -> OrganisationMember:
    async with in_transaction():
        member = await OrganisationMember.get_or_none(id=member_id)
        if member is None:
            raise NotFound("成员记录不存在", ["memberId"])
        organisation = await _maintained(actor, member.organisation_id)
        if member.ended_on is not None:
            raise DomainError(ErrorCode.INVALID_TRANSITION, "该成员身份已结束", ["memberId"])
        if ended_on > today or (member.started_on is not None and ended_on < member.started_on):
            raise ValidationError(ErrorCode.OUT_OF_RANGE, "结束日期须在开始日期与今天之间", ["endedOn"])
        member.ended_on = ended_on
        await member.save(update_fields=["ended_on"])
        if member.role is MemberRole.CONTACT and organisation.contact_id == member.person_id:
            organisation.contact_id = None
            await organisation.save(update_fields=["contact_id", "updated_at"])
        await audit.record(
            actor, "organisation.end_member", "Organisation", organisation.id, role=member.role.label
        )
    return member


async def submit_annual_report(*, actor: Actor, organisation_id: int, year: int, today: date) -> AnnualReport:
    async with in_transaction():
        organisation = await _maintained(actor, organisation_id)
        started = organisation.founded_on or organisation.filed_on or organisation.registered_on
        if year >= today.year or (started is not None and year < started.year):
            raise ValidationError(ErrorCode.OUT_OF_RANGE, "只能报送成立后已结束年度的年报", ["year"])
        report = await AnnualReport.select_for_update().get_or_none(
            organisation_id=organisation.id, year=year
        )
        if report is not None and report.status is not ReportStatus.RETURNED:
            raise DomainError(
                ErrorCode.INVALID_TRANSITION, f"{year} 年度报告已{report.status.label}", ["year"]
            )
        if report is None:
            report = await AnnualReport.create(
                organisation_id=organisation.id, year=year, status=ReportStatus.SUBMITTED, submitted_on=today
            )
        else:
            report.status, report.submitted_on, report.decided_on = ReportStatus.SUBMITTED, today, None
            await report.save(update_fields=["status", "submitted_on", "decided_on"])
        await audit.record(actor, "organisation.submit_report", "Organisation", organisation.id, year=year)
    return report


async def decide_annual_report(
    *, actor: Actor, report_id: int, accept: bool, note: str, today: date
) -> AnnualReport:
    policy.require_bureau(actor)
    note = note.strip()
    if not accept and not note:
        raise ValidationError(ErrorCode.REASON_REQUIRED, "退回年报须说明原因", ["note"])
    async with in_transaction():
        report = await AnnualReport.select_for_update().get_or_none(id=report_id)
        if report is None:
            raise NotFound("年度报告不存在", ["reportId"])
        if report.status is not ReportStatus.SUBMITTED:
            raise DomainError(ErrorCode.INVALID_TRANSITION, f"年度报告已{report.status.label}", ["reportId"])
        report.status = ReportStatus.ACCEPTED if accept else ReportStatus.RETURNED
        report.decided_on, report.note = today, note
        await report.save(update_fields=["status", "decided_on", "note"])
        action = "organisation.accept_report" if accept else "organisation.return_report"
        await audit.record(
            actor, action, "Organisation", report.organisation_id, year=report.year, reason=note
        )
    return report
