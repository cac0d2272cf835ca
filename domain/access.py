"""Who is acting. The accounts issue fills this in from sessions and tokens; until then every
request acts anonymously and policies decide on that."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    person_id: int | None = None
    request_id: str | None = None
    ip: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None


ANONYMOUS = Actor()
