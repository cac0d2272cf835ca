"""Social work in GraphQL: stations, agency placements, the social-worker register (people masked
as everywhere, certificate numbers as `domain.socialwork.policy` says) and supervision records (for staff
and the supervisor, `domain.socialwork.queries.can_view_supervision`). Read by the resolvers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry
from strawberry import relay

from api.schema.errors import error_codes
from api.schema.grids.types import GridCellType
from api.schema.info import Info
from api.schema.limits import max_items
from api.schema.organisations.types import OrganisationType
from api.schema.people.types import PersonType
from api.schema.relay import UserError
from domain.errors import ErrorCode
from domain.socialwork import policy
from domain.socialwork.models import (
    CertificateLevel,
    Placement,
    SocialWorker,
    Station,
    SupervisionForm,
    SupervisionRecord,
    SupervisorLevel,
)
from domain.socialwork.queries import Caseload
from domain.socialwork.service import MAX_SUPERVISEES

CertificateLevelEnum = strawberry.enum(
    CertificateLevel, name="CertificateLevel", description="社工职业资格等级"
)
SupervisorLevelEnum = strawberry.enum(SupervisorLevel, name="SupervisorLevel", description="督导等级")
SupervisionFormEnum = strawberry.enum(SupervisionForm, name="SupervisionForm", description="督导形式")


async def _organisation(info: Info, pk: int | None) -> OrganisationType | None:
    if pk is None:
        return None
    org = await info.context.loaders.organisations.organisation_by_id.load(pk)
    return OrganisationType.from_model(org) if org else None


async def _cell(info: Info, pk: int) -> GridCellType:
    cell = await info.context.loaders.grids.cell_by_id.load(pk)
    assert cell is not None  # a foreign key
    return GridCellType.from_model(cell)


@strawberry.type(name="Station", description="镇（街道）社工站")
class StationType(relay.Node):
    id: relay.NodeID[int]
    name: str
    opened_on: date | None
    is_demo: bool = strawberry.field(description="演示数据（生成的，非真实记录）")
    model: strawberry.Private[Station]

    @classmethod
    def from_model(cls, station: Station) -> StationType:
        return cls(
            id=station.id,
            name=station.name,
            opened_on=station.opened_on,
            is_demo=station.is_demo,
            model=station,
        )

    @strawberry.field(description="所在镇（街道）")
    async def town(self, info: Info) -> GridCellType:
        return await _cell(info, self.model.town_id)

    @strawberry.field(description="运营机构（镇街自办时为 null）")
    async def operator(self, info: Info) -> OrganisationType | None:
        return await _organisation(info, self.model.operator_id)


@strawberry.type(name="Placement", description="社工机构驻村（社区）服务")
class PlacementType(relay.Node):
    id: relay.NodeID[int]
    started_on: date
    ended_on: date | None = strawberry.field(description="结束日期（仍在驻点为 null）")
    is_demo: bool = strawberry.field(description="演示数据（生成的，非真实记录）")
    model: strawberry.Private[Placement]

    @classmethod
    def from_model(cls, p: Placement) -> PlacementType:
        return cls(id=p.id, started_on=p.started_on, ended_on=p.ended_on, is_demo=p.is_demo, model=p)

    @strawberry.field(description="社工机构")
    async def agency(self, info: Info) -> OrganisationType:
        org = await _organisation(info, self.model.agency_id)
        assert org is not None  # a foreign key
        return org

    @strawberry.field(description="驻点的村或社区")
    async def cell(self, info: Info) -> GridCellType:
        return await _cell(info, self.model.cell_id)


@strawberry.type(name="SocialWorker", description="持证社工（个人信息脱敏规则同 Person）")
class SocialWorkerType(relay.Node):
    id: relay.NodeID[int]
    level: CertificateLevelEnum  # type: ignore[valid-type]
    level_label: str
    certificate_year: int = strawberry.field(description="取证年份")
    supervisor_level: SupervisorLevelEnum | None = strawberry.field(description="督导等级（非督导为 null）")  # type: ignore[valid-type]
    supervisor_level_label: str | None
    is_demo: bool = strawberry.field(description="演示数据（生成的，非真实记录）")
    model: strawberry.Private[SocialWorker]

    @classmethod
    def from_model(cls, w: SocialWorker) -> SocialWorkerType:
        return cls(
            id=w.id,
            level=w.level,
            level_label=w.level.label,
            certificate_year=w.certificate_year,
            supervisor_level=w.supervisor_level,
            supervisor_level_label=w.supervisor_level.label if w.supervisor_level else None,
            is_demo=w.is_demo,
            model=w,
        )

    @strawberry.field(description="证书编号：工作人员与本人可见，其他人为 null")
    def certificate_number(self, info: Info) -> str | None:
        return policy.certificate_number(info.context.actor, self.model)

    @strawberry.field(description="社工本人（脱敏规则同 Person）")
    async def person(self, info: Info) -> PersonType:
        person = await info.context.loaders.grids.person_by_id.load(self.model.person_id)
        assert person is not None  # a foreign key
        return PersonType.for_actor(info.context.actor, person)

    @strawberry.field(description="工作单位（社工机构）")
    async def employer(self, info: Info) -> OrganisationType | None:
        return await _organisation(info, self.model.employer_id)

    @strawberry.field(description="所属社工站")
    async def station(self, info: Info) -> StationType | None:
        if self.model.station_id is None:
            return None
        station = await info.context.loaders.socialwork.station_by_id.load(self.model.station_id)
        return StationType.from_model(station) if station else None


@strawberry.type(name="SupervisionRecord", description="督导记录（督导本人与工作人员可见）")
class SupervisionRecordType(relay.Node):
    id: relay.NodeID[int]
    form: SupervisionFormEnum  # type: ignore[valid-type]
    form_label: str
    held_on: date
    minutes: int
    topics: str
    follow_up: str
    is_demo: bool = strawberry.field(description="演示数据（生成的，非真实记录）")
    model: strawberry.Private[SupervisionRecord]

    @classmethod
    def from_model(cls, r: SupervisionRecord) -> SupervisionRecordType:
        return cls(
            id=r.id,
            form=r.form,
            form_label=r.form.label,
            held_on=r.held_on,
            minutes=r.minutes,
            topics=r.topics,
            follow_up=r.follow_up,
            is_demo=r.is_demo,
            model=r,
        )

    @strawberry.field(description="督导者")
    async def supervisor(self, info: Info) -> SocialWorkerType:
        worker = await info.context.loaders.socialwork.worker_by_id.load(self.model.supervisor_id)
        assert worker is not None  # a foreign key
        return SocialWorkerType.from_model(worker)

    @strawberry.field(description="被督导者", metadata=max_items(MAX_SUPERVISEES))
    async def supervisees(self, info: Info) -> list[SocialWorkerType]:
        rows = await info.context.loaders.socialwork.supervisees_by_record.load(self.id)
        return [SocialWorkerType.from_model(w) for w in rows]


@strawberry.type(description="督导量：某督导一年内的督导次数、时长与被督导人数")
class SupervisionCaseload:
    year: int
    records: int
    minutes: int
    hours: Decimal = strawberry.field(description="时长（小时，一位小数）")
    supervisees: int = strawberry.field(description="被督导的不同社工人数")

    @classmethod
    def from_domain(cls, year: int, c: Caseload) -> SupervisionCaseload:
        hours = (Decimal(c.minutes) / 60).quantize(Decimal("0.1"))
        return cls(year=year, records=c.records, minutes=c.minutes, hours=hours, supervisees=c.supervisees)


@strawberry.input(description="社工名录筛选（各条件同时满足）")
class SocialWorkerFilter:
    town: strawberry.ID | None = strawberry.field(
        default=None, description="镇（街道）：所属社工站或工作单位所在"
    )
    level: CertificateLevelEnum | None = None  # type: ignore[valid-type]
    supervisor_level: SupervisorLevelEnum | None = None  # type: ignore[valid-type]
    supervisors_only: bool = strawberry.field(default=False, description="只看督导")
    employer: strawberry.ID | None = strawberry.field(default=None, description="工作单位（社工机构）")


SocialWorkErrorCode = error_codes(
    "SocialWorkErrorCode",
    [
        ErrorCode.NOT_FOR_TYPE,
        ErrorCode.INVALID_PARENT,
        ErrorCode.FUTURE_TIME,
        ErrorCode.DUPLICATE_CODE,
        ErrorCode.INVALID_TRANSITION,
        ErrorCode.OUT_OF_RANGE,
        ErrorCode.INVALID_LENGTH,
        ErrorCode.ONE_TO_ONE,
    ],
    "社工机构驻点、社工登记与督导记录的错误码",
)


@strawberry.type
class SocialWorkUserError(UserError):
    code: SocialWorkErrorCode  # type: ignore[valid-type]
