"""Micro-leaders, cohorts and training; adds GridCell.leaders."""

from api.schema.domain import Domain
from api.schema.leaders import extends
from api.schema.leaders.loaders import LeaderLoaders
from api.schema.leaders.mutations import LeaderMutations
from api.schema.leaders.queries import LeaderQueries, load_cohort, load_leader, load_session

DOMAIN = Domain(
    name="leaders",
    queries=LeaderQueries,
    mutations=LeaderMutations,
    loaders=LeaderLoaders,
    nodes={"Cohort": load_cohort, "MicroLeader": load_leader, "TrainingSession": load_session},
    contributions=extends.CONTRIBUTIONS,
    compiled=("api.schema.leaders.compile",),
    compiled_nodes=frozenset({"MicroLeader", "Cohort", "TrainingSession"}),
)
