"""Fixtures of the domain tests."""

from __future__ import annotations

import pytest

from domain.accounts.models import User
from domain.people.models import Person


@pytest.fixture
async def funding_clerks(db: None) -> None:
    """The funding tests' two bureau clerks (`tests.factories_funding.CLERK`, `CHECKER`) hold
    real accounts: what they create (a round's review panel) names its creator."""
    for user_id, username in ((9001, "clerk.wang"), (9002, "clerk.li")):
        person = await Person.create(name=username, mobile="", is_demo=False)
        await User.create(id=user_id, person_id=person.id, username=username, is_app=False)
