"""Who may do what in venture funding.

- Bureau staff (and the command line) run rounds: configuration, stages, eligibility decisions,
  awards, agreements, tranche approvals and payments, reclaims and termination.
- An ORGANISER grant scoped to an organisation acts for that organisation only
  (`domain.organisations.policy.acts_for`): it drafts, submits and withdraws that organisation's
  applications, reports milestones and submits self-assessments.
- Evaluations are reviewed by bureau staff or a REVIEWER (a separate EVALUATOR role is left for
  later: adding a role touches the account model and every authorization matrix).
- Any signed-in person submits a need during needs collection; bureau staff and grid staff over
  the need's cell publish or decline it.
Reading is public under `queries` (rounds past their draft, published results, published needs).
Every mutating use case needs the token scope `write:funding`.
"""

from __future__ import annotations

from domain.access import Actor, Role, require_scope, require_signed_in
from domain.errors import PermissionDenied
from domain.organisations.policy import acts_for, is_bureau

WRITE_SCOPE = "write:funding"


def require_write(actor: Actor) -> None:
    require_signed_in(actor)
    require_scope(actor, WRITE_SCOPE)


def require_bureau(actor: Actor) -> None:
    require_write(actor)
    if not is_bureau(actor):
        raise PermissionDenied("只有民政局工作人员可以办理公益创投事项")


def require_applicant(actor: Actor, organisation_id: int) -> None:
    require_write(actor)
    if not acts_for(actor, organisation_id):
        raise PermissionDenied("只能以本人所在的社会组织申报和维护项目")


def require_evaluator(actor: Actor) -> None:
    require_write(actor)
    if not (is_bureau(actor) or actor.has_role(Role.REVIEWER)):
        raise PermissionDenied("只有民政局工作人员或评审专家可以评估项目")


def require_need_moderator(actor: Actor, cell_path: str) -> None:
    require_write(actor)
    if not (is_bureau(actor) or actor.has_role_over(cell_path, Role.GRID_STAFF)):
        raise PermissionDenied("只能审核本人负责范围内的需求")
