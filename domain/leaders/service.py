"""Use cases of micro-leaders themselves: nomination (grid staff within their scope, or the
bureau), certification by hand and withdrawal, each with a reason. Cohorts, sessions, enrolment and
attendance are in `domain.leaders.training`; the shared lifecycle in `domain.leaders.lifecycle`.

Concurrency: every use case that changes a leader first locks the leader row (`SELECT ... FOR NO
KEY UPDATE` on PostgreSQL; SQLite serialises writers), then touches session rows, and writes the
audit record last (see `domain.leaders.training`).
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from domain.access import Actor
from domain.audit import service as audit
from domain.errors import DomainError, ErrorCode, NotFound, ValidationError
from domain.grids.models import GridCell
from domain.input import Errors
from domain.leaders import lifecycle, policy, queries, training
from domain.leaders.errors import LeaderCode
from domain.leaders.models import Cohort, LeaderStatus, MicroLeader, SourceRole
from domain.people.models import Person
from domain.people.validation import normalise_mobile, normalise_person_name

# --- nomination -------------------------------------------------------------------------------


async def _home_cell(actor: Actor, cell_id: int) -> GridCell:
    """The home cell, once the actor may nominate there (cells are public: Not Found first)."""
    cell = await GridCell.get_or_none(id=cell_id)
    if cell is None:
        raise NotFound("网格单元不存在", ["homeCellId"])
    policy.require_nominate(actor, cell.path)
    if cell.retired:
        raise ValidationError(ErrorCode.RETIRED, "该网格单元已撤销", ["homeCellId"])
    return cell


async def _require_free(person_id: int) -> None:
    """A person is in at most one active cohort, and a certified leader is not trained again.
    Called with the person row locked, so two nominations of one person run one after the other."""
    statuses = {
        leader.status for leader in await MicroLeader.filter(person_id=person_id).only("id", "status")
    }
    if statuses & {LeaderStatus.NOMINATED, LeaderStatus.ENROLLED}:
        raise DomainError(LeaderCode.ALREADY_ACTIVE_LEADER, "此人已在一期培训中", ["personId"])
    if LeaderStatus.CERTIFIED in statuses:
        raise DomainError(LeaderCode.ALREADY_CERTIFIED, "此人已结业认证为微领袖", ["personId"])


async def _nominate(
    actor: Actor, person: Person, cohort: Cohort, cell: GridCell, source_role: SourceRole, is_demo: bool
) -> MicroLeader:
    await _require_free(person.id)
    leader = await MicroLeader.create(
        person_id=person.id,
        cohort_id=cohort.id,
        home_cell_id=cell.id,
        home_path=cell.path,
        source_role=source_role,
        status=LeaderStatus.NOMINATED,
        nominated_at=lifecycle.now(),
        is_demo=is_demo,
    )
    leader.person = person
    await audit.record(
        actor,
        "leader.nominate",
        "MicroLeader",
        leader.id,
        **{"from": None, "to": LeaderStatus.NOMINATED.value},
        person_id=person.id,
        cohort_id=cohort.id,
        cell=cell.code,
        source_role=source_role.value,
    )
    return leader


async def nominate_leader(
    *,
    actor: Actor,
    person_id: int,
    cohort_id: int,
    home_cell_id: int,
    source_role: SourceRole,
    is_demo: bool = False,
) -> MicroLeader:
    """Nominate an existing person into a cohort, with a home cell (GRID_STAFF over that cell, or
    BUREAU_STAFF). Refused while the person is active in any cohort, or once certified."""
    cell = await _home_cell(actor, home_cell_id)
    cohort = await queries.cohort_by_id(cohort_id)
    async with in_transaction():
        person = await Person.select_for_update(no_key=True).get_or_none(id=person_id)
        if person is None:
            raise NotFound("人员不存在", ["personId"])
        return await _nominate(actor, person, cohort, cell, source_role, is_demo)


async def nominate_new_person(
    *,
    actor: Actor,
    name: str,
    mobile: str,
    cohort_id: int,
    home_cell_id: int,
    source_role: SourceRole,
    is_demo: bool = False,
) -> MicroLeader:
    """Register a person (name, mobile) and nominate them in one step. A mobile number already on
    record is refused: nominate that person instead, so one person never becomes two."""
    cell = await _home_cell(actor, home_cell_id)
    cohort = await queries.cohort_by_id(cohort_id)
    errors = Errors()
    clean_name = errors.check(lambda: normalise_person_name(name))
    clean_mobile = errors.check(lambda: normalise_mobile(mobile))
    if clean_mobile and await Person.filter(mobile=clean_mobile).exists():
        errors.add(ErrorCode.DUPLICATE_PERSON, "该手机号已登记，请提名已登记的人员", "mobile")
    errors.raise_any()
    assert clean_name is not None
    async with in_transaction():
        person = await Person.create(name=clean_name, mobile=clean_mobile, is_demo=is_demo)
        return await _nominate(actor, person, cohort, cell, source_role, is_demo)


# --- withdrawal and certification by hand -----------------------------------------------------


async def withdraw_leader(*, actor: Actor, leader_id: int, reason: str) -> MicroLeader:
    """Take a NOMINATED or ENROLLED leader out of training (grid staff in scope, or the bureau).
    Their enrolments in sessions that have not started are cancelled, freeing the seats."""
    leader = await queries.leader_by_id(leader_id)
    policy.require_withdraw(actor, leader)
    clean_reason = lifecycle.reason(reason)
    now = lifecycle.now()
    async with in_transaction():
        locked = await lifecycle.lock_leader(leader.id)
        before = lifecycle.transition(locked, LeaderStatus.WITHDRAWN, clean_reason, now)
        await lifecycle.save_status(locked)
        freed = await training.cancel_upcoming_enrolments(actor, locked.id, now)
        await lifecycle.record_transition(actor, locked, "leader.withdraw", before, cancelled_sessions=freed)
    locked.person = leader.person
    return locked


async def certify_leader(*, actor: Actor, leader_id: int, reason: str) -> MicroLeader:
    """Certify an ENROLLED leader by hand (bureau only), whether or not the rule is met; the
    audit row says whether it was. Issues the leader's certificate."""
    policy.require_certify(actor)
    clean_reason = lifecycle.reason(reason)
    now = lifecycle.now()
    async with in_transaction():
        leader = await lifecycle.lock_leader(leader_id)
        progress = await queries.certification_progress(leader.id)
        before = lifecycle.transition(leader, LeaderStatus.CERTIFIED, clean_reason, now)
        await lifecycle.save_status(leader)
        certificate = await lifecycle.issue_certificate(leader, now, automatic=False)
        await lifecycle.record_transition(
            actor,
            leader,
            "leader.certify",
            before,
            automatic=False,
            rule_met=progress.met,
            certificate=certificate.number,
        )
    return leader
