"""What every use case of micro-leaders shares: the lifecycle (status transitions with their dates
and audit), the leader lock that every writer takes first, free-text validation, and automatic
certification (with its certificate).

Used by `domain.leaders.service` (leaders) and `domain.leaders.training` (cohorts, sessions,
enrolment, attendance); neither of them is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from tortoise.transactions import in_transaction

from domain import sql
from domain.access import Actor
from domain.audit import service as audit
from domain.clock import SHANGHAI
from domain.errors import DomainError, ErrorCode, NotFound, ValidationError
from domain.leaders import queries
from domain.leaders.models import LEADER_TRANSITIONS, Certificate, Cohort, LeaderStatus, MicroLeader
from domain.leaders.queries import Progress

AUTOMATIC_REASON = "达到结业条件"
CERTIFICATE_PREFIX = "PH-WLX"

DATE_OF_STATUS = {
    LeaderStatus.ENROLLED: "enrolled_at",
    LeaderStatus.CERTIFIED: "certified_at",
    LeaderStatus.WITHDRAWN: "withdrawn_at",
}


def now() -> datetime:
    return datetime.now(UTC)


# --- validation -------------------------------------------------------------------------------


def reason(raw: str, field: str = "reason") -> str:
    reason = " ".join(raw.split())
    if not 2 <= len(reason) <= 200:
        raise ValidationError(ErrorCode.REASON_REQUIRED, "请填写原因（2–200 字）", [field])
    return reason


def text(raw: str, field: str, label: str, max_length: int) -> str:
    text = " ".join(raw.split())
    if not 1 <= len(text) <= max_length:
        raise ValidationError(ErrorCode.INVALID, f"{label}须为 1–{max_length} 个字符", [field])
    return text


# --- the leader lifecycle ---------------------------------------------------------------------


def transition(leader: MicroLeader, to: LeaderStatus, reason: str | None, now: datetime) -> LeaderStatus:
    """Move `leader` to `to` (in memory) if the lifecycle allows it; returns the former status."""
    before = leader.status
    if to not in LEADER_TRANSITIONS[before]:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, f"“{before.label}”的微领袖不能变为“{to.label}”", ["status"]
        )
    leader.status = to
    leader.status_reason = reason
    setattr(leader, DATE_OF_STATUS[to], now)
    return before


async def save_status(leader: MicroLeader) -> None:
    await leader.save(update_fields=["status", "status_reason", DATE_OF_STATUS[leader.status]])


async def record_transition(
    actor: Actor, leader: MicroLeader, action: str, before: LeaderStatus, **extra: object
) -> None:
    await audit.record(
        actor,
        action,
        "MicroLeader",
        leader.id,
        **{"from": before.value, "to": leader.status.value, "reason": leader.status_reason},
        **extra,
    )


async def lock_leader(leader_id: int) -> MicroLeader:
    """The leader row, locked until the end of the transaction (the first lock every writer takes)."""
    leader = await MicroLeader.select_for_update(no_key=True).get_or_none(id=leader_id)
    if leader is None:
        raise NotFound("微领袖不存在", ["leaderId"])
    return leader


@dataclass(frozen=True)
class Certified:
    """An automatic certification: the progress that met the rule, and the certificate issued."""

    progress: Progress
    certificate: Certificate


async def _next_certificate_number(year: int) -> str:
    """PH-WLX-<year>-<nnnn>: one atomic upsert per number, so concurrent certifications in one year
    never get the same number (the row stays locked until the caller's transaction ends)."""
    rows = await sql.fetch_all(
        "INSERT INTO certificate_sequence (year, last_number) VALUES (?, 1) "
        "ON CONFLICT (year) DO UPDATE SET last_number = certificate_sequence.last_number + 1 "
        "RETURNING last_number",
        [year],
    )
    return f"{CERTIFICATE_PREFIX}-{year}-{int(rows[0]['last_number']):04d}"


def shanghai_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


async def issue_certificate(leader: MicroLeader, now: datetime, *, automatic: bool) -> Certificate:
    """Inside the caller's transaction, right after `leader` became CERTIFIED: their 结业证书,
    numbered in their cohort's year and dated today (Shanghai)."""
    cohort = await Cohort.get(id=leader.cohort_id).only("id", "year")
    return await Certificate.create(
        leader_id=leader.id,
        cohort_id=cohort.id,
        number=await _next_certificate_number(cohort.year),
        issued_on=shanghai_date(now),
        automatic=automatic,
        is_demo=leader.is_demo,
    )


async def certify_if_met(leader: MicroLeader, now: datetime) -> Certified | None:
    """Inside the caller's transaction, with `leader` locked: certify an ENROLLED leader whose
    progress now meets the rule, and issue their certificate. Never un-certifies (see
    `correct_attendance`)."""
    if leader.status is not LeaderStatus.ENROLLED:
        return None
    progress = await queries.certification_progress(leader.id)
    if not progress.met:
        return None
    transition(leader, LeaderStatus.CERTIFIED, AUTOMATIC_REASON, now)
    await save_status(leader)
    return Certified(progress, await issue_certificate(leader, now, automatic=True))


async def record_automatic_certification(actor: Actor, leader: MicroLeader, certified: Certified) -> None:
    progress = certified.progress
    await record_transition(
        actor,
        leader,
        "leader.certify",
        LeaderStatus.ENROLLED,
        automatic=True,
        required_attended=progress.required_attended,
        required_total=progress.required_total,
        hours=str(progress.hours),
        certificate=certified.certificate.number,
    )


async def recertify(actor: Actor, cohort_id: int) -> None:
    """Certify the cohort's ENROLLED leaders whom a change of the plan lets meet the rule, each in
    its own transaction (after the plan change committed, keeping the leader-first lock order)."""
    enrolled = MicroLeader.filter(cohort_id=cohort_id, status=LeaderStatus.ENROLLED).only("id")
    progress = await queries.progress_for([leader.id for leader in await enrolled])
    for leader_id in sorted(i for i, p in progress.items() if p.met):
        async with in_transaction():
            leader = await lock_leader(leader_id)
            certified = await certify_if_met(leader, now())
            if certified is not None:
                await record_automatic_certification(actor, leader, certified)
