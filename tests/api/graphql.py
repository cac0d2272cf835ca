"""Helpers for GraphQL tests."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from domain.accounts import service
from domain.accounts.models import User
from tests.accounts import actor_of


async def gql(
    client: httpx.AsyncClient, query: str, *, headers: dict[str, str] | None = None, **variables: Any
) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def global_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


async def bearer(user: User, *scopes: str) -> dict[str, str]:
    """Authorization headers of a fresh token of `user` with `scopes` (plus read)."""
    actor = await actor_of(user)
    issued = await service.create_token(actor=actor, name="测试令牌", scopes=list(scopes))
    return {"authorization": f"Bearer {issued.secret}"}
