from __future__ import annotations

import strawberry
from strawberry import relay

from api.schema.info import Info
from domain.access import Actor
from domain.people import policy
from domain.people.models import Person as PersonModel
from domain.people.policy import PersonView, view_for


@strawberry.type(name="Person", description="自然人；个人信息默认脱敏，查看完整信息须授权并留痕")
class PersonType(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="姓名（对公众脱敏，如 张**）")
    mobile: str | None = strawberry.field(
        description="手机号：本人可见完整号码；工作人员可见脱敏号码（如 138****1234）；其他人为 null"
    )
    resident_id: str | None = strawberry.field(
        description="身份证号：本人可见完整号码；工作人员可见脱敏号码（前 6 后 4）；其他人为 null"
    )
    masked: bool = strawberry.field(description="以上信息是否经过脱敏")
    is_demo: bool = strawberry.field(description="演示数据（生成的，非真实记录）")

    @classmethod
    def from_view(cls, view: PersonView) -> PersonType:
        return cls(
            id=view.id,
            name=view.name,
            mobile=view.mobile,
            resident_id=view.resident_id,
            masked=view.masked,
            is_demo=view.is_demo,
        )

    @classmethod
    def for_actor(cls, actor: Actor, person: PersonModel) -> PersonType:
        return cls.from_view(view_for(actor, person))


async def load_person(info: Info, pk: int) -> PersonType | None:
    """`node(id:)` of a Person: staff and oneself only (`domain.people.policy.can_look_up`)."""
    if not policy.can_look_up(info.context.actor, pk):
        return None
    person = await info.context.loaders.grids.person_by_id.load(pk)
    return PersonType.for_actor(info.context.actor, person) if person else None
