"""Social organisations (社会组织): the registry venture funding, competitions and 新乡邻 networks
stand on as applicants, sponsors, leads and stationed agencies.

An organisation is either registered (登记: a legal person with a unified social credit code) in
one of three legal forms, or a filed community organisation (备案: no legal personality, active in
one town or community, filed with that town or community). A filed organisation may later
register; the upgrade keeps its filing number and date as history.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from domain.clock import years_later

if TYPE_CHECKING:
    from domain.grids.models import GridCell
    from domain.people.models import Person


class LegalForm(StrEnum):
    SOCIAL_GROUP = "SOCIAL_GROUP"
    SERVICE_INSTITUTION = "SERVICE_INSTITUTION"
    FOUNDATION = "FOUNDATION"
    COMMUNITY_GROUP = "COMMUNITY_GROUP"

    @property
    def label(self) -> str:
        return LEGAL_FORM_LABELS[self]

    @property
    def registered(self) -> bool:
        """A legal person registered with civil affairs (登记); a community group is filed (备案)."""
        return self is not LegalForm.COMMUNITY_GROUP


LEGAL_FORM_LABELS = {
    LegalForm.SOCIAL_GROUP: "社会团体",
    LegalForm.SERVICE_INSTITUTION: "社会服务机构",
    LegalForm.FOUNDATION: "基金会",
    LegalForm.COMMUNITY_GROUP: "社区社会组织",
}


class OrgField(StrEnum):
    """What the organisation works on (the bureau's usual classification of community groups)."""

    CULTURE_SPORTS = "CULTURE_SPORTS"
    CHARITY = "CHARITY"
    LIFE_SERVICE = "LIFE_SERVICE"
    MUTUAL_AID = "MUTUAL_AID"
    MEDIATION = "MEDIATION"
    SOCIAL_WORK = "SOCIAL_WORK"
    OTHER = "OTHER"

    @property
    def label(self) -> str:
        return ORG_FIELD_LABELS[self]


ORG_FIELD_LABELS = {
    OrgField.CULTURE_SPORTS: "文体类",
    OrgField.CHARITY: "公益慈善类",
    OrgField.LIFE_SERVICE: "生活服务类",
    OrgField.MUTUAL_AID: "居民互助类",
    OrgField.MEDIATION: "专业调处类",
    OrgField.SOCIAL_WORK: "社会工作服务类",
    OrgField.OTHER: "其他",
}


class OrgStatus(StrEnum):
    FILED = "FILED"
    REGISTERED = "REGISTERED"
    DEREGISTERED = "DEREGISTERED"

    @property
    def label(self) -> str:
        return ORG_STATUS_LABELS[self]


ORG_STATUS_LABELS = {
    OrgStatus.FILED: "已备案",
    OrgStatus.REGISTERED: "已登记",
    OrgStatus.DEREGISTERED: "已注销",
}

# The lifecycle: filed -> registered (an upgrade), either -> deregistered (final).
ORG_TRANSITIONS: dict[OrgStatus, frozenset[OrgStatus]] = {
    OrgStatus.FILED: frozenset({OrgStatus.REGISTERED, OrgStatus.DEREGISTERED}),
    OrgStatus.REGISTERED: frozenset({OrgStatus.DEREGISTERED}),
    OrgStatus.DEREGISTERED: frozenset(),
}


class Rating(StrEnum):
    """社会组织评估等级, best first. Valid for `RATING_VALID_YEARS` from the rating date."""

    A5 = "A5"
    A4 = "A4"
    A3 = "A3"
    A2 = "A2"
    A1 = "A1"

    @property
    def label(self) -> str:
        return f"{self.value[1]}A"


RATING_VALID_YEARS = 5


def rating_valid_until(rated_on: date) -> date:
    """The last day a rating is valid: the day before its fifth anniversary."""
    return years_later(rated_on, RATING_VALID_YEARS) - timedelta(days=1)


class SanctionList(StrEnum):
    """活动异常名录 and 严重违法失信名单 (the registration authority's lists), and a bar from public
    funding after a breach of a funded project (`BARRED`, for `BAR_YEARS` by default)."""

    ABNORMAL = "ABNORMAL"
    DISHONEST = "DISHONEST"
    BARRED = "BARRED"

    @property
    def label(self) -> str:
        return SANCTION_LIST_LABELS[self]


SANCTION_LIST_LABELS = {
    SanctionList.ABNORMAL: "活动异常名录",
    SanctionList.DISHONEST: "严重违法失信名单",
    SanctionList.BARRED: "违约限制申报",
}
BAR_YEARS = 3


class MemberRole(StrEnum):
    LEGAL_REPRESENTATIVE = "LEGAL_REPRESENTATIVE"
    CONTACT = "CONTACT"
    MEMBER = "MEMBER"

    @property
    def label(self) -> str:
        return MEMBER_ROLE_LABELS[self]


MEMBER_ROLE_LABELS = {
    MemberRole.LEGAL_REPRESENTATIVE: "法定代表人",
    MemberRole.CONTACT: "联系人",
    MemberRole.MEMBER: "成员",
}


class ReportStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    RETURNED = "RETURNED"

    @property
    def label(self) -> str:
        return REPORT_STATUS_LABELS[self]


REPORT_STATUS_LABELS = {
    ReportStatus.SUBMITTED: "已报送",
    ReportStatus.ACCEPTED: "已通过",
    ReportStatus.RETURNED: "已退回",
}


class Organisation(Model):
    """A social organisation. `home_path` and `town_id` copy the home cell's place in the tree so a
    directory filtered by town or subtree is one indexed read (cells never move)."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    legal_form = fields.CharEnumField(LegalForm, max_length=20)
    field = fields.CharEnumField(OrgField, max_length=20)
    status = fields.CharEnumField(OrgStatus, max_length=12)
    uscc = fields.CharField(max_length=18, null=True, unique=True)
    filing_number = fields.CharField(max_length=40, null=True, unique=True)
    filing_cell: fields.ForeignKeyNullableRelation[GridCell] = fields.ForeignKeyField(
        "models.GridCell", related_name="filed_organisations", null=True, on_delete=fields.RESTRICT
    )
    home_cell: fields.ForeignKeyRelation[GridCell] = fields.ForeignKeyField(
        "models.GridCell", related_name="organisations", on_delete=fields.RESTRICT
    )
    home_path = fields.CharField(max_length=100)
    town_id = fields.IntField(null=True)
    founded_on = fields.DateField(null=True)
    filed_on = fields.DateField(null=True)
    registered_on = fields.DateField(null=True)
    deregistered_on = fields.DateField(null=True)
    social_work = fields.BooleanField(default=False)
    # the latest A-level evaluation (`RatingRecord` keeps them all), for the directory's filter
    rating = fields.CharEnumField(Rating, max_length=2, null=True)
    rating_valid_until = fields.DateField(null=True)
    contact: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="contact_for", null=True, on_delete=fields.SET_NULL
    )
    summary = fields.CharField(max_length=500, default="")
    is_demo = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    filing_cell_id: int | None
    home_cell_id: int
    contact_id: int | None

    class Meta:
        table = "organisation"
        indexes = [
            Index(fields=["town_id", "status", "id"], name="organisation_town_idx"),
            Index(fields=["home_path"], name="organisation_path_idx"),
            Index(fields=["legal_form", "status", "id"], name="organisation_form_idx"),
            Index(fields=["rating", "rating_valid_until"], name="organisation_rating_idx"),
        ]

    def rating_on(self, day: date) -> Rating | None:
        """The A-level in force on `day`, if any."""
        valid = self.rating_valid_until is not None and day <= self.rating_valid_until
        return self.rating if valid else None

    @property
    def is_agency(self) -> bool:
        """A social-work service agency (社工机构): a registered 社会服务机构 with the flag."""
        return self.social_work and self.legal_form is LegalForm.SERVICE_INSTITUTION


class OrganisationMember(Model):
    """A role of a person in an organisation, ended by ended_on (history is kept)."""

    id = fields.IntField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="members", on_delete=fields.CASCADE
    )
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="memberships", on_delete=fields.RESTRICT
    )
    role = fields.CharEnumField(MemberRole, max_length=24)
    started_on = fields.DateField(null=True)
    ended_on = fields.DateField(null=True)
    is_demo = fields.BooleanField(default=False)

    organisation_id: int
    person_id: int

    class Meta:
        table = "organisation_member"
        indexes = [Index(fields=["organisation_id", "role", "id"], name="organisation_member_org_idx")]


class Sanction(Model):
    """An entry on a sanction list, with the deciding source, lifted by `removed_on`."""

    id = fields.IntField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="sanctions", on_delete=fields.CASCADE
    )
    list = fields.CharEnumField(SanctionList, max_length=12)
    reason = fields.CharField(max_length=500)
    source = fields.CharField(max_length=200)
    listed_on = fields.DateField()
    removed_on = fields.DateField(null=True)
    removal_reason = fields.CharField(max_length=500, default="")
    is_demo = fields.BooleanField(default=False)

    organisation_id: int

    class Meta:
        table = "organisation_sanction"
        indexes = [Index(fields=["organisation_id", "listed_on"], name="organisation_sanction_org_idx")]

    def active_on(self, day: date) -> bool:
        return self.listed_on <= day and (self.removed_on is None or day < self.removed_on)


class RatingRecord(Model):
    """An A-level evaluation result: the current rating is the latest one still valid."""

    id = fields.IntField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="ratings", on_delete=fields.CASCADE
    )
    level = fields.CharEnumField(Rating, max_length=2)
    rated_on = fields.DateField()
    valid_until = fields.DateField()
    is_demo = fields.BooleanField(default=False)

    organisation_id: int

    class Meta:
        table = "organisation_rating"
        indexes = [Index(fields=["organisation_id", "rated_on"], name="organisation_rating_org_idx")]


class AnnualReport(Model):
    """An organisation's annual report (年度报告) for one year."""

    id = fields.IntField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="annual_reports", on_delete=fields.CASCADE
    )
    year = fields.SmallIntField()
    status = fields.CharEnumField(ReportStatus, max_length=10)
    submitted_on = fields.DateField()
    decided_on = fields.DateField(null=True)
    note = fields.CharField(max_length=500, default="")
    is_demo = fields.BooleanField(default=False)

    organisation_id: int

    class Meta:
        table = "organisation_annual_report"
        unique_together = (("organisation_id", "year"),)
