"""My account: profile, roles, and API tokens, read in a fixed number of statements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from domain.access import Actor
from domain.accounts import queries
from domain.accounts.config import policy
from domain.accounts.models import ApiToken, RoleAssignment, TokenStatus, User
from domain.people.policy import PersonView, view_for

DEFAULT_TOKEN_DAYS = 90


@dataclass(frozen=True)
class TokenRow:
    token: ApiToken
    status: TokenStatus


def token_row(token: ApiToken, now: datetime) -> TokenRow:
    return TokenRow(token, token.status_at(now))


@dataclass(frozen=True)
class AccountView:
    user: User
    person: PersonView
    assignments: list[RoleAssignment]
    tokens: list[TokenRow]


async def account_view(actor: Actor) -> AccountView:
    """The signed-in user's own account (their own data, unmasked)."""
    user = await queries.user_by_id(actor.user_id or 0)
    assignments = await queries.assignments_of(user.id)
    now = datetime.now(UTC)
    tokens = [token_row(token, now) for token in await queries.tokens_of(user.id)]
    return AccountView(user, view_for(actor, user.person), assignments, tokens)


@dataclass(frozen=True)
class TokenForm:
    """The create-token form as the user filled it in."""

    name: str = ""
    scopes: list[str] = field(default_factory=list)
    days: str = str(DEFAULT_TOKEN_DAYS)


def max_token_days() -> int:
    return policy().token_max_lifetime.days
