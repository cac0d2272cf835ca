"""Venture funding's reads. Public: rounds past their draft (`fundingRounds`, `fundingRound`),
a round's published results (`fundingResults`) and its published needs (`fundingNeeds`); the
first three are compiled too (compile.py). An organiser's own applications (`myApplications`)
and a round's applications for bureau staff (`applications`) stay on the resolvers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

from api.schema.funding.types import (
    ApplicationAttachmentType,
    ApplicationType,
    AppStatusEnum,
    EvaluationType,
    FundingRoundType,
    NeedType,
    TrancheType,
    attachment_blindness,
)
from api.schema.info import Info
from api.schema.relay import Connection, build_connection, node_pk, page_request
from domain.errors import PermissionDenied
from domain.funding import attachments, queries
from domain.funding.models import Application, AppStatus
from domain.organisations.policy import is_bureau
from domain.pagination import Page


async def load_round(info: Info, pk: int) -> FundingRoundType | None:
    found = await queries.visible_round(info.context.actor, pk)
    return FundingRoundType.from_model(found) if found else None


async def load_application(info: Info, pk: int) -> ApplicationType | None:
    """An application its reader may see: in full (staff, its own organisers) or as a published
    result."""
    loaders = info.context.loaders.funding
    found = await loaders.application_by_id.load(pk)
    if found is None:
        return None
    if queries.sees_in_full(info.context.actor, found.organisation_id) or await loaders.is_public_result.load(
        pk
    ):
        return ApplicationType.from_model(found)
    return None


async def load_attachment(info: Info, pk: int) -> ApplicationAttachmentType | None:
    """An attachment its reader may read (`domain.funding.attachments`), named as they see it."""
    loaders = info.context.loaders.funding
    found = await loaders.attachment_by_id.load(pk)
    application = await loaders.application_by_id.load(found.application_id) if found else None
    if application is None:
        return None
    blind = await attachment_blindness(info, application)
    if blind is None:
        return None
    rows = await loaders.attachments_by_application.load(application.id)
    shown = next((s for s in attachments.shown(rows, blind) if s.id == pk), None)
    return ApplicationAttachmentType.from_shown(shown) if shown else None


async def load_tranche(info: Info, pk: int) -> TrancheType | None:
    found = await info.context.loaders.funding.tranche_by_id.load(pk)
    if found is None or not await _sees_application_in_full(info, found.application_id):
        return None
    return TrancheType.from_model(found)


async def load_evaluation(info: Info, pk: int) -> EvaluationType | None:
    found = await info.context.loaders.funding.evaluation_by_id.load(pk)
    if found is None or not await _sees_application_in_full(info, found.application_id):
        return None
    return EvaluationType.from_model(found)


async def _sees_application_in_full(info: Info, application_id: int) -> bool:
    application = await info.context.loaders.funding.application_by_id.load(application_id)
    return application is not None and queries.sees_in_full(info.context.actor, application.organisation_id)


async def load_need(info: Info, pk: int) -> NeedType | None:
    found = await info.context.loaders.funding.need_by_id.load(pk)
    if found is None:
        return None
    if is_bureau(info.context.actor) or pk in await queries.public_need_ids([found]):
        return NeedType.from_model(found)
    return None


def _apps(page: Page[Application], count: Callable[[], Awaitable[int]]) -> Connection[ApplicationType]:
    return build_connection(page, ApplicationType.from_model, count)


@strawberry.type
class FundingQueries:
    @strawberry.field(description="公益创投轮次（公开：不含草稿；民政局工作人员可见全部；按创建先后）")
    async def funding_rounds(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[FundingRoundType]:
        request = page_request(first=first, after=after, last=None, before=None, key_types=(int,))
        actor = info.context.actor
        page = await queries.rounds_for(actor, request)

        async def count() -> int:
            return await queries.count_rounds_for(actor)

        return build_connection(page, FundingRoundType.from_model, count)

    @strawberry.field(description="按 ID 查询公益创投轮次（草稿仅民政局工作人员可见）")
    async def funding_round(self, info: Info, id: strawberry.ID) -> FundingRoundType | None:
        return await load_round(info, node_pk(id, "FundingRound"))

    @strawberry.field(description="某轮已公示的资助结果（公示、立项、实施、结项的项目及其资助金额）")
    async def funding_results(
        self, info: Info, round: strawberry.ID, first: int | None = None, after: str | None = None
    ) -> Connection[ApplicationType]:
        round_id = node_pk(round, "FundingRound", "round")
        request = page_request(first=first, after=after, last=None, before=None, key_types=(int,))
        page = await queries.results(round_id, request)

        async def count() -> int:
            return await queries.count_results(round_id)

        return _apps(page, count)

    @strawberry.field(description="某轮已发布的需求（需求征集；不显示提交人）")
    async def funding_needs(
        self, info: Info, round: strawberry.ID, first: int | None = None, after: str | None = None
    ) -> Connection[NeedType]:
        round_id = node_pk(round, "FundingRound", "round")
        request = page_request(first=first, after=after, last=None, before=None, key_types=(int,))
        page = await queries.needs(round_id, request)

        async def count() -> int:
            return await queries.count_needs(round_id)

        return build_connection(page, NeedType.from_model, count)

    @strawberry.field(description="本人作为组织者所在组织的全部申报（未登录或非组织者为空）")
    async def my_applications(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ApplicationType]:
        own = queries.own_organisations(info.context.actor)
        request = page_request(first=first, after=after, last=None, before=None, key_types=(int,))
        page = await queries.applications_of_any(own, request)

        async def count() -> int:
            return await queries.count_applications_of_any(own)

        return _apps(page, count)

    @strawberry.field(description="某轮的全部申报，可按状态筛选（民政局工作人员）")
    async def applications(
        self,
        info: Info,
        round: strawberry.ID,
        status: AppStatusEnum | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ApplicationType]:
        if not is_bureau(info.context.actor):
            raise PermissionDenied("只有民政局工作人员可以查看全部申报")
        round_id = node_pk(round, "FundingRound", "round")
        wanted = AppStatus(status) if status else None
        request = page_request(first=first, after=after, last=None, before=None, key_types=(int,))
        page = await queries.round_applications(round_id, wanted, request)

        async def count() -> int:
            return await queries.count_round_applications(round_id, wanted)

        return _apps(page, count)
