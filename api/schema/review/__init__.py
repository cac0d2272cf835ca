"""The shared review module (评审): a reviewer's assignments and score sheets, conflicts of
interest, the staff's draws and assignments, and objections to the publicised results. Every read
stays on the resolvers (docs/compiler.md)."""

from api.schema.domain import Domain
from api.schema.review.loaders import ReviewLoaders
from api.schema.review.mutations import ReviewMutations
from api.schema.review.queries import (
    ReviewQueries,
    load_assignment,
    load_entry,
    load_objection,
    load_panel,
    load_sheet,
)

DOMAIN = Domain(
    name="review",
    queries=ReviewQueries,
    mutations=ReviewMutations,
    loaders=ReviewLoaders,
    nodes={
        "ReviewPanel": load_panel,
        "ReviewAssignment": load_assignment,
        "ReviewEntry": load_entry,
        "ScoreSheet": load_sheet,
        "Objection": load_objection,
    },
)
