"""Account security parameters. Defaults suit a government system; the app configures them
from LINZHI_* settings at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class AccountPolicy:
    lockout_attempts: int = 5
    lockout_duration: timedelta = timedelta(minutes=15)
    session_idle: timedelta = timedelta(minutes=30)
    session_absolute: timedelta = timedelta(hours=12)
    token_max_lifetime: timedelta = timedelta(days=366)
    # last_seen / last_used are written at most this often, not on every request.
    touch_interval: timedelta = timedelta(seconds=60)
    sign_in_limit: int = 20  # attempts per IP per window
    sign_in_window: int = 300  # seconds
    graphql_token_limit: int = 600  # requests per token per window
    graphql_token_window: int = 60


_policy = AccountPolicy()


def configure(policy: AccountPolicy) -> None:
    global _policy
    _policy = policy


def policy() -> AccountPolicy:
    return _policy


_production = False


def configure_production(production: bool) -> None:
    """Told by the app factory and the command line (from `LINZHI_ENV`): rules such as "no demo
    account may be enabled" hold at every change in production, not only at start-up."""
    global _production
    _production = production


def is_production() -> bool:
    return _production
