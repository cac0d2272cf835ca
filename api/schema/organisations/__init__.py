"""Social organisations: the public directory, each organisation's record, and the registry's
mutations (register or file, upgrade, deregister, sanctions, ratings, members, annual reports)."""

from api.schema.domain import Domain
from api.schema.organisations.loaders import OrganisationLoaders
from api.schema.organisations.mutations import OrganisationMutations
from api.schema.organisations.queries import (
    OrganisationQueries,
    load_member,
    load_organisation,
    load_report,
    load_sanction,
)

DOMAIN = Domain(
    name="organisations",
    queries=OrganisationQueries,
    mutations=OrganisationMutations,
    loaders=OrganisationLoaders,
    nodes={
        "Organisation": load_organisation,
        "OrganisationMember": load_member,
        "OrganisationSanction": load_sanction,
        "AnnualReport": load_report,
    },
    compiled=("api.schema.organisations.compile",),
    compiled_nodes=frozenset({"Organisation"}),
)
