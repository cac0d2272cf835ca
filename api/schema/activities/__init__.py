"""The activity log; adds GridCell.activities."""

from api.schema.activities import extends
from api.schema.activities.loaders import ActivityLoaders
from api.schema.activities.mutations import ActivityMutations
from api.schema.activities.queries import ActivityQueries, load_activity
from api.schema.domain import Domain

DOMAIN = Domain(
    name="activities",
    queries=ActivityQueries,
    mutations=ActivityMutations,
    loaders=ActivityLoaders,
    nodes={"Activity": load_activity},
    contributions=extends.CONTRIBUTIONS,
    compiled=("api.schema.activities.compile",),
    compiled_nodes=frozenset({"Activity"}),
)
