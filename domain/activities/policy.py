"""Who may log, edit, review and see activity records.

- Logging: a micro-leader (NOMINATED, ENROLLED or CERTIFIED: a nominee already works in their
  cell; a WITHDRAWN one no longer does) for any cell of their home subtree, and GRID_STAFF for
  any cell their grant covers. The MicroLeader row decides, not the MICRO_LEADER role grant.
- Editing and submitting: the author only, while the record is DRAFT or RETURNED, and only while
  they may still log for its cell (a withdrawn leader's drafts stay drafts).
- Reviewing (verify, return): GRID_STAFF whose grant covers the record's cell, or BUREAU_STAFF;
  never the record's own author.
- Seeing in full (`has_full_view`, `full_view_filter`): the author, GRID_STAFF covering the cell
  and BUREAU_STAFF see every record, in every status, with every detail and its own cell.
- Everyone else (anonymous, residents, other leaders, staff without scope) is a public reader:
  they see a record only once it is VERIFIED and its verifier marked it public (`is_public`,
  defaulting by type: `models.PUBLIC_BY_DEFAULT`), placed at its grid rather than its micro-grid
  (`shown_cell_id`), and its narrative, place, problems, photos, follow-up, mediation outcome and
  recording leader only if the details are public too (`can_see_details`, `details_filter`). A
  feed filtered by a micro-grid shows a public reader nothing (`cell_filter`, `subtree_filter`):
  which records sit at a micro-grid of 20-100 households is what would identify the people; one
  filtered by a leader only the records whose details they see (`leader_filter`).
- Each rule is written once as a Python predicate and once as a `Q` (`can_view` /
  `visible_filter`, `can_see_details` / `details_filter`, `has_full_view` / `full_view_filter`);
  `tests/compiler/test_twins.py` checks they agree. ADMIN runs accounts, not casework, so it sees
  what the public sees (separation of duties, as for personal data).
- Publicity (`require_set_public`): whoever may verify the record chooses it when verifying and
  may change it later.

Every mutating use case needs the token scope `write:activities`.
"""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.expressions import Q

from domain.access import Actor, Role, require_scope, require_signed_in
from domain.activities.errors import ActivityCode
from domain.activities.models import EDITABLE, Activity, ActivityStatus, in_subtree
from domain.errors import DomainError, ErrorCode, NotFound, PermissionDenied
from domain.grids.models import MICRO_GRID_DEPTH, path_depth, path_ids
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


def has_full_view(actor: Actor, activity: Activity) -> bool:
    """The author and staff covering the cell: every status, every detail, the record's own cell."""
    return is_author(actor, activity) or covers(actor, activity.cell_path)


def is_published(activity: Activity) -> bool:
    return activity.status is ActivityStatus.VERIFIED and activity.is_public


def can_view(actor: Actor, activity: Activity) -> bool:
    return has_full_view(actor, activity) or is_published(activity)


def can_see_details(actor: Actor, activity: Activity) -> bool:
    """Narrative, place, problems, photos, follow-up, mediation outcome, and the recording
    leader (whose home cell is often a micro-grid)."""
    return has_full_view(actor, activity) or (is_published(activity) and activity.details_public)


def shown_cell_id(actor: Actor, activity: Activity) -> int:
    """The cell a record is shown at: its own for a full view, else its grid (never a micro-grid;
    a record above grid level is shown where it is)."""
    if has_full_view(actor, activity):
        return activity.cell_id
    return activity.grid_id if activity.grid_id is not None else activity.cell_id


def require_view(actor: Actor, activity: Activity) -> None:
    """404, not 403: a record the actor may not see does not exist for them."""
    if not can_view(actor, activity):
        raise NotFound("活动记录不存在")


_NOTHING = Q(id__in=[])


def _sees_all(actor: Actor) -> bool:
    return (
        actor.system
        or actor.has_role(Role.BUREAU_STAFF)
        or any(g.role in REVIEWER_ROLES and g.cell_path is None for g in actor.grants)
    )


def full_view_filter(actor: Actor) -> Q:
    """`has_full_view` as a predicate (an empty Q when the actor has it on every record)."""
    if _sees_all(actor):
        return Q()
    scopes = [g.cell_path for g in actor.grants if g.role in REVIEWER_ROLES and g.cell_path]
    clauses = [in_subtree(path) for path in scopes]
    if actor.user_id is not None:
        clauses.append(Q(author_user_id=actor.user_id))
    if not clauses:
        return _NOTHING
    return Q(*clauses, join_type="OR")


def visible_filter(actor: Actor) -> Q:
    """`can_view` as a predicate over the activity table (an empty Q when the actor sees all)."""
    if _sees_all(actor):
        return Q()
    published = Q(status=ActivityStatus.VERIFIED, is_public=True)
    return Q(full_view_filter(actor), published, join_type="OR")


def details_filter(actor: Actor) -> Q:
    """`can_see_details` as a predicate (an empty Q when the actor sees every record's details)."""
    if _sees_all(actor):
        return Q()
    published = Q(status=ActivityStatus.VERIFIED, is_public=True, details_public=True)
    return Q(full_view_filter(actor), published, join_type="OR")


def cell_filter(actor: Actor, cell_id: int) -> Q:
    """Records on the cell `cell_id` itself, as a feed filter: a public reader gets those placed at
    a grid or above (where they are shown anyway), never those placed at a micro-grid (a record's
    `grid_id` is its grid: it differs from its cell exactly when the record sits below a grid)."""
    on_cell = Q(cell_id=cell_id)
    if _sees_all(actor):
        return on_cell
    shown_there = Q(full_view_filter(actor), Q(grid_id=cell_id), Q(grid_id__isnull=True), join_type="OR")
    return Q(on_cell, shown_there)


def leader_filter(actor: Actor, leader_id: int) -> Q:
    """A leader's records, as a feed filter: a public reader gets those whose details (the
    recorder among them) they see, since a leader's home cell is often a micro-grid."""
    by_leader = Q(leader_id=leader_id)
    if _sees_all(actor):
        return by_leader
    return Q(by_leader, details_filter(actor))


def subtree_filter(actor: Actor, path: str) -> Q:
    """`in_subtree(path)` as a feed filter: a micro-grid's records only for those with a full view
    of them (as `cell_filter`)."""
    depth = path_depth(path)
    if depth == MICRO_GRID_DEPTH:
        return cell_filter(actor, path_ids(path)[depth])
    if depth > MICRO_GRID_DEPTH and not _sees_all(actor):
        return Q(in_subtree(path), full_view_filter(actor))
    return in_subtree(path)


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
        raise DomainError(ActivityCode.NOT_EDITABLE, "已核实的活动记录不能再修改", ["id"])
    if activity.status not in EDITABLE:
        raise DomainError(ActivityCode.NOT_EDITABLE, "活动记录已提交审核，审核退回后才能修改", ["id"])


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


def require_set_public(actor: Actor, activity: Activity) -> None:
    """Who may verify a record chooses whether it is public, then and later (a verified record only)."""
    require_review(actor, activity)
    if activity.status is not ActivityStatus.VERIFIED:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "只有已核实的记录可以设置公开范围", ["id"])


def can_export(actor: Actor, cell_path: str) -> bool:
    """Exporting a subtree's records (with the recorders' full names): BUREAU_STAFF, or
    GRID_STAFF whose grant covers it."""
    return actor.has_role(Role.BUREAU_STAFF) or actor.has_role_over(cell_path, *REVIEWER_ROLES)


def require_export(actor: Actor, cell_path: str) -> None:
    require_signed_in(actor)
    if not can_export(actor, cell_path):
        raise PermissionDenied("只有该网格的网格员或民政局工作人员可以导出活动记录")


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
