"""Social organisations: the public directory and each organisation's record."""

from api.schema.domain import Domain
from api.schema.organisations.loaders import OrganisationLoaders
from api.schema.organisations.queries import OrganisationQueries, load_organisation

DOMAIN = Domain(
    name="organisations",
    queries=OrganisationQueries,
    loaders=OrganisationLoaders,
    nodes={"Organisation": load_organisation},
    compiled=("api.schema.organisations.compile",),
    compiled_nodes=frozenset({"Organisation"}),
)
