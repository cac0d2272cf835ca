"""Who may do what to micro-leaders, cohorts and training sessions.

Every change here is business data, so every mutation needs the token scope `write:activities`.
"Bureau" means BUREAU_STAFF or the command line (seeds, imports); ADMIN runs accounts, not
casework, and has no business rights here (separation of duties). Leaders are public in masked
form, so a refusal is Forbidden, never Not Found.
"""

from __future__ import annotations

from domain.access import Actor, Role, require_scope, require_signed_in
from domain.errors import PermissionDenied
from domain.leaders.models import MicroLeader, TrainingSession
from domain.people.policy import can_see_full_names

SCOPE = "write:activities"


def _is_bureau(actor: Actor) -> bool:
    return actor.system or actor.has_role(Role.BUREAU_STAFF)


def _may_write(actor: Actor) -> None:
    require_signed_in(actor)
    require_scope(actor, SCOPE)


def is_leader_self(actor: Actor, leader: MicroLeader) -> bool:
    """The leader acting for themself: their own person, with the MICRO_LEADER role."""
    return (
        actor.person_id is not None
        and actor.person_id == leader.person_id
        and actor.has_role(Role.MICRO_LEADER)
    )


# --- cohorts and leaders ----------------------------------------------------------------------


def can_nominate(actor: Actor, cell_path: str) -> bool:
    """Bureau staff anywhere; grid staff for home cells inside their subtree."""
    return _is_bureau(actor) or actor.has_role_over(cell_path, Role.GRID_STAFF)


def require_nominate(actor: Actor, cell_path: str) -> None:
    _may_write(actor)
    if not can_nominate(actor, cell_path):
        raise PermissionDenied("只有辖区网格员或民政局工作人员可以提名微领袖")


def can_withdraw(actor: Actor, leader: MicroLeader) -> bool:
    return can_nominate(actor, leader.home_path)


def require_withdraw(actor: Actor, leader: MicroLeader) -> None:
    _may_write(actor)
    if not can_withdraw(actor, leader):
        raise PermissionDenied("只有辖区网格员或民政局工作人员可以办理微领袖退出")


def can_certify(actor: Actor) -> bool:
    """Certifying by hand overrides the completion rule, so it is the bureau's alone."""
    return _is_bureau(actor)


def require_certify(actor: Actor) -> None:
    _may_write(actor)
    if not can_certify(actor):
        raise PermissionDenied("只有民政局工作人员可以手动认证微领袖")


def can_manage_training(actor: Actor) -> bool:
    """Cohorts and the training plan (sessions) are set by the bureau."""
    return _is_bureau(actor)


def require_manage_training(actor: Actor) -> None:
    _may_write(actor)
    if not can_manage_training(actor):
        raise PermissionDenied("只有民政局工作人员可以管理培训计划")


def can_view_progress(actor: Actor, leader: MicroLeader) -> bool:
    """A leader's attendance and progress: the leader, grid staff in scope, the bureau."""
    return is_leader_self(actor, leader) or can_nominate(actor, leader.home_path)


def can_search_by_name(actor: Actor) -> bool:
    """A name search on a masked directory would confirm who is a leader: staff only."""
    return can_see_full_names(actor)


def require_search_by_name(actor: Actor) -> None:
    if not can_search_by_name(actor):
        raise PermissionDenied("按姓名搜索仅对工作人员开放")


# --- enrolment and attendance -----------------------------------------------------------------


def can_enrol(actor: Actor, leader: MicroLeader) -> bool:
    """The leader themself, grid staff over the leader's home cell, or the bureau."""
    return is_leader_self(actor, leader) or can_nominate(actor, leader.home_path)


def require_enrol(actor: Actor, leader: MicroLeader) -> None:
    _may_write(actor)
    if not can_enrol(actor, leader):
        raise PermissionDenied("只能为本人或辖区内的微领袖报名")


def can_run_check_in(actor: Actor, session: TrainingSession) -> bool:
    """The session's facilitator (by account) or the bureau: open check-in, correct the sheet."""
    is_facilitator = actor.user_id is not None and actor.user_id == session.facilitator_user_id
    return is_facilitator or _is_bureau(actor)


def require_run_check_in(actor: Actor, session: TrainingSession) -> None:
    _may_write(actor)
    if not can_run_check_in(actor, session):
        raise PermissionDenied("只有本场培训的主持人或民政局工作人员可以管理签到")


def can_view_sheet(actor: Actor, session: TrainingSession) -> bool:
    """The attendance sheet: the facilitator, grid staff, the bureau."""
    return can_run_check_in(actor, session) or actor.has_role(Role.GRID_STAFF)


def require_check_in(actor: Actor) -> None:
    _may_write(actor)
    if not actor.has_role(Role.MICRO_LEADER) or actor.person_id is None:
        raise PermissionDenied("只有微领袖本人可以签到")


# --- the staff's training pages, exports and certificates -------------------------------------


def can_open_training(actor: Actor) -> bool:
    """The staff's 培训 pages (cohorts, plans, rosters): the bureau and grid staff (who nominate
    and follow their leaders); what each may change is decided per action above."""
    return _is_bureau(actor) or actor.has_role(Role.GRID_STAFF)


def require_open_training(actor: Actor) -> None:
    require_signed_in(actor)
    if not can_open_training(actor):
        raise PermissionDenied("只有民政局工作人员和网格员可以查看培训管理页面")


def can_view_certificate(actor: Actor, leader: MicroLeader) -> bool:
    """A 结业证书: the leader themself, grid staff over their home cell, the bureau."""
    return can_view_progress(actor, leader)


def require_view_certificate(actor: Actor, leader: MicroLeader) -> None:
    require_signed_in(actor)
    if not can_view_certificate(actor, leader):
        raise PermissionDenied("只有本人、辖区网格员或民政局工作人员可以查看结业证书")
