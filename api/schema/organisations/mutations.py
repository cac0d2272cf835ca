"""The organisation registry's mutations: one per use case of `domain.organisations` (register or
file, upgrade, deregister, sanction entries, ratings, members, annual reports), each one
`respond(...)`. Global IDs are decoded inside the use case's work, so a malformed one is a
userError of its input field."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

import strawberry

from api.schema.info import Info
from api.schema.mutation import respond
from api.schema.organisations.types import (
    AnnualReportType,
    LegalFormEnum,
    MemberRoleEnum,
    OrganisationMemberType,
    OrganisationType,
    OrganisationUserError,
    OrgFieldEnum,
    RatingEnum,
    RatingRecordType,
    SanctionListEnum,
    SanctionType,
)
from api.schema.relay import USER_ERRORS, node_pk
from domain import clock
from domain.organisations import members, queries, service
from domain.organisations.models import (
    AnnualReport,
    LegalForm,
    MemberRole,
    Organisation,
    OrganisationMember,
    OrgField,
    Rating,
    SanctionList,
)
from domain.organisations.service import OrganisationInput


@strawberry.input(
    description="登记社会组织（社会团体、社会服务机构、基金会：民政局，须填统一社会信用代码）"
    "或备案社区社会组织（民政局或备案地网格员，须填备案编号与备案的镇（街道）或社区）"
)
class OrganisationCreateInput:
    name: str
    legal_form: LegalFormEnum  # type: ignore[valid-type]
    field: OrgFieldEnum  # type: ignore[valid-type]
    home_cell_id: strawberry.ID = strawberry.field(description="活动地（网格单元）")
    founded_on: date | None = None
    summary: str = ""
    social_work: bool = strawberry.field(default=False, description="社工机构（仅登记的社会服务机构）")
    uscc: str | None = strawberry.field(default=None, description="统一社会信用代码（登记）")
    registered_on: date | None = strawberry.field(default=None, description="登记日期（缺省为今天）")
    filing_number: str | None = strawberry.field(default=None, description="备案编号（备案）")
    filing_cell_id: strawberry.ID | None = strawberry.field(
        default=None, description="备案的镇（街道）或社区（备案）"
    )
    filed_on: date | None = strawberry.field(default=None, description="备案日期（缺省为今天）")


@strawberry.input(description="备案的社区社会组织登记为法人（备案编号与日期保留为历史）")
class OrganisationUpgradeInput:
    id: strawberry.ID
    legal_form: LegalFormEnum  # type: ignore[valid-type]
    uscc: str
    registered_on: date


@strawberry.input(description="注销（不可撤销，须说明原因）")
class OrganisationDeregisterInput:
    id: strawberry.ID
    on: date
    reason: str


@strawberry.input(description="列入名录；违约限制申报缺省 3 年后移出")
class OrganisationSanctionAddInput:
    organisation_id: strawberry.ID
    list: SanctionListEnum  # type: ignore[valid-type]
    reason: str
    source: str = strawberry.field(description="决定机关及文号")
    listed_on: date
    removed_on: date | None = None


@strawberry.input(description="移出名录（须说明原因）")
class OrganisationSanctionLiftInput:
    id: strawberry.ID
    on: date
    reason: str


@strawberry.input(description="记录等级评估（有效期 5 年）")
class OrganisationRatingAddInput:
    organisation_id: strawberry.ID
    level: RatingEnum  # type: ignore[valid-type]
    rated_on: date


@strawberry.input(description="添加组织成员；新的法定代表人或联系人接替现任者")
class OrganisationMemberAddInput:
    organisation_id: strawberry.ID
    person_id: strawberry.ID
    role: MemberRoleEnum  # type: ignore[valid-type]
    started_on: date


@strawberry.input(description="结束成员身份")
class OrganisationMemberEndInput:
    id: strawberry.ID
    ended_on: date


@strawberry.input(description="报送已结束年度的年度报告")
class AnnualReportSubmitInput:
    organisation_id: strawberry.ID
    year: int


@strawberry.input(description="通过或退回年度报告（退回须说明原因）")
class AnnualReportDecideInput:
    id: strawberry.ID
    accept: bool
    note: str = ""


@strawberry.type
class OrganisationPayload:
    organisation: OrganisationType | None
    user_errors: list[OrganisationUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class OrganisationSanctionPayload:
    sanction: SanctionType | None
    user_errors: list[OrganisationUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class OrganisationRatingPayload:
    rating: RatingRecordType | None
    user_errors: list[OrganisationUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class OrganisationMemberPayload:
    member: OrganisationMemberType | None
    user_errors: list[OrganisationUserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class AnnualReportPayload:
    annual_report: AnnualReportType | None
    user_errors: list[OrganisationUserError] = strawberry.field(metadata=USER_ERRORS)


def _optional_pk(value: strawberry.ID | None, type_name: str, argument: str) -> int | None:
    return node_pk(value, type_name, argument) if value else None


async def _create(info: Info, data: OrganisationCreateInput) -> Organisation:
    values = OrganisationInput(
        name=data.name,
        legal_form=LegalForm(data.legal_form),
        field=OrgField(data.field),
        home_cell_id=node_pk(data.home_cell_id, "GridCell", "homeCellId"),
        founded_on=data.founded_on,
        summary=data.summary,
        social_work=data.social_work,
        uscc=data.uscc,
        registered_on=data.registered_on,
        filing_number=data.filing_number,
        filing_cell_id=_optional_pk(data.filing_cell_id, "GridCell", "filingCellId"),
        filed_on=data.filed_on,
    )
    return await service.create_organisation(actor=info.context.actor, data=values, today=clock.today())


async def _organisation(work: Callable[[], Awaitable[Organisation]]) -> OrganisationPayload:
    return await respond(
        OrganisationPayload, work, lambda org: {"organisation": OrganisationType.from_model(org)}
    )


async def _member(work: Callable[[], Awaitable[OrganisationMember]]) -> OrganisationMemberPayload:
    return await respond(
        OrganisationMemberPayload, work, lambda m: {"member": OrganisationMemberType.from_model(m)}
    )


async def _report(work: Callable[[], Awaitable[AnnualReport]]) -> AnnualReportPayload:
    return await respond(
        AnnualReportPayload, work, lambda r: {"annual_report": AnnualReportType.from_model(r)}
    )


async def _add_member(info: Info, data: OrganisationMemberAddInput) -> OrganisationMember:
    member = await members.add_member(
        actor=info.context.actor,
        organisation_id=node_pk(data.organisation_id, "Organisation", "organisationId"),
        person_id=node_pk(data.person_id, "Person", "personId"),
        role=MemberRole(data.role),
        started_on=data.started_on,
        today=clock.today(),
    )
    return await _with_person(member)


async def _with_person(member: OrganisationMember) -> OrganisationMember:
    """The row again with its person, which the payload shows (masked per reader)."""
    return (await queries.members_by_ids([member.id]))[member.id]


async def _end_member(info: Info, data: OrganisationMemberEndInput) -> OrganisationMember:
    member = await members.end_member(
        actor=info.context.actor,
        member_id=node_pk(data.id, "OrganisationMember"),
        ended_on=data.ended_on,
        today=clock.today(),
    )
    return await _with_person(member)


@strawberry.type
class OrganisationMutations:
    @strawberry.mutation(description="登记社会组织（民政局）或备案社区社会组织（民政局、备案地网格员）")
    async def organisation_create(self, info: Info, input: OrganisationCreateInput) -> OrganisationPayload:
        return await _organisation(lambda: _create(info, input))

    @strawberry.mutation(description="备案转登记（民政局）")
    async def organisation_upgrade(self, info: Info, input: OrganisationUpgradeInput) -> OrganisationPayload:
        return await _organisation(
            lambda: service.upgrade_to_registered(
                actor=info.context.actor,
                organisation_id=node_pk(input.id, "Organisation"),
                legal_form=LegalForm(input.legal_form),
                uscc=input.uscc,
                registered_on=input.registered_on,
                today=clock.today(),
            )
        )

    @strawberry.mutation(description="注销社会组织（民政局，不可撤销）")
    async def organisation_deregister(
        self, info: Info, input: OrganisationDeregisterInput
    ) -> OrganisationPayload:
        return await _organisation(
            lambda: service.deregister(
                actor=info.context.actor,
                organisation_id=node_pk(input.id, "Organisation"),
                on=input.on,
                reason=input.reason,
                today=clock.today(),
            )
        )

    @strawberry.mutation(description="列入名录（民政局）")
    async def organisation_sanction_add(
        self, info: Info, input: OrganisationSanctionAddInput
    ) -> OrganisationSanctionPayload:
        return await respond(
            OrganisationSanctionPayload,
            lambda: service.add_sanction(
                actor=info.context.actor,
                organisation_id=node_pk(input.organisation_id, "Organisation", "organisationId"),
                sanction_list=SanctionList(input.list),
                reason=input.reason,
                source=input.source,
                listed_on=input.listed_on,
                removed_on=input.removed_on,
                today=clock.today(),
            ),
            lambda sanction: {"sanction": SanctionType.from_model(sanction)},
        )

    @strawberry.mutation(description="移出名录（民政局，须说明原因）")
    async def organisation_sanction_lift(
        self, info: Info, input: OrganisationSanctionLiftInput
    ) -> OrganisationSanctionPayload:
        return await respond(
            OrganisationSanctionPayload,
            lambda: service.lift_sanction(
                actor=info.context.actor,
                sanction_id=node_pk(input.id, "OrganisationSanction"),
                on=input.on,
                reason=input.reason,
                today=clock.today(),
            ),
            lambda sanction: {"sanction": SanctionType.from_model(sanction)},
        )

    @strawberry.mutation(description="记录等级评估（民政局）")
    async def organisation_rating_add(
        self, info: Info, input: OrganisationRatingAddInput
    ) -> OrganisationRatingPayload:
        return await respond(
            OrganisationRatingPayload,
            lambda: service.record_rating(
                actor=info.context.actor,
                organisation_id=node_pk(input.organisation_id, "Organisation", "organisationId"),
                level=Rating(input.level),
                rated_on=input.rated_on,
                today=clock.today(),
            ),
            lambda rating: {"rating": RatingRecordType.from_model(rating)},
        )

    @strawberry.mutation(
        description="添加组织成员、法定代表人或联系人（本组织的组织者、备案地网格员、民政局）"
    )
    async def organisation_member_add(
        self, info: Info, input: OrganisationMemberAddInput
    ) -> OrganisationMemberPayload:
        return await _member(lambda: _add_member(info, input))

    @strawberry.mutation(description="结束成员身份（本组织的组织者、备案地网格员、民政局）")
    async def organisation_member_end(
        self, info: Info, input: OrganisationMemberEndInput
    ) -> OrganisationMemberPayload:
        return await _member(lambda: _end_member(info, input))

    @strawberry.mutation(description="报送年度报告（本组织的组织者、备案地网格员、民政局）")
    async def annual_report_submit(self, info: Info, input: AnnualReportSubmitInput) -> AnnualReportPayload:
        return await _report(
            lambda: members.submit_annual_report(
                actor=info.context.actor,
                organisation_id=node_pk(input.organisation_id, "Organisation", "organisationId"),
                year=input.year,
                today=clock.today(),
            )
        )

    @strawberry.mutation(description="通过或退回年度报告（民政局；退回须说明原因）")
    async def annual_report_decide(self, info: Info, input: AnnualReportDecideInput) -> AnnualReportPayload:
        return await _report(
            lambda: members.decide_annual_report(
                actor=info.context.actor,
                report_id=node_pk(input.id, "AnnualReport"),
                accept=input.accept,
                note=input.note,
                today=clock.today(),
            )
        )
