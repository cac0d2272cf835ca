"""Factories for users with roles, for tests."""

from __future__ import annotations

from domain.access import Actor, Role
from domain.accounts import queries, service
from domain.accounts.models import User
from domain.accounts.service import SYSTEM
from domain.grids.models import GridCell

PASSWORD = "Pinghu-2026"


async def make_user(
    username: str,
    *roles: Role,
    cell: GridCell | None = None,
    mobile: str | None = None,
    name: str = "测试用户",
) -> User:
    user = await service.create_user(
        actor=SYSTEM, name=name, username=username, password=PASSWORD, mobile=mobile
    )
    for role in roles:
        await service.grant_role(actor=SYSTEM, user_id=user.id, role=role, cell_id=cell.id if cell else None)
    return user


async def actor_of(user: User, *, scopes: frozenset[str] | None = None) -> Actor:
    grants = (await queries.active_grants([user.id])).get(user.id, [])
    return Actor(
        user_id=user.id,
        person_id=user.person_id,
        display_name=user.username,
        grants=tuple(grants),
        token_scopes=scopes,
        token_id=1 if scopes is not None else None,
    )
