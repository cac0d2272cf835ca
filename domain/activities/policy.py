"""Who may log, edit, review and see activity records.

- Logging: a micro-leader (NOMINATED, ENROLLED or CERTIFIED: a nominee already works in their
  cell; a WITHDRAWN one no longer does) for any cell of their home subtree, and GRID_STAFF for
  any cell their grant covers. The MicroLeader row decides, not the MICRO_LEADER role grant.
- Editing and submitting: the author only, while the record is DRAFT or RETURNED, and only while
  they may still log for its cell (a withdrawn leader's drafts stay drafts).
- Reviewing (verify, return): GRID_STAFF whose grant covers the record's cell, or BUREAU_STAFF;
  never the record's own author.
- Seeing: VERIFIED records are public; DRAFT, SUBMITTED and RETURNED ones are seen by their
  author, GRID_STAFF covering the cell and BUREAU_STAFF. `visible_filter` is the same rule as a
  SQL predicate, applied by every list query. ADMIN runs accounts, not casework, so it sees what
  the public sees (separation of duties, as for personal data).

Every mutating use case needs the token scope `write:activities`.
"""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.expressions import Q

from domain.access import Actor, Role
from domain.accounts.policy import require_scope, require_signed_in
from domain.activities.models import EDITABLE, Activity, ActivityStatus, in_subtree
from domain.errors import DomainError, ErrorCode, NotFound, PermissionDenied
from domain.leaders.models import LeaderStatus, MicroLeader

WRITE_SCOPE = "write:activities"
LOGGING_STATUSES = frozenset({LeaderStatus.NOMINATED, LeaderStatus.ENROLLED, LeaderStatus.CERTIFIED})
REVIEWER_ROLES = (Role.GRID_STAFF,)


def may_lead(leader: MicroLeader, cell_path: str) -> bool:
    return leader.status in LOGGING_STATUSES and cell_path.startswith(leader.home_path)


def leader_for_cell(leaders: Iterable[MicroLeader], cell_path: str) -> MicroLeader | None:
    """The actor's leadership a record about `cell_path` is logged under: the most specific home
    cell covering it (a person leads in at most one active cohort, but may also be certified from
    an earlier one)."""
    covering = [leader for leader in leaders if may_lead(leader, cell_path)]
    return max(covering, key=lambda leader: (len(leader.home_path), leader.id), default=None)


def can_log(actor: Actor, cell_path: str, leader: MicroLeader | None) -> bool:
    """Records have a user as author, so the command line (no user) does not log through here:
    seeds insert their demo rows directly."""
    if actor.user_id is None:
        return False
    return (leader is not None and may_lead(leader, cell_path)) or actor.has_role_over(
        cell_path, Role.GRID_STAFF
    )


def require_write(actor: Actor) -> None:
    require_signed_in(actor)
    require_scope(actor, WRITE_SCOPE)


def require_log(actor: Actor, cell_path: str, leader: MicroLeader | None) -> None:
    require_write(actor)
    if not can_log(actor, cell_path, leader):
        raise PermissionDenied("只能为本人所在网格（微领袖）或辖区内网格（网格员）记录活动")


def is_author(actor: Actor, activity: Activity) -> bool:
    return actor.user_id is not None and actor.user_id == activity.author_user_id


def covers(actor: Actor, cell_path: str) -> bool:
    """Staff who see every record of the cell, drafts included."""
    return (
        actor.system or actor.has_role(Role.BUREAU_STAFF) or actor.has_role_over(cell_path, *REVIEWER_ROLES)
    )


def can_view(actor: Actor, activity: Activity) -> bool:
    return (
        activity.status is ActivityStatus.VERIFIED
        or is_author(actor, activity)
        or covers(actor, activity.cell_path)
    )


def require_view(actor: Actor, activity: Activity) -> None:
    """404, not 403: a draft the actor may not see does not exist for them."""
    if not can_view(actor, activity):
        raise NotFound("活动记录不存在")


def visible_filter(actor: Actor) -> Q:
    """`can_view` as a predicate over the activity table (an empty Q when the actor sees all)."""
    if actor.system or actor.has_role(Role.BUREAU_STAFF):
        return Q()
    scopes = [g.cell_path for g in actor.grants if g.role in REVIEWER_ROLES]
    if None in scopes:
        return Q()
    clauses = [Q(status=ActivityStatus.VERIFIED), *(in_subtree(path) for path in scopes if path)]
    if actor.user_id is not None:
        clauses.append(Q(author_user_id=actor.user_id))
    return Q(*clauses, join_type="OR")


def can_edit(actor: Actor, activity: Activity) -> bool:
    return is_author(actor, activity) and activity.status in EDITABLE


def _require_author(actor: Actor, activity: Activity) -> None:
    require_write(actor)
    require_view(actor, activity)
    if not is_author(actor, activity):
        raise PermissionDenied("只有记录人可以修改或提交这条活动记录")


def require_edit(actor: Actor, activity: Activity) -> None:
    """The author, on a DRAFT or RETURNED record (photos included)."""
    _require_author(actor, activity)
    if activity.status is ActivityStatus.VERIFIED:
        raise DomainError(ErrorCode.NOT_EDITABLE, "已核实的活动记录不能再修改", ["id"])
    if activity.status not in EDITABLE:
        raise DomainError(ErrorCode.NOT_EDITABLE, "活动记录已提交审核，审核退回后才能修改", ["id"])


def require_submit(actor: Actor, activity: Activity) -> None:
    """The author; which statuses may be submitted is the state machine's business."""
    _require_author(actor, activity)


def can_review(actor: Actor, activity: Activity) -> bool:
    """GRID_STAFF over the cell or BUREAU_STAFF, and not the author (no self-verification)."""
    reviewer = actor.has_role(Role.BUREAU_STAFF) or actor.has_role_over(activity.cell_path, *REVIEWER_ROLES)
    return reviewer and not is_author(actor, activity)


def require_review(actor: Actor, activity: Activity) -> None:
    require_write(actor)
    require_view(actor, activity)
    if is_author(actor, activity):
        raise PermissionDenied("不能审核自己记录的活动")
    if not can_review(actor, activity):
        raise PermissionDenied("只有该网格的网格员或民政局工作人员可以审核")


def can_review_any(actor: Actor) -> bool:
    """Whether the actor has a verification queue at all."""
    return actor.has_role(Role.BUREAU_STAFF, *REVIEWER_ROLES)


def review_filter(actor: Actor) -> Q:
    """The records the actor may review, as a predicate (their own excluded)."""
    if not can_review_any(actor):
        raise PermissionDenied("只有网格员或民政局工作人员有审核队列")
    own = ~Q(author_user_id=actor.user_id) if actor.user_id is not None else Q()
    scopes = [g.cell_path for g in actor.grants if g.role in REVIEWER_ROLES]
    if actor.has_role(Role.BUREAU_STAFF) or None in scopes:
        return own
    return Q(own, Q(*(in_subtree(path) for path in scopes if path), join_type="OR"))
