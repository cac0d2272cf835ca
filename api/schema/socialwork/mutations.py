"""Social-work mutations: one per use case of `domain.socialwork.service` (place an agency, end a
placement, register a worker, log supervision), each one `respond(...)`."""

from __future__ import annotations

from datetime import date

import strawberry

from api.schema.info import Info
from api.schema.mutation import respond
from api.schema.relay import USER_ERRORS, node_pk
from api.schema.socialwork.types import (
    CertificateLevelEnum,
    PlacementType,
    SocialWorkerType,
    SocialWorkUserError,
    SupervisionFormEnum,
    SupervisionRecordType,
    SupervisorLevelEnum,
)
from domain import clock
from domain.errors import ErrorCode, ValidationError
from domain.socialwork import service
from domain.socialwork.models import (
    CertificateLevel,
    SocialWorker,
    SupervisionForm,
    SupervisionRecord,
    SupervisorLevel,
)
from domain.socialwork.service import MAX_SUPERVISEES, SupervisionInput, WorkerInput


@strawberry.input(description="安排社工机构驻村（社区）服务（民政局）")
class AgencyPlaceInput:
    agency_id: strawberry.ID
    cell_id: strawberry.ID = strawberry.field(description="村或社区")
    started_on: date


@strawberry.input(description="结束驻点服务")
class AgencyPlacementEndInput:
    id: strawberry.ID
    ended_on: date


@strawberry.input(description="登记持证社工（民政局）")
class SocialWorkerRegisterInput:
    person_id: strawberry.ID
    level: CertificateLevelEnum  # type: ignore[valid-type]
    certificate_number: str
    certificate_year: int
    employer_id: strawberry.ID | None = strawberry.field(default=None, description="工作单位（社工机构）")
    station_id: strawberry.ID | None = strawberry.field(default=None, description="所属社工站")
    supervisor_level: SupervisorLevelEnum | None = strawberry.field(default=None, description="督导等级")  # type: ignore[valid-type]


@strawberry.input(description="记录一次督导（督导本人；民政局可代为记录）")
class SupervisionLogInput:
    supervisor_id: strawberry.ID
    supervisee_ids: list[strawberry.ID] = strawberry.field(
        description=f"被督导者：个别督导 1 名，团体或同辈督导 2–{MAX_SUPERVISEES} 名"
    )
    form: SupervisionFormEnum  # type: ignore[valid-type]
    held_on: date
    minutes: int = strawberry.field(description="时长（分钟，15–480）")
    topics: str
    follow_up: str = ""


@strawberry.type
class PlacementPayload:
    placement: PlacementType | None
    user_errors: list[SocialWorkUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class SocialWorkerPayload:
    social_worker: SocialWorkerType | None
    user_errors: list[SocialWorkUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class SupervisionRecordPayload:
    supervision_record: SupervisionRecordType | None
    user_errors: list[SocialWorkUserError] = strawberry.field(metadata=USER_ERRORS)


def _optional_pk(value: strawberry.ID | None, type_name: str, argument: str) -> int | None:
    return node_pk(value, type_name, argument) if value else None


async def _register(info: Info, data: SocialWorkerRegisterInput) -> SocialWorker:
    values = WorkerInput(
        person_id=node_pk(data.person_id, "Person", "personId"),
        level=CertificateLevel(data.level),
        certificate_number=data.certificate_number,
        certificate_year=data.certificate_year,
        employer_id=_optional_pk(data.employer_id, "Organisation", "employerId"),
        station_id=_optional_pk(data.station_id, "Station", "stationId"),
        supervisor_level=SupervisorLevel(data.supervisor_level) if data.supervisor_level else None,
    )
    return await service.register_worker(actor=info.context.actor, data=values, today=clock.today())


async def _log(info: Info, data: SupervisionLogInput) -> SupervisionRecord:
    if len(data.supervisee_ids) > MAX_SUPERVISEES:  # before decoding a long list
        message = f"被督导者最多 {MAX_SUPERVISEES} 名"
        raise ValidationError(ErrorCode.OUT_OF_RANGE, message, ["superviseeIds"])
    values = SupervisionInput(
        supervisor_id=node_pk(data.supervisor_id, "SocialWorker", "supervisorId"),
        supervisee_ids=tuple(node_pk(i, "SocialWorker", "superviseeIds") for i in data.supervisee_ids),
        form=SupervisionForm(data.form),
        held_on=data.held_on,
        minutes=data.minutes,
        topics=data.topics,
        follow_up=data.follow_up,
    )
    return await service.log_supervision(actor=info.context.actor, data=values, today=clock.today())


@strawberry.type
class SocialWorkMutations:
    @strawberry.mutation(description="安排社工机构驻村（社区）服务（民政局）")
    async def agency_place(self, info: Info, input: AgencyPlaceInput) -> PlacementPayload:
        return await respond(
            PlacementPayload,
            lambda: service.place_agency(
                actor=info.context.actor,
                agency_id=node_pk(input.agency_id, "Organisation", "agencyId"),
                cell_id=node_pk(input.cell_id, "GridCell", "cellId"),
                started_on=input.started_on,
                today=clock.today(),
            ),
            lambda placement: {"placement": PlacementType.from_model(placement)},
        )

    @strawberry.mutation(description="结束驻点服务（民政局）")
    async def agency_placement_end(self, info: Info, input: AgencyPlacementEndInput) -> PlacementPayload:
        return await respond(
            PlacementPayload,
            lambda: service.end_placement(
                actor=info.context.actor,
                placement_id=node_pk(input.id, "Placement"),
                ended_on=input.ended_on,
                today=clock.today(),
            ),
            lambda placement: {"placement": PlacementType.from_model(placement)},
        )

    @strawberry.mutation(description="登记持证社工及其督导等级（民政局）")
    async def social_worker_register(
        self, info: Info, input: SocialWorkerRegisterInput
    ) -> SocialWorkerPayload:
        return await respond(
            SocialWorkerPayload,
            lambda: _register(info, input),
            lambda worker: {"social_worker": SocialWorkerType.from_model(worker)},
        )

    @strawberry.mutation(description="记录督导（督导本人；民政局可代为记录）")
    async def supervision_log(self, info: Info, input: SupervisionLogInput) -> SupervisionRecordPayload:
        return await respond(
            SupervisionRecordPayload,
            lambda: _log(info, input),
            lambda record: {"supervision_record": SupervisionRecordType.from_model(record)},
        )
