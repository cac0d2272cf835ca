"""Who may change the working-day calendar: bureau staff (and the command line) only, ADMIN not
(separation of duties). Reading it is public. A token needs the scope `write:funding`: the
bureau keeps the calendar for its funding and competition publicity periods."""

from __future__ import annotations

from domain.access import Actor, Role, require_scope, require_signed_in
from domain.errors import PermissionDenied

WRITE_SCOPE = "write:funding"


def can_edit(actor: Actor) -> bool:
    return actor.system or actor.has_role(Role.BUREAU_STAFF)


def require_edit(actor: Actor) -> None:
    require_signed_in(actor)
    require_scope(actor, WRITE_SCOPE)
    if not can_edit(actor):
        raise PermissionDenied("只有民政局工作人员可以维护节假日与调休工作日")
