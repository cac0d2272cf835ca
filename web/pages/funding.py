"""Venture funding (公益创投) pages: the public rounds and a round's rules, needs and published
results; the organiser's applications and the application form (typed values, the budget table,
its live totals and every rule's error beside its input)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from starlette.datastructures import FormData

from domain.access import Actor
from domain.errors import DomainError, NotFound, every_error
from domain.funding import attachments, queries
from domain.funding.applications import ApplicationInput, LineInput, check_money
from domain.funding.models import (
    RESULT_STAGES,
    Application,
    ApplicationEvent,
    BudgetLine,
    FundedBy,
    FundingRound,
    Need,
    RoundStage,
    Tranche,
    TrancheTrigger,
)
from domain.funding.money import yuan
from domain.grids import queries as grid_queries
from domain.grids.models import GridCell
from domain.input import Errors
from domain.organisations import queries as org_queries
from domain.organisations.models import LegalForm, Organisation
from domain.organisations.policy import acts_for, is_bureau
from domain.pagination import MAX_PAGE_SIZE, PageRequest
from domain.people.masking import mask_name
from web.forms import FORM, text, texts, whole_number
from web.pages.organisation_forms import organised_ids

MAX_ROWS = 30  # budget lines and milestones a form carries
BLANK_LINES = 2
YUAN = re.compile(r"^\d{1,10}(\.\d{1,2})?$")


def fen_of(raw: str) -> int | None:
    """ "1,234.5" -> 123450: yuan with up to two decimals, read without floats."""
    value = raw.strip().replace(",", "").replace("，", "")
    if not YUAN.match(value):
        return None
    whole, _, cents = value.partition(".")
    return int(whole) * 100 + int((cents + "00")[:2])


def yuan_input(fen: int) -> str:
    """123450 -> "1234.50" (the form's value, without separators)."""
    return f"{fen // 100}.{fen % 100:02d}"


# --- public pages -------------------------------------------------------------------------------


async def public_rounds() -> list[FundingRound]:
    """The rounds past their draft, oldest edition first: one statement."""
    return (await queries.rounds(PageRequest(first=MAX_PAGE_SIZE))).items


def rules_of(r: FundingRound) -> list[tuple[str, str]]:
    """The round's rules in plain words."""
    plan = "；".join(
        f"{step['percent']}% 于{TrancheTrigger(step['trigger']).label}后拨付" for step in r.tranche_plan
    )
    who = (
        "登记的社会组织直接申报；备案的社区社会组织须由登记的社会组织推荐申报"
        if r.allow_filed
        else "仅限登记的社会组织申报"
    )
    return [
        ("资金池", yuan(r.pool_fen)),
        ("单个项目资助上限", yuan(r.cap_fen)),
        ("创投资金占比", f"不超过项目总预算的 {r.max_grant_share_pct}%"),
        ("配套资金", f"不少于项目总预算的 {r.min_matching_share_pct}%"),
        ("申报对象", who),
        ("申报数量", f"每个组织本轮最多申报 {r.max_applications_per_org} 个项目"),
        ("分期拨付", plan or "—"),
        ("结果公示期", f"{r.publicity_days} 个工作日"),
    ]


@dataclass(frozen=True)
class RoundPage:
    round: FundingRound
    rules: list[tuple[str, str]]
    needs: list[tuple[Need, GridCell | None]]
    results: list[Application] | None
    awarded_fen: int = 0

    @property
    def remaining_fen(self) -> int:
        pool: int = self.round.pool_fen
        return pool - self.awarded_fen

    @property
    def collects_needs(self) -> bool:
        return self.round.stage is RoundStage.NEEDS_COLLECTION

    @property
    def open(self) -> bool:
        return self.round.stage is RoundStage.OPEN


async def round_page(round_id: int) -> RoundPage:
    """A public round with its published needs and, once publicised, its results: at most four
    statements (the round, needs, their cells, results)."""
    found = await queries.public_round_by_id(round_id)
    if found is None:
        raise NotFound("公益创投轮次不存在")
    needs = (await queries.needs(round_id, PageRequest(first=MAX_PAGE_SIZE))).items
    cells = await grid_queries.cells_by_ids(n.cell_id for n in needs)
    results = None
    if found.stage in RESULT_STAGES:
        results = (await queries.results(round_id, PageRequest(first=MAX_PAGE_SIZE))).items
    awarded = sum(a.award_fen or 0 for a in results or [])
    return RoundPage(found, rules_of(found), [(n, cells.get(n.cell_id)) for n in needs], results, awarded)


# --- the organiser's pages ----------------------------------------------------------------------


async def my_applications(viewer: Actor) -> list[Application]:
    ids = organised_ids(viewer)
    if not ids:
        return []
    return (await queries.applications_for(ids, PageRequest(first=MAX_PAGE_SIZE))).items


def may_see(viewer: Actor, application: Application) -> bool:
    """The whole application: its organisation's organisers and the bureau."""
    return acts_for(viewer, application.organisation_id) or is_bureau(viewer)


@dataclass(frozen=True)
class ApplicationPage:
    application: Application
    full: bool
    lines: list[BudgetLine] = field(default_factory=list)
    events: list[ApplicationEvent] = field(default_factory=list)
    tranches: list[Tranche] = field(default_factory=list)
    cells: list[GridCell] = field(default_factory=list)
    attachments: list[attachments.Shown] = field(default_factory=list)

    def who(self, event: ApplicationEvent) -> str:
        """Who moved the application: masked for anyone but its organisers and the bureau."""
        label = event.actor_label or "系统"
        return label if self.full else mask_name(label)

    @property
    def grant_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines if line.funded_by is FundedBy.GRANT)

    @property
    def matching_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines if line.funded_by is FundedBy.MATCHING)


async def application_page(viewer: Actor, application_id: int) -> ApplicationPage:
    """The application for its organisers and the bureau; a published result for anyone else
    (with its timeline's people masked); else not found."""
    application = await queries.application_by_id(application_id)
    if application is None:
        raise NotFound("项目申报不存在")
    full = may_see(viewer, application)
    if not full and not await public_application(application):
        raise NotFound("项目申报不存在")
    lines = (await queries.budget_lines_of([application.id]))[application.id]
    events = await queries.timeline_of(application.id)
    tranches = (await queries.tranches_of([application.id]))[application.id] if full else []
    cells = await grid_queries.cells_by_ids(application.cell_ids)
    files = await attachments.visible_attachments(viewer, application)
    return ApplicationPage(
        application,
        full,
        lines,
        events,
        tranches,
        [cells[c] for c in application.cell_ids if c in cells],
        files,
    )


async def public_application(application: Application) -> bool:
    return await queries.is_public_result(application.id)


# --- the application form -----------------------------------------------------------------------


@dataclass(frozen=True)
class LineRow:
    category: str = ""
    item: str = ""
    amount: str = ""
    funded_by: str = FundedBy.GRANT.value


@dataclass(frozen=True)
class MilestoneRow:
    title: str = ""
    due: str = ""


@dataclass(frozen=True)
class ApplicationForm:
    organisation: str = ""
    project_name: str = ""
    target_group: str = ""
    problem: str = ""
    plan: str = ""
    requested: str = ""
    sponsor: str = ""
    cells: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    lines: tuple[LineRow, ...] = (LineRow(), LineRow(funded_by=FundedBy.MATCHING.value))
    milestones: tuple[MilestoneRow, ...] = (MilestoneRow(), MilestoneRow())

    @classmethod
    def from_form(cls, form: FormData) -> ApplicationForm:
        columns = [texts(form, f"line_{name}") for name in ("category", "item", "amount", "funded_by")]
        lines = tuple(
            LineRow(c[:50], i[:200], a[:20], f)
            for c, i, a, f in zip(*columns, strict=False)
            if (c.strip() or i.strip() or a.strip())
        )
        titles, dues = texts(form, "milestone_title"), texts(form, "milestone_due")
        milestones = tuple(
            MilestoneRow(t[:100], d[:10])
            for t, d in zip(titles, dues, strict=False)
            if t.strip() or d.strip()
        )
        return cls(
            organisation=text(form, "organisation", 12),
            project_name=text(form, "project_name", 100),
            target_group=text(form, "target_group", 200),
            problem=text(form, "problem", 5000),
            plan=text(form, "plan", 5000),
            requested=text(form, "requested", 20),
            sponsor=text(form, "sponsor", 100),
            cells=tuple(texts(form, "cells")[:60]),
            needs=tuple(texts(form, "needs")[:60]),
            lines=lines[:MAX_ROWS],
            milestones=milestones[:MAX_ROWS],
        )

    @classmethod
    def of(cls, application: Application, lines: list[BudgetLine]) -> ApplicationForm:
        sponsor = application.sponsor.name if application.sponsor else ""
        return cls(
            organisation=str(application.organisation_id),
            project_name=application.project_name,
            target_group=application.target_group,
            problem=application.problem,
            plan=application.plan,
            requested=yuan_input(application.requested_fen),
            sponsor=sponsor,
            cells=tuple(str(c) for c in application.cell_ids),
            needs=tuple(str(n) for n in application.need_ids),
            lines=tuple(
                LineRow(x.category, x.item, yuan_input(x.amount_fen), x.funded_by.value) for x in lines
            ),
            milestones=tuple(MilestoneRow(m["title"], m["due"]) for m in application.milestones),
        )

    def for_editing(self, op: str) -> ApplicationForm:
        """The form after its add-row or remove-row button, with a blank row to type in."""
        lines = list(self.lines)
        if op == "add-line" and len(lines) < MAX_ROWS:
            lines.append(LineRow())
        elif op.startswith("remove-line-") and (index := whole_number(op[12:])) is not None:
            del lines[index : index + 1]
        milestones = list(self.milestones)
        if op == "add-milestone" and len(milestones) < MAX_ROWS:
            milestones.append(MilestoneRow())
        elif op.startswith("remove-milestone-") and (index := whole_number(op[17:])) is not None:
            del milestones[index : index + 1]
        return replace(self, lines=tuple(lines) or (LineRow(),), milestones=tuple(milestones))

    def padded(self) -> ApplicationForm:
        """As shown: at least one row of each table to type in."""
        return replace(
            self, lines=self.lines or (LineRow(),), milestones=self.milestones or (MilestoneRow(),)
        )

    def parse(self, organisation_id: int, sponsor_id: int | None) -> tuple[ApplicationInput, dict[str, str]]:
        """The domain's input (placeholders where an input does not read) and the inputs that do
        not read, by name."""
        errors: dict[str, str] = {}
        requested = fen_of(self.requested)
        if requested is None:
            errors["requested"] = "请输入金额（元，最多两位小数）"
        lines = []
        for i, row in enumerate(self.lines):
            amount = fen_of(row.amount)
            if amount is None:
                errors[f"line-{i}-amount"] = "请输入金额（元，最多两位小数）"
            funded = FundedBy(row.funded_by) if row.funded_by in FundedBy.__members__ else FundedBy.GRANT
            lines.append(LineInput(row.category, row.item, amount or 0, funded))
        milestones = []
        for i, m in enumerate(self.milestones):
            try:
                milestones.append((m.title, date.fromisoformat(m.due.strip())))
            except ValueError:
                errors[f"milestone-{i}-due"] = "请填写日期（年-月-日）"
        if self.sponsor.strip() and sponsor_id is None:
            errors["sponsor"] = "没有找到这个社会组织，请填写其登记的全称"
        data = ApplicationInput(
            organisation_id=organisation_id,
            project_name=self.project_name,
            target_group=self.target_group,
            problem=self.problem,
            plan=self.plan,
            requested_fen=requested or 0,
            budget_lines=tuple(lines),
            milestones=tuple(milestones),
            cell_ids=tuple(c for c in (whole_number(x) for x in self.cells) if c is not None),
            need_ids=tuple(n for n in (whole_number(x) for x in self.needs) if n is not None),
            sponsor_id=sponsor_id,
        )
        return data, errors


async def sponsor_id_of(form: ApplicationForm) -> int | None:
    """The sponsor named on the form, a registered organisation (the rule is the domain's): one
    statement when a name is given."""
    found = await org_queries.by_name_or_code(form.sponsor) if form.sponsor.strip() else None
    return found.id if found else None


# {input name: (input id, label)}: the summary's links, in the form's order.
LABELS: dict[str, tuple[str, str]] = {
    "organisation": ("app-organisation", "申报组织"),
    "sponsor": ("app-sponsor", "推荐单位"),
    "project_name": ("app-project-name", "项目名称"),
    "target_group": ("app-target-group", "服务对象"),
    "problem": ("app-problem", "问题与需求分析"),
    "plan": ("app-plan", "实施方案"),
    "cells": ("app-cells", "服务网格"),
    "needs": ("app-needs", "回应的需求"),
    "budget": ("budget-heading", "预算"),
    "requested": ("app-requested", "申请金额"),
}
ALIASES = {
    "organisationId": "organisation",
    "sponsorId": "sponsor",
    "projectName": "project_name",
    "targetGroup": "target_group",
    "requestedFen": "requested",
    "budgetLines": "budget",
    "cellIds": "cells",
    "needIds": "needs",
}
ROW_FIELDS = {"amountFen": "amount", "item": "item", "title": "title", "due": "due"}


def labels_for(errors: dict[str, str]) -> dict[str, tuple[str, str]]:
    """The summary's links: the form's inputs, then each budget row's or milestone's input with
    an error (`line-1-amount` -> 预算第 2 项金额)."""
    names = {"amount": "金额", "item": "科目与事项", "title": "名称", "due": "完成日期"}
    rows: dict[str, tuple[str, str]] = {}
    for key in errors:
        kind, _, rest = key.partition("-")
        index, _, part = rest.partition("-")
        if kind in ("line", "milestone") and index.isdigit() and part in names:
            what = "预算" if kind == "line" else "里程碑"
            rows[key] = (key, f"{what}第 {int(index) + 1} 项{names[part]}")
    return {**LABELS, **rows}


def input_of(path: list[str]) -> str:
    """The form's input for a domain error's field path (`budgetLines.1.amountFen` -> `line-1-amount`)."""
    parts = ".".join(path).split(".") if path else []
    if len(parts) == 3 and parts[0] in ("budgetLines", "milestones") and parts[1].isdigit():
        row = "line" if parts[0] == "budgetLines" else "milestone"
        return f"{row}-{parts[1]}-{ROW_FIELDS.get(parts[2], parts[2])}"
    name = ALIASES.get(parts[-1], parts[-1]) if parts else FORM
    return name if name in LABELS else FORM


def errors_of(error: DomainError) -> dict[str, str]:
    """Every error of the refusal by input; two rules on one input (the budget's share and its
    matching) both show."""
    found: dict[str, str] = {}
    for one in every_error(error):
        name = input_of([str(p) for p in one.field or []])
        found[name] = f"{found[name]}；{one.message}" if name in found else one.message
    return found


@dataclass(frozen=True)
class Totals:
    """The budget's live totals against the round's rules."""

    grant_fen: int
    matching_fen: int
    requested_fen: int | None

    @property
    def total_fen(self) -> int:
        return self.grant_fen + self.matching_fen

    @property
    def grant_pct(self) -> str:
        return f"{self.grant_fen * 100 / self.total_fen:.1f}%" if self.total_fen else "—"

    @property
    def matching_pct(self) -> str:
        return f"{self.matching_fen * 100 / self.total_fen:.1f}%" if self.total_fen else "—"


def check_budget(funding_round: FundingRound, form: ApplicationForm) -> tuple[Totals, dict[str, str]]:
    """The money rules of the round against the typed budget, nothing read or saved."""
    data, errors = form.parse(0, None)
    money = Errors()
    check_money(funding_round, data, money)
    found: dict[str, str] = {}
    for one in money.errors:
        name = input_of([str(p) for p in one.field or []])
        found[name] = f"{found[name]}；{one.message}" if name in found else one.message
    grant = sum(x.amount_fen for x in data.budget_lines if x.funded_by is FundedBy.GRANT)
    matching = sum(x.amount_fen for x in data.budget_lines if x.funded_by is FundedBy.MATCHING)
    requested = data.requested_fen if "requested" not in errors else None
    parse_errors = {k: v for k, v in errors.items() if k.startswith("line-") or k == "requested"}
    return Totals(grant, matching, requested), {**found, **parse_errors}


@dataclass(frozen=True)
class FormChoices:
    """What the form offers: the organisations the organiser acts for, places, published needs."""

    organisations: list[Organisation]
    places: list[GridCell]
    needs: list[Need]

    def needs_sponsor(self, organisation_id: str) -> bool:
        return any(
            str(o.id) == organisation_id and o.legal_form is LegalForm.COMMUNITY_GROUP
            for o in self.organisations
        )


async def form_choices(viewer: Actor, round_id: int) -> FormChoices:
    """Three statements: the organisations, the places, the round's published needs."""
    ids = organised_ids(viewer)
    found = await org_queries.organisations_by_ids(ids)
    places = await org_queries.places()
    needs = (await queries.needs(round_id, PageRequest(first=MAX_PAGE_SIZE))).items
    return FormChoices([found[i] for i in ids if i in found], places, needs)
