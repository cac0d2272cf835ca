"""Public-interest venture funding (公益创投): rounds, applications, published results, needs,
and the mutations of the whole life of a round (configuration, applications, awards within the
pool, agreements, tranches, evaluations, reclaims)."""

from api.schema.domain import Domain
from api.schema.funding.loaders import FundingLoaders
from api.schema.funding.mutations import FundingMutations
from api.schema.funding.queries import (
    FundingQueries,
    load_application,
    load_attachment,
    load_evaluation,
    load_need,
    load_round,
    load_tranche,
)

DOMAIN = Domain(
    name="funding",
    queries=FundingQueries,
    mutations=FundingMutations,
    loaders=FundingLoaders,
    nodes={
        "FundingRound": load_round,
        "Application": load_application,
        "Tranche": load_tranche,
        "Evaluation": load_evaluation,
        "Need": load_need,
        "ApplicationAttachment": load_attachment,
    },
    compiled=("api.schema.funding.compile",),
    compiled_nodes=frozenset({"FundingRound"}),
)
