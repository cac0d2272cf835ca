from __future__ import annotations

from datetime import date

import strawberry
from strawberry import relay

from api.schema.contributions import Slot
from api.schema.errors import error_codes
from api.schema.grids.types import GridCellType
from api.schema.info import Info
from api.schema.limits import max_items
from api.schema.people.types import PersonType
from api.schema.relay import UserError
from domain.errors import ErrorCode
from domain.organisations import policy
from domain.organisations.errors import OrgCode
from domain.organisations.models import (
    AnnualReport,
    LegalForm,
    MemberRole,
    Organisation,
    OrganisationMember,
    OrgField,
    OrgStatus,
    Rating,
    RatingRecord,
    ReportStatus,
    Sanction,
    SanctionList,
)
from domain.organisations.queries import MAX_MEMBERS, MAX_RATINGS, MAX_REPORTS, MAX_SANCTIONS

LegalFormEnum = strawberry.enum(LegalForm, name="LegalForm", description="社会组织类型")
OrgFieldEnum = strawberry.enum(OrgField, name="OrganisationField", description="社会组织领域")
OrgStatusEnum = strawberry.enum(OrgStatus, name="OrganisationStatus", description="登记/备案状态")
RatingEnum = strawberry.enum(Rating, name="OrganisationRating", description="社会组织评估等级（A5 即 5A）")
SanctionListEnum = strawberry.enum(SanctionList, name="SanctionList", description="名录")
MemberRoleEnum = strawberry.enum(MemberRole, name="OrganisationMemberRole", description="组织成员身份")
ReportStatusEnum = strawberry.enum(ReportStatus, name="AnnualReportStatus", description="年度报告状态")


@strawberry.type(
    name="OrganisationSanction", description="名录记录（活动异常名录、严重违法失信名单、违约限制申报）"
)
class SanctionType(relay.Node):
    id: relay.NodeID[int]
    list: SanctionListEnum  # type: ignore[valid-type]
    list_label: str
    reason: str
    source: str
    listed_on: date
    removed_on: date | None
    removal_reason: str = strawberry.field(description="移出原因（未移出时为空）")
    organisation_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, s: Sanction) -> SanctionType:
        return cls(
            id=s.id,
            organisation_id=s.organisation_id,
            removal_reason=s.removal_reason,
            list=s.list,
            list_label=s.list.label,
            reason=s.reason,
            source=s.source,
            listed_on=s.listed_on,
            removed_on=s.removed_on,
        )


@strawberry.type(description="等级评估结果")
class RatingRecordType:
    level: RatingEnum  # type: ignore[valid-type]
    label: str
    rated_on: date
    valid_until: date

    @classmethod
    def from_model(cls, r: RatingRecord) -> RatingRecordType:
        return cls(level=r.level, label=r.level.label, rated_on=r.rated_on, valid_until=r.valid_until)


@strawberry.type(name="OrganisationMember", description="组织成员（个人信息脱敏规则同 Person）")
class OrganisationMemberType(relay.Node):
    id: relay.NodeID[int]
    role: MemberRoleEnum  # type: ignore[valid-type]
    role_label: str
    started_on: date | None
    ended_on: date | None = strawberry.field(description="身份结束日期（现任为 null）")
    member: strawberry.Private[OrganisationMember]

    @classmethod
    def from_model(cls, m: OrganisationMember) -> OrganisationMemberType:
        return cls(
            id=m.id,
            role=m.role,
            role_label=m.role.label,
            started_on=m.started_on,
            ended_on=m.ended_on,
            member=m,
        )

    @strawberry.field(description="成员本人")
    def person(self, info: Info) -> PersonType:
        return PersonType.for_actor(info.context.actor, self.member.person)


@strawberry.type(name="AnnualReport", description="年度报告（报送情况公开；退回说明仅工作人员与本组织可见）")
class AnnualReportType(relay.Node):
    id: relay.NodeID[int]
    year: int
    status: ReportStatusEnum  # type: ignore[valid-type]
    status_label: str
    submitted_on: date
    decided_on: date | None
    report: strawberry.Private[AnnualReport]

    @classmethod
    def from_model(cls, r: AnnualReport) -> AnnualReportType:
        return cls(
            id=r.id,
            year=r.year,
            status=r.status,
            status_label=r.status.label,
            submitted_on=r.submitted_on,
            decided_on=r.decided_on,
            report=r,
        )

    @strawberry.field(description="民政局的审核说明（退回原因）：工作人员与本组织的组织者可见，其他人为 null")
    def note(self, info: Info) -> str | None:
        actor = info.context.actor
        if actor.is_staff or policy.acts_for(actor, self.report.organisation_id):
            return self.report.note
        return None


@strawberry.type(description="可否申报财政资助项目")
class EligibilityType:
    eligible: bool
    needs_sponsor: bool = strawberry.field(
        description="备案的社区社会组织须由登记的组织或服务平台作为申报主体"
    )
    reasons: list[str] = strawberry.field(metadata=max_items(MAX_SANCTIONS + 1))


@strawberry.type(
    name="Organisation", description="社会组织：登记的社会团体、社会服务机构、基金会，或备案的社区社会组织"
)
class OrganisationType(relay.Node):
    id: relay.NodeID[int]
    name: str
    legal_form: LegalFormEnum  # type: ignore[valid-type]
    legal_form_label: str
    field: OrgFieldEnum  # type: ignore[valid-type]
    field_label: str
    status: OrgStatusEnum  # type: ignore[valid-type]
    status_label: str
    uscc: str | None = strawberry.field(description="统一社会信用代码（登记的组织）")
    filing_number: str | None = strawberry.field(description="备案编号（备案的社区社会组织）")
    founded_on: date | None
    filed_on: date | None
    registered_on: date | None
    deregistered_on: date | None
    social_work: bool = strawberry.field(description="是否为社工机构")
    rating: RatingEnum | None = strawberry.field(description="最近一次评估等级（有效期见 ratingValidUntil）")  # type: ignore[valid-type]
    rating_valid_until: date | None
    summary: str
    is_demo: bool = strawberry.field(description="演示数据（生成的，非真实记录）")
    model: strawberry.Private[Organisation]

    @classmethod
    def from_model(cls, org: Organisation) -> OrganisationType:
        return cls(
            id=org.id,
            name=org.name,
            legal_form=org.legal_form,
            legal_form_label=org.legal_form.label,
            field=org.field,
            field_label=org.field.label,
            status=org.status,
            status_label=org.status.label,
            uscc=org.uscc,
            filing_number=org.filing_number,
            founded_on=org.founded_on,
            filed_on=org.filed_on,
            registered_on=org.registered_on,
            deregistered_on=org.deregistered_on,
            social_work=org.social_work,
            rating=org.rating,
            rating_valid_until=org.rating_valid_until,
            summary=org.summary,
            is_demo=org.is_demo,
            model=org,
        )

    @strawberry.field(description="活动地（所在网格单元）")
    async def home_cell(self, info: Info) -> GridCellType:
        cell = await info.context.loaders.grids.cell_by_id.load(self.model.home_cell_id)
        assert cell is not None  # a foreign key
        return GridCellType.from_model(cell)

    @strawberry.field(description="联系人（脱敏规则同 Person）")
    async def contact(self, info: Info) -> PersonType | None:
        if self.model.contact_id is None:
            return None
        person = await info.context.loaders.grids.person_by_id.load(self.model.contact_id)
        return PersonType.for_actor(info.context.actor, person) if person else None

    @strawberry.field(description="现任成员（法定代表人、联系人、成员）", metadata=max_items(MAX_MEMBERS))
    async def members(self, info: Info) -> list[OrganisationMemberType]:
        rows = await info.context.loaders.organisations.members_by_organisation.load(self.id)
        return [OrganisationMemberType.from_model(m) for m in rows]

    @strawberry.field(description="名录记录（新的在前）", metadata=max_items(MAX_SANCTIONS))
    async def sanctions(self, info: Info) -> list[SanctionType]:
        rows = await info.context.loaders.organisations.sanctions_by_organisation.load(self.id)
        return [SanctionType.from_model(s) for s in rows]

    @strawberry.field(description="等级评估记录（新的在前）", metadata=max_items(MAX_RATINGS))
    async def ratings(self, info: Info) -> list[RatingRecordType]:
        rows = await info.context.loaders.organisations.ratings_by_organisation.load(self.id)
        return [RatingRecordType.from_model(r) for r in rows]

    @strawberry.field(description="年度报告（新的年度在前）", metadata=max_items(MAX_REPORTS))
    async def annual_reports(self, info: Info) -> list[AnnualReportType]:
        rows = await info.context.loaders.organisations.reports_by_organisation.load(self.id)
        return [AnnualReportType.from_model(r) for r in rows]

    @strawberry.field(description="今天可否申报公益创投等财政资助项目（由名录与登记状态决定）")
    async def eligibility(self, info: Info) -> EligibilityType:
        found = await info.context.loaders.organisations.eligibility_by_organisation.load(self.id)
        return EligibilityType(
            eligible=found.eligible, needs_sponsor=found.needs_sponsor, reasons=list(found.reasons)
        )


# Other domains add fields to Organisation before its eligibility (social work: placements, workers).
ORGANISATION_FIELDS = Slot(OrganisationType, before="eligibility")


@strawberry.input(description="社会组织名录筛选（各条件同时满足）")
class OrganisationFilter:
    town: strawberry.ID | None = strawberry.field(default=None, description="镇（街道）")
    subtree: strawberry.ID | None = strawberry.field(default=None, description="某网格单元及其下级")
    legal_forms: list[LegalFormEnum] | None = None  # type: ignore[valid-type]
    fields: list[OrgFieldEnum] | None = None  # type: ignore[valid-type]
    statuses: list[OrgStatusEnum] | None = strawberry.field(default=None, description="缺省时不含已注销")  # type: ignore[valid-type]
    rating: RatingEnum | None = strawberry.field(default=None, description="今天有效的评估等级")  # type: ignore[valid-type]
    social_work: bool | None = None
    search: str | None = strawberry.field(default=None, description="名称包含的字词（最多 50 字）")


@strawberry.type(description="某一状态的组织数")
class OrganisationStatusCount:
    status: OrgStatusEnum  # type: ignore[valid-type]
    label: str
    count: int


OrganisationErrorCode = error_codes(
    "OrganisationErrorCode",
    [
        OrgCode.INVALID_USCC,
        ErrorCode.INVALID_LENGTH,
        ErrorCode.INVALID_PARENT,
        ErrorCode.RETIRED,
        ErrorCode.NOT_FOR_TYPE,
        ErrorCode.FUTURE_TIME,
        ErrorCode.END_BEFORE_START,
        ErrorCode.OUT_OF_RANGE,
        ErrorCode.DUPLICATE_NAME,
        ErrorCode.DUPLICATE_CODE,
        ErrorCode.DUPLICATE_PERSON,
        ErrorCode.INVALID_TRANSITION,
        ErrorCode.REASON_REQUIRED,
    ],
    "社会组织登记、备案、名录、评估、成员与年报的错误码",
)


@strawberry.type
class OrganisationUserError(UserError):
    code: OrganisationErrorCode  # type: ignore[valid-type]
