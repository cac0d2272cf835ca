"""The registry's staff forms as typed: filing or registering an organisation, and the small forms
of an organisation's page. Each reads what it can and names every input it cannot read, so the
page shows those beside their inputs together with the domain's own errors."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from starlette.datastructures import FormData

from domain.access import Actor, Role
from domain.grids.models import GridCell
from domain.organisations import policy, queries
from domain.organisations.models import LegalForm, Organisation, OrgField
from domain.organisations.service import OrganisationInput
from web.forms import text, whole_number

REGISTERED_FORMS = tuple(form for form in LegalForm if form.registered)

# {input name: (input id, label)}: the summary's links, in the form's order.
NEW_LABELS: dict[str, tuple[str, str]] = {
    "name": ("org-name", "名称"),
    "legal_form": ("org-legal-form", "组织类型"),
    "field": ("org-field", "领域"),
    "home_cell": ("org-home-cell", "活动地"),
    "founded_on": ("org-founded-on", "成立日期"),
    "uscc": ("org-uscc", "统一社会信用代码"),
    "registered_on": ("org-registered-on", "登记日期"),
    "filing_number": ("org-filing-number", "备案编号"),
    "filing_cell": ("org-filing-cell", "备案镇（街道）或社区"),
    "filed_on": ("org-filed-on", "备案日期"),
    "summary": ("org-summary", "简介"),
    "social_work": ("org-social-work", "社工机构"),
}
# The domain's field names for the form's inputs.
NEW_ALIASES = {
    "legalForm": "legal_form",
    "homeCellId": "home_cell",
    "foundedOn": "founded_on",
    "registeredOn": "registered_on",
    "filingNumber": "filing_number",
    "filingCellId": "filing_cell",
    "filedOn": "filed_on",
    "socialWork": "social_work",
}


def day(raw: str, name: str, errors: dict[str, str], *, required: bool = False) -> date | None:
    """A date input (YYYY-MM-DD); an unreadable one, or a missing required one, is named."""
    value = raw.strip()
    if not value:
        if required:
            errors[name] = "请填写日期"
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = "请输入有效的日期（年-月-日）"
        return None


@dataclass(frozen=True)
class Place:
    """A town, village or community offered by a cell picker, indented under its town."""

    cell: GridCell
    is_town: bool


async def places_for(actor: Actor) -> list[Place]:
    """The places the actor may file at (the bureau: all), in tree order: one statement."""
    return [
        Place(cell, cell.depth == 1)
        for cell in await queries.places()
        if policy.can_file_at(actor, cell.path)
    ]


@dataclass(frozen=True)
class NewOrganisationForm:
    name: str = ""
    legal_form: str = ""
    field: str = ""
    home_cell: str = ""
    founded_on: str = ""
    summary: str = ""
    social_work: bool = False
    uscc: str = ""
    registered_on: str = ""
    filing_number: str = ""
    filing_cell: str = ""
    filed_on: str = ""

    @classmethod
    def blank(cls, actor: Actor, today: date) -> NewOrganisationForm:
        bureau = policy.is_bureau(actor)
        legal_form = "" if bureau else LegalForm.COMMUNITY_GROUP.value
        return cls(legal_form=legal_form, registered_on=today.isoformat(), filed_on=today.isoformat())

    @classmethod
    def from_form(cls, form: FormData) -> NewOrganisationForm:
        values: dict[str, Any] = {
            f.name: text(form, f.name, 500) for f in fields(cls) if f.name != "social_work"
        }
        return cls(**values, social_work=text(form, "social_work") == "1")

    @property
    def registers(self) -> bool:
        return self.legal_form in {form.value for form in REGISTERED_FORMS}

    def parse(self) -> tuple[OrganisationInput, dict[str, str]]:
        """The domain's input (placeholders where an input does not read) and the inputs that do
        not read, by name."""
        errors: dict[str, str] = {}
        legal_form = LegalForm(self.legal_form) if self.legal_form in LegalForm.__members__ else None
        if legal_form is None:
            errors["legal_form"] = "请选择组织类型"
        field = OrgField(self.field) if self.field in OrgField.__members__ else None
        if field is None:
            errors["field"] = "请选择领域"
        home = whole_number(self.home_cell)
        if home is None:
            errors["home_cell"] = "请选择活动地"
        registers = legal_form is not None and legal_form.registered
        filing = whole_number(self.filing_cell)
        if legal_form is LegalForm.COMMUNITY_GROUP and filing is None:
            errors["filing_cell"] = "请选择备案的镇（街道）或社区"
        data = OrganisationInput(
            name=self.name,
            legal_form=legal_form or LegalForm.COMMUNITY_GROUP,
            field=field or next(iter(OrgField)),
            home_cell_id=home or 0,
            founded_on=day(self.founded_on, "founded_on", errors),
            summary=self.summary,
            social_work=self.social_work,
            uscc=self.uscc if registers else None,
            registered_on=day(self.registered_on, "registered_on", errors) if registers else None,
            filing_number=self.filing_number if not registers else None,
            filing_cell_id=(filing or 0) if not registers else None,
            filed_on=day(self.filed_on, "filed_on", errors) if not registers else None,
        )
        return data, errors


@dataclass(frozen=True)
class Maintains:
    """What the viewer may do on an organisation's page (each action's form shows only then)."""

    bureau: bool
    maintain: bool

    @property
    def any(self) -> bool:
        return self.bureau or self.maintain


def maintains(actor: Actor, organisation: Organisation, filing: GridCell | None) -> Maintains:
    if actor.is_anonymous:
        return Maintains(False, False)
    return Maintains(
        bureau=policy.is_bureau(actor),
        maintain=policy.can_maintain(actor, organisation, filing.path if filing else None),
    )


def can_create(actor: Actor) -> bool:
    """Whether to offer 新增社会组织: the bureau, and grid staff (who file in their own scope)."""
    return not actor.is_anonymous and (policy.is_bureau(actor) or actor.has_role(Role.GRID_STAFF))


def organised_ids(actor: Actor) -> list[int]:
    """The organisations the actor acts for (ORGANISER grants scoped to one), in grant order."""
    ids = [g.organisation_id for g in actor.grants if g.role is Role.ORGANISER and g.organisation_id]
    return list(dict.fromkeys(ids))


async def my_organisations(actor: Actor) -> list[Organisation]:
    """The organisations an ORGANISER acts for: one statement, none for anyone else."""
    ids = organised_ids(actor)
    found = await queries.organisations_by_ids(ids)
    return [found[i] for i in ids if i in found]
