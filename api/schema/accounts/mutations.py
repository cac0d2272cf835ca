from __future__ import annotations

import strawberry

from api.schema.accounts.types import PersonUnmaskInput, PersonUnmaskPayload
from api.schema.info import Info
from api.schema.mutation import respond
from api.schema.people.types import PersonType
from api.schema.relay import node_pk
from domain.accounts import service
from domain.people.policy import unmasked


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="查看完整个人信息：须有权限，每次都记入审计日志")
    async def person_unmask(self, info: Info, input: PersonUnmaskInput) -> PersonUnmaskPayload:
        return await respond(
            PersonUnmaskPayload,
            lambda: service.unmask_person(
                actor=info.context.actor, person_id=node_pk(input.id, "Person"), reason=input.reason
            ),
            lambda view: {"person": PersonType.from_view(unmasked(view))},
        )
