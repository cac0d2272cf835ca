"""Who may do what on a review panel.

- Bureau staff (and the command line) run panels: create and configure them, freeze them, keep the
  expert pool, add entries and members, draw or assign reviewers, record conflicts for anyone,
  reopen a submitted sheet (with a reason) and read every score.
- A reviewer (a panel member with an assignment) scores only their own live assignments, declares
  their own conflicts on entries they can see, and sees others' scores on an entry only after
  submitting their own sheet on it (`queries.can_see_scores_of_others`).
- ADMIN runs accounts, not casework (separation of duties): no review rights.
A token needs `write:funding` for the staff's use cases and `review:funding` for a reviewer's
(sessions carry every scope). Only funding panels exist so far; when the competitions arrive,
the scopes follow the panel's kind.
"""

from __future__ import annotations

from domain.access import Actor, Role, require_scope, require_signed_in
from domain.errors import PermissionDenied

STAFF_SCOPE = "write:funding"
REVIEW_SCOPE = "review:funding"


def is_staff(actor: Actor) -> bool:
    return actor.system or actor.has_role(Role.BUREAU_STAFF)


def require_write(actor: Actor) -> None:
    """A reviewer's (or staff's) change on a panel."""
    require_signed_in(actor)
    if not (actor.may_use(REVIEW_SCOPE) or actor.may_use(STAFF_SCOPE)):
        require_scope(actor, REVIEW_SCOPE)


def require_staff(actor: Actor) -> None:
    require_signed_in(actor)
    require_scope(actor, STAFF_SCOPE)
    if not is_staff(actor):
        raise PermissionDenied("只有民政局工作人员可以管理评审")


def require_reviewer_of(actor: Actor, reviewer_id: int) -> None:
    """The assigned reviewer themself (staff never score another's sheet)."""
    require_write(actor)
    if actor.user_id != reviewer_id:
        raise PermissionDenied("只能填写分配给本人的评分表")
