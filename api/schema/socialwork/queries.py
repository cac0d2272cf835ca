"""Social-work reads: the social-worker directory (public, people masked), a supervisor's records
and yearly caseload (staff and the supervisor), and `node(id:)` for each social-work type."""

from __future__ import annotations

from datetime import date

import strawberry

from api.schema.info import Info
from api.schema.limits import max_items
from api.schema.relay import Connection, build_connection, node_pk, page_request
from api.schema.socialwork.types import (
    PlacementType,
    SocialWorkerFilter,
    SocialWorkerType,
    StationType,
    SupervisionCaseload,
    SupervisionRecordType,
)
from domain.errors import ErrorCode, NotFound, PermissionDenied, ValidationError
from domain.socialwork import queries
from domain.socialwork.models import CertificateLevel, SocialWorker, SupervisorLevel

MIN_YEAR = 2008  # the national social-work examinations began then


def decode_worker_filter(f: SocialWorkerFilter | None) -> queries.WorkerFilter:
    if f is None:
        return queries.WorkerFilter()
    return queries.WorkerFilter(
        level=CertificateLevel(f.level) if f.level else None,
        employer_id=node_pk(f.employer, "Organisation", "filter.employer") if f.employer else None,
        supervisors_only=f.supervisors_only,
        supervisor_level=SupervisorLevel(f.supervisor_level) if f.supervisor_level else None,
        town_id=node_pk(f.town, "GridCell", "filter.town") if f.town else None,
    )


async def load_worker(info: Info, pk: int) -> SocialWorkerType | None:
    worker = await info.context.loaders.socialwork.worker_by_id.load(pk)
    return SocialWorkerType.from_model(worker) if worker else None


async def load_station(info: Info, pk: int) -> StationType | None:
    station = await info.context.loaders.socialwork.station_by_id.load(pk)
    return StationType.from_model(station) if station else None


async def load_placement(info: Info, pk: int) -> PlacementType | None:
    placement = await info.context.loaders.socialwork.placement_by_id.load(pk)
    return PlacementType.from_model(placement) if placement else None


async def load_record(info: Info, pk: int) -> SupervisionRecordType | None:
    """A record for those who may read its supervisor's log; for anyone else it does not exist."""
    record = await info.context.loaders.socialwork.record_by_id.load(pk)
    if record is None:
        return None
    supervisor = await info.context.loaders.socialwork.worker_by_id.load(record.supervisor_id)
    if not queries.can_view_supervision(info.context.actor, supervisor):
        return None
    return SupervisionRecordType.from_model(record)


async def _visible_supervisor(info: Info, supervisor: strawberry.ID) -> SocialWorker:
    """The supervisor whose log the actor may read: NotFound for a worker who is no supervisor
    (supervisor levels are public), then Forbidden."""
    pk = node_pk(supervisor, "SocialWorker", "supervisor")
    worker = await info.context.loaders.socialwork.worker_by_id.load(pk)
    if worker is None or worker.supervisor_level is None:
        raise NotFound("督导不存在", ["supervisor"])
    if not queries.can_view_supervision(info.context.actor, worker):
        raise PermissionDenied("督导记录仅督导本人与工作人员可见")
    return worker


@strawberry.type
class SocialWorkQueries:
    @strawberry.field(description="社工名录（公开，姓名脱敏；按登记先后排序）")
    async def social_workers(
        self,
        info: Info,
        filter: SocialWorkerFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[SocialWorkerType]:
        where = decode_worker_filter(filter)
        request = page_request(first=first, after=after, last=last, before=before, key_types=(int,))
        page = await queries.workers_page(where, request)

        async def count() -> int:
            return await queries.workers_count(where)

        return build_connection(page, SocialWorkerType.from_model, count)

    @strawberry.field(description="镇（街道）社工站（公开）", metadata=max_items(queries.MAX_STATIONS))
    async def social_work_stations(self, info: Info, town: strawberry.ID | None = None) -> list[StationType]:
        town_id = node_pk(town, "GridCell", "town") if town else None
        return [StationType.from_model(s) for s in await queries.stations(town_id)]

    @strawberry.field(description="某督导的督导记录（新的在前；督导本人与工作人员可见）")
    async def supervision_records(
        self,
        info: Info,
        supervisor: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[SupervisionRecordType]:
        worker = await _visible_supervisor(info, supervisor)
        request = page_request(first=first, after=after, last=last, before=before, key_types=(date, int))
        page = await queries.supervision_log(worker.id, request)

        async def count() -> int:
            return await queries.supervision_count(worker.id)

        return build_connection(page, SupervisionRecordType.from_model, count)

    @strawberry.field(description="某督导一年的督导量（督导本人与工作人员可见）")
    async def supervision_caseload(
        self, info: Info, supervisor: strawberry.ID, year: int
    ) -> SupervisionCaseload:
        worker = await _visible_supervisor(info, supervisor)
        if not MIN_YEAR <= year <= 9999:
            raise ValidationError(ErrorCode.OUT_OF_RANGE, f"年份须在 {MIN_YEAR}–9999 之间", ["year"])
        return SupervisionCaseload.from_domain(year, await queries.caseload(worker.id, year))
