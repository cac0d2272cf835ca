"""Accounts: sign-in, the viewer, grants."""

from api.schema.accounts.mutations import AccountMutations
from api.schema.accounts.queries import AccountQueries
from api.schema.domain import Domain

DOMAIN = Domain(name="accounts", queries=AccountQueries, mutations=AccountMutations)
