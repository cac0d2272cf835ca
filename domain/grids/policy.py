"""Who may do what to grid cells."""

from __future__ import annotations

from domain.access import Actor, Role, require_scope, require_signed_in
from domain.errors import PermissionDenied
from domain.grids.models import GridCell


def can_view(actor: Actor, cell: GridCell) -> bool:
    """The territorial tree is public information."""
    return True


def can_update(actor: Actor, cell: GridCell) -> bool:
    """Bureau staff anywhere; grid staff inside their subtree. ADMIN manages accounts, not
    business data (separation of duties under 等保 2.0)."""
    return actor.has_role(Role.BUREAU_STAFF) or actor.has_role_over(cell.path, Role.GRID_STAFF)


def require_update(actor: Actor, cell: GridCell) -> None:
    require_signed_in(actor)
    require_scope(actor, "write:grids")
    if not can_update(actor, cell):
        raise PermissionDenied("没有修改该网格单元的权限")


def require_create(actor: Actor) -> None:
    """The tree follows official divisions: bureau staff (or the seeding command) add cells."""
    if not (actor.system or actor.has_role(Role.BUREAU_STAFF)):
        raise PermissionDenied("只有民政局工作人员可以新增网格单元")
