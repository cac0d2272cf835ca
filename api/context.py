"""The per-request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from domain.access import Actor

if TYPE_CHECKING:
    from api.schema.activities.loaders import ActivityLoaders
    from api.schema.funding.loaders import FundingLoaders
    from api.schema.grids.loaders import GridLoaders
    from api.schema.leaders.loaders import LeaderLoaders
    from api.schema.organisations.loaders import OrganisationLoaders
    from api.schema.review.loaders import ReviewLoaders
    from api.schema.socialwork.loaders import SocialWorkLoaders


class Loaders:
    """DataLoaders memoised for one request: each registered domain's group (`Domain.loaders`) at
    `loaders.<domain name>`, built when first used."""

    if TYPE_CHECKING:  # the groups' types, for the type checker only
        grids: GridLoaders
        leaders: LeaderLoaders
        activities: ActivityLoaders
        organisations: OrganisationLoaders
        socialwork: SocialWorkLoaders
        funding: FundingLoaders
        review: ReviewLoaders

    def __init__(self) -> None:
        self._groups: dict[str, object] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._groups:
            # Imported here: the schema package imports this module for its resolvers' `Info` type.
            from api.schema.domains import loader_groups

            factory = loader_groups().get(name)
            if factory is None:
                raise AttributeError(f"no domain registers loaders named {name!r}")
            self._groups[name] = factory()
        return self._groups[name]


@dataclass
class Context:
    request: Request
    response: Response | None
    actor: Actor
    loaders: Loaders = field(default_factory=Loaders)
