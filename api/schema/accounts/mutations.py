from __future__ import annotations

import strawberry

from api.schema.accounts.types import (
    AccountErrorCode,
    AccountUserError,
    PersonUnmaskInput,
    PersonUnmaskPayload,
)
from api.schema.errors import attempt
from api.schema.info import Info
from api.schema.people.types import PersonType
from api.schema.relay import node_pk
from domain.accounts import service
from domain.people.policy import unmasked


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="查看完整个人信息：须有权限，每次都记入审计日志")
    async def person_unmask(self, info: Info, input: PersonUnmaskInput) -> PersonUnmaskPayload:
        outcome = await attempt(
            lambda: service.unmask_person(
                actor=info.context.actor, person_id=node_pk(input.id, "Person"), reason=input.reason
            )
        )
        person = PersonType.from_view(unmasked(outcome.value)) if outcome.value else None
        return PersonUnmaskPayload(
            person=person, user_errors=outcome.user_errors(AccountUserError, AccountErrorCode)
        )
