"""Who may do what to grid cells."""

from __future__ import annotations

from domain.access import Actor
from domain.errors import PermissionDenied
from domain.grids.models import GridCell


def can_view(actor: Actor, cell: GridCell) -> bool:
    """The territorial tree is public information."""
    return True


def can_update(actor: Actor, cell: GridCell) -> bool:
    """Open to everyone until the accounts issue scopes it to grid staff and bureau staff."""
    return True


def require_update(actor: Actor, cell: GridCell) -> None:
    if not can_update(actor, cell):
        raise PermissionDenied("没有修改该网格单元的权限")
