"""Lockout under concurrency: however sign-in attempts interleave, at most `lockout_attempts`
passwords are checked per lockout window, and a locked account refuses even the right password.
Each checked attempt leaves one audit row (`auth.sign_in_failed` or `auth.sign_in`); an attempt
refused without a check leaves `auth.sign_in_refused`. Both databases."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from domain.access import ANONYMOUS
from domain.accounts import passwords, service
from domain.accounts.models import User
from domain.audit.models import AuditEntry
from domain.errors import DomainError, ErrorCode
from tests.accounts import PASSWORD, make_user
from tests.web.session import Browser

pytestmark = pytest.mark.usefixtures("db")

WRONG = "Wrong-pass-1"
LIMIT = 5  # the default policy's lockout_attempts


@dataclass
class Attempt:
    started: float
    ended: float
    outcome: str  # "signed_in" or the error code


async def _attempt(identifier: str, password: str) -> Attempt:
    started = time.perf_counter()
    try:
        await service.sign_in(actor=ANONYMOUS, identifier=identifier, password=password)
        outcome = "signed_in"
    except DomainError as error:
        outcome = error.code.value
    return Attempt(started, time.perf_counter(), outcome)


async def _checks(user: User) -> int:
    """Passwords checked for the user: one audit row per check, failed or not."""
    return await AuditEntry.filter(
        object_type="User", object_id=str(user.id), action__in=["auth.sign_in_failed", "auth.sign_in"]
    ).count()


def _overlapped(attempts: list[Attempt]) -> bool:
    """Every attempt had started before the first one finished: all were in flight together."""
    return max(a.started for a in attempts) < min(a.ended for a in attempts)


async def test_twenty_simultaneous_wrong_passwords_get_five_checks_and_lock_the_account() -> None:
    # GIVEN an account
    user = await make_user("zhang.wei")
    # WHEN twenty wrong passwords arrive at once
    hashed_before = passwords.verifications()
    attempts = await asyncio.gather(*(_attempt("zhang.wei", f"{WRONG}{i}") for i in range(20)))
    # THEN they really ran together, only five passwords were checked, the fifth check locked
    # the account and every other attempt was refused as locked without a check
    assert _overlapped(attempts)
    assert await _checks(user) == LIMIT
    assert passwords.verifications() - hashed_before == LIMIT
    outcomes = sorted(a.outcome for a in attempts)
    assert outcomes.count(ErrorCode.BAD_CREDENTIALS.value) == LIMIT - 1
    assert outcomes.count(ErrorCode.ACCOUNT_LOCKED.value) == 20 - (LIMIT - 1)
    assert await AuditEntry.filter(action="auth.locked", object_id=str(user.id)).count() == 1
    # AND the right password is refused while the lock lasts
    assert (await _attempt("zhang.wei", PASSWORD)).outcome == ErrorCode.ACCOUNT_LOCKED.value
    assert await _checks(user) == LIMIT


async def test_the_right_password_among_wrong_ones_through_the_app(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN an account, and twenty browsers with the sign-in page open
    user = await make_user("li.na")
    browsers = [Browser(client) for _ in range(20)]
    for browser in browsers:
        await browser.open("/signin")
    typed = [f"{WRONG}{i}" for i in range(19)]
    typed.insert(10, PASSWORD)
    # WHEN they all post the form at once: nineteen wrong passwords and the right one
    hashed_before = passwords.verifications()
    posts = [
        b.submit("/signin", {"identifier": "li.na", "password": p})
        for b, p in zip(browsers, typed, strict=True)
    ]
    answers = await asyncio.gather(*posts)
    # THEN at most one browser signed in, and every attempt was either checked or refused unchecked
    assert all(a.status_code in (303, 422) for a in answers)
    signed_in = [a for a in answers if a.status_code == 303]
    assert len(signed_in) <= 1
    checks = await _checks(user)
    assert passwords.verifications() - hashed_before == checks
    refused = await AuditEntry.filter(action="auth.sign_in_refused", object_id=str(user.id)).count()
    assert checks + refused == 20
    if signed_in:
        # AND when the right password won one of the first five checks, signing in started the
        # count over: still at most five wrong passwords checked before it and five after
        assert checks <= 2 * LIMIT
    else:
        # AND otherwise only five were checked, and the account now refuses the right password
        assert checks == LIMIT
        assert (await _attempt("li.na", PASSWORD)).outcome == ErrorCode.ACCOUNT_LOCKED.value


async def test_when_the_lock_runs_out_the_right_password_signs_in_and_the_count_starts_over() -> None:
    # GIVEN an account that reached the limit, and whose lock has run out
    user = await make_user("wang.fang")
    for _ in range(LIMIT):
        await _attempt("wang.fang", WRONG)
    await User.filter(id=user.id).update(locked_until=datetime.now(UTC) - timedelta(seconds=1))
    # WHEN the owner signs in with the right password, THEN it works and the count starts over
    assert (await _attempt("wang.fang", PASSWORD)).outcome == "signed_in"
    assert (await User.get(id=user.id)).failed_attempts == 0
