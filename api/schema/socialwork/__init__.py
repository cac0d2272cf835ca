"""Social work: the social-worker directory, stations, agency placements and supervision
(records and caseloads for staff and the supervisor); adds Organisation.placements and
Organisation.workers."""

from api.schema.domain import Domain
from api.schema.socialwork import extends
from api.schema.socialwork.loaders import SocialWorkLoaders
from api.schema.socialwork.mutations import SocialWorkMutations
from api.schema.socialwork.queries import (
    SocialWorkQueries,
    load_placement,
    load_record,
    load_station,
    load_worker,
)

DOMAIN = Domain(
    name="socialwork",
    queries=SocialWorkQueries,
    mutations=SocialWorkMutations,
    loaders=SocialWorkLoaders,
    nodes={
        "SocialWorker": load_worker,
        "Station": load_station,
        "Placement": load_placement,
        "SupervisionRecord": load_record,
    },
    contributions=extends.CONTRIBUTIONS,
)
