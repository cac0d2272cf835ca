from __future__ import annotations

import strawberry
from strawberry import relay

from domain.people.models import Person as PersonModel


@strawberry.type(name="Person", description="自然人；姓名与手机号默认脱敏")
class PersonType(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="姓名（脱敏，如 张**）")
    mobile: str | None = strawberry.field(description="手机号（脱敏，如 138****1234）")

    @classmethod
    def masked(cls, person: PersonModel) -> PersonType:
        return cls(id=person.id, name=person.masked_name, mobile=person.masked_mobile)
