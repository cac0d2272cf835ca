"""The per-request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from domain.access import Actor

if TYPE_CHECKING:
    from api.schema.activities.loaders import ActivityLoaders
    from api.schema.grids.loaders import GridLoaders
    from api.schema.leaders.loaders import LeaderLoaders


def _grid_loaders() -> GridLoaders:
    # Imported here: the schema package imports this module for its resolvers' `Info` type.
    from api.schema.grids.loaders import GridLoaders

    return GridLoaders()


def _leader_loaders() -> LeaderLoaders:
    from api.schema.leaders.loaders import LeaderLoaders

    return LeaderLoaders()


def _activity_loaders() -> ActivityLoaders:
    from api.schema.activities.loaders import ActivityLoaders

    return ActivityLoaders()


@dataclass
class Loaders:
    """DataLoaders memoised for one request, one group per domain."""

    grids: GridLoaders = field(default_factory=_grid_loaders)
    leaders: LeaderLoaders = field(default_factory=_leader_loaders)
    activities: ActivityLoaders = field(default_factory=_activity_loaders)


@dataclass
class Context:
    request: Request
    response: Response | None
    actor: Actor
    loaders: Loaders = field(default_factory=Loaders)
