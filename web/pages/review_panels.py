"""What the review panels' pages show: a reviewer's tasks and score sheet (one criterion a step),
and the staff's panel overview, assignment board and score matrix with every aggregate figure.
The pages are about panels and entries only, whatever owns them (venture funding, competitions).
Every read goes through `domain.review.queries`, which decides what the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.access import Actor
from domain.errors import PermissionDenied
from domain.funding import attachments
from domain.organisations import queries as organisations
from domain.review import aggregation, queries
from domain.review.aggregation import EntryResult, PanelResult, RankedEntry, ReviewerAgreement
from domain.review.models import (
    Conflict,
    ConflictReason,
    PanelEntry,
    PanelKind,
    PanelStage,
    ReviewPanel,
    Score,
    ScoreSheet,
    SheetStatus,
    Stage,
)
from domain.review.queries import BoardCell, MatrixCell, Member, MyAssignment
from domain.review.rubric import Criterion, Rubric

CONFLICT_REASONS = [(r.value, r.label) for r in ConflictReason]
HIDDEN_APPLICANT = "匿名评审（不显示申报方）"


def figure(value: float | None, digits: int = 2) -> str:
    """A score for the page and the export: two decimals, "—" when there is none."""
    return "—" if value is None else f"{value:.{digits}f}"


# --- 我的评审任务 --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MineGroup:
    panel_id: int
    panel_title: str
    panel_stage: PanelStage
    rows: list[tuple[MyAssignment, str]]
    """Each assignment with what to show as its applicant."""

    @property
    def to_do(self) -> int:
        return sum(1 for a, _ in self.rows if a.sheet_status is SheetStatus.DRAFT)


async def mine(actor: Actor) -> list[MineGroup]:
    """The actor's live assignments by panel: one statement, and one for the applicants' names
    when a panel is not blind."""
    found = await queries.my_assignments(actor)
    names = await organisations.organisations_by_ids(a.applicant_id for a in found if a.applicant_id)
    groups: dict[int, MineGroup] = {}
    for a in found:
        group = groups.setdefault(a.panel_id, MineGroup(a.panel_id, a.panel_title, a.panel_stage, []))
        org = names.get(a.applicant_id) if a.applicant_id else None
        group.rows.append((a, org.name if org else HIDDEN_APPLICANT))
    return list(groups.values())


# --- the score sheet ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    number: int
    criterion: Criterion
    score: Score | None


@dataclass(frozen=True)
class OtherSheet:
    label: str
    scores: dict[str, int]
    total: float | None
    own: bool


@dataclass(frozen=True)
class SheetView:
    sheet: ScoreSheet
    panel: ReviewPanel
    entry: PanelEntry
    stage: Stage
    applicant: str
    rubric: Rubric
    steps: list[Step]
    others: list[OtherSheet] | None
    """Every submitted sheet on the entry once the viewer's own is submitted, else None."""
    files: list[attachments.Shown]
    """The application's attachments on a funding panel (neutral names when blind)."""

    @property
    def total_steps(self) -> int:
        """The criteria and the final step (overall comment and submission)."""
        return len(self.steps) + 1

    @property
    def submitted(self) -> bool:
        return self.sheet.status is SheetStatus.SUBMITTED

    @property
    def scoring_open(self) -> bool:
        return self.panel.stage.value == self.stage.value

    @property
    def scored(self) -> int:
        return sum(1 for s in self.steps if s.score is not None)

    @property
    def total(self) -> float | None:
        if any(s.score is None for s in self.steps):
            return None
        return self.rubric.weighted_total({s.criterion.key: s.score.score for s in self.steps if s.score})

    def first_open_step(self) -> int:
        return next((s.number for s in self.steps if s.score is None), self.total_steps)

    def step_of(self, key: str) -> int:
        return next(s.number for s in self.steps if s.criterion.key == key)


async def sheet_view(actor: Actor, sheet: ScoreSheet) -> SheetView:
    """The viewer's own sheet (`queries.own_sheet`) with its scores, the applicant unless the panel
    is blind, the application's attachments on a funding panel, and once submitted every
    submitted sheet on the entry."""
    assignment = sheet.assignment
    panel, entry = assignment.panel, assignment.entry
    rubric = panel.parsed_rubric
    scores = await queries.sheet_scores(sheet.id)
    steps = [Step(n, c, scores.get(c.key)) for n, c in enumerate(rubric.criteria, start=1)]
    applicant = HIDDEN_APPLICANT
    if not queries.applicant_hidden(actor, panel):
        found = await organisations.organisations_by_ids([entry.applicant_id])
        applicant = found[entry.applicant_id].name
    others = None
    if sheet.status is SheetStatus.SUBMITTED:
        try:
            cells = await queries.entry_sheets(actor, panel, entry.id, assignment.stage)
            others = _others(cells, actor.user_id)
        except PermissionDenied:
            others = None
    files = (
        await attachments.for_review_entry(actor, panel.id, entry.subject_id)
        if panel.kind is PanelKind.FUNDING
        else []
    )
    return SheetView(sheet, panel, entry, assignment.stage, applicant, rubric, steps, others, files)


def _others(cells: list[MatrixCell], own_id: int | None) -> list[OtherSheet]:
    """Other reviewers are shown by number only: a reviewer never learns who else scored."""
    ordered = sorted(cells, key=lambda c: c.reviewer_id != own_id)
    labels = iter(range(1, len(cells) + 1))
    return [
        OtherSheet(
            "本人" if c.reviewer_id == own_id else f"专家 {next(labels)}",
            c.scores,
            c.total,
            c.reviewer_id == own_id,
        )
        for c in ordered
    ]


# --- staff: overview, board, matrix ------------------------------------------------------------


def current_stage(panel: ReviewPanel) -> Stage:
    """The stage the staff's pages show: the one being scored, and once the panel is closed the one
    its ranking uses (`domain.funding.review.results`: the roadshow, when the panel has one)."""
    if panel.roadshow and panel.stage in (PanelStage.ROADSHOW, PanelStage.CLOSED):
        return Stage.ROADSHOW
    return Stage.WRITTEN


def stage_shown(panel: ReviewPanel, asked: str | None) -> Stage:
    """The stage asked for on the score matrix (a panel with a roadshow shows either), else the
    current one."""
    if asked == Stage.WRITTEN.value or (asked == Stage.ROADSHOW.value and panel.roadshow):
        return Stage(asked)
    return current_stage(panel)


def totals_of(cells: list[MatrixCell]) -> dict[int, dict[int, float]]:
    """entry -> reviewer -> weighted total of each submitted sheet (`aggregation`'s input)."""
    totals: dict[int, dict[int, float]] = {}
    for cell in cells:
        if cell.status is SheetStatus.SUBMITTED and cell.total is not None:
            totals.setdefault(cell.entry_id, {})[cell.reviewer_id] = cell.total
    return totals


@dataclass(frozen=True)
class Overview:
    panel: ReviewPanel
    members: list[Member]
    entries: int
    result: PanelResult


async def overview(actor: Actor, panel_id: int) -> Overview:
    """Staff's view of a panel: five statements (panel, members, entries, the sheets and scores)."""
    panel = await queries.panel(actor, panel_id)
    members = await queries.members(actor, panel_id)
    count = await queries.entry_count(actor, panel_id)
    cells = await queries.score_matrix(actor, panel, current_stage(panel))
    result = aggregation.aggregate_panel(totals_of(cells), panel.aggregation_rule)
    return Overview(panel, members, count, result)


@dataclass(frozen=True)
class BoardView:
    panel: ReviewPanel
    stage: Stage
    members: list[Member]
    entries: list[PanelEntry]
    cells: dict[tuple[int, int], BoardCell]
    conflicts: dict[tuple[int, int], Conflict]
    seeds: list[int]

    def live(self) -> list[tuple[BoardCell, PanelEntry, Member]]:
        """Every live assignment with its entry and reviewer, for the unassign form."""
        by_entry = {e.id: e for e in self.entries}
        by_user = {m.user_id: m for m in self.members}
        return [
            (c, by_entry[c.entry_id], by_user[c.reviewer_id])
            for c in self.cells.values()
            if c.entry_id in by_entry and c.reviewer_id in by_user
        ]

    @property
    def open_entries(self) -> list[PanelEntry]:
        return [e for e in self.entries if not e.withdrawn]


async def board(actor: Actor, panel_id: int) -> BoardView:
    """The assignment board: five statements (panel, members, entries, assignments, conflicts)."""
    panel = await queries.panel(actor, panel_id)
    stage = current_stage(panel)
    members = await queries.members(actor, panel_id)
    entries = await queries.entries(actor, panel_id)
    cells = await queries.board(actor, panel_id, stage)
    conflicts = await queries.conflicts_of_panel(actor, panel_id)
    seeds = sorted({c.seed for c in cells if c.seed is not None})
    return BoardView(
        panel,
        stage,
        members,
        entries,
        {(c.entry_id, c.reviewer_id): c for c in cells},
        {(c.entry_id, c.reviewer_id): c for c in conflicts},
        seeds,
    )


@dataclass(frozen=True)
class MatrixRow:
    entry: PanelEntry
    ranked: RankedEntry | None
    result: EntryResult | None
    cells: list[tuple[Member, MatrixCell | None, Conflict | None]]


@dataclass(frozen=True)
class MatrixView:
    panel: ReviewPanel
    stage: Stage
    members: list[Member]
    rows: list[MatrixRow]
    result: PanelResult
    agreement: dict[int, ReviewerAgreement]
    submitted: list[tuple[MatrixCell, PanelEntry, Member]]

    @property
    def flagged(self) -> list[tuple[Member, ReviewerAgreement]]:
        return [(m, self.agreement[m.user_id]) for m in self.members if self._flagged(m.user_id)]

    def _flagged(self, user_id: int) -> bool:
        found = self.agreement.get(user_id)
        return found is not None and found.flagged


async def matrix(actor: Actor, panel_id: int, asked: str | None = None) -> MatrixView:
    """The score matrix of one stage (`stage_shown`): six statements (panel, members, entries,
    conflicts, sheets, scores)."""
    panel = await queries.panel(actor, panel_id)
    stage = stage_shown(panel, asked)
    members = await queries.members(actor, panel_id)
    entries = [e for e in await queries.entries(actor, panel_id) if not e.withdrawn]
    conflicts = {(c.entry_id, c.reviewer_id): c for c in await queries.conflicts_of_panel(actor, panel_id)}
    cells = await queries.score_matrix(actor, panel, stage)
    result = aggregation.aggregate_panel(totals_of(cells), panel.aggregation_rule)
    ranked = {r.entry.entry_id: r for r in aggregation.rank(result.entries, panel.aggregation_rule)}
    by_pair = {(c.entry_id, c.reviewer_id): c for c in cells}
    rows = [
        MatrixRow(
            entry,
            ranked.get(entry.id),
            ranked[entry.id].entry if entry.id in ranked else None,
            [(m, by_pair.get((entry.id, m.user_id)), conflicts.get((entry.id, m.user_id))) for m in members],
        )
        for entry in entries
    ]
    rows.sort(key=lambda r: (r.ranked is None, r.ranked.rank if r.ranked else 0, r.entry.id))
    by_entry, by_user = {e.id: e for e in entries}, {m.user_id: m for m in members}
    submitted = [
        (c, by_entry[c.entry_id], by_user[c.reviewer_id])
        for c in cells
        if c.status is SheetStatus.SUBMITTED and c.entry_id in by_entry and c.reviewer_id in by_user
    ]
    agreement = {r.reviewer_id: r for r in result.reviewers}
    return MatrixView(panel, stage, members, rows, result, agreement, submitted)


# --- the export --------------------------------------------------------------------------------

FIGURE_HEADERS = [
    "评审人数",
    "平均分",
    "中位数",
    "去掉最高最低平均",
    "标准分",
    "极差",
    "汇总得分",
    "汇总方法",
]


def export_table(view: MatrixView) -> tuple[list[str], list[list[Any]]]:
    """One row per entry, best first: its rank, title, applicant, each reviewer's weighted total
    (回避 for a conflict, blank when not submitted) and every aggregate figure."""
    headers = [
        "排名",
        "项目",
        "申报机构",
        *(f"{m.name}（{m.username}）" for m in view.members),
        *FIGURE_HEADERS,
    ]
    rows: list[list[Any]] = []
    for row in view.rows:
        totals: list[Any] = [
            "回避" if conflict else (round(cell.total, 2) if cell and cell.total is not None else "")
            for _, cell, conflict in row.cells
        ]
        rows.append(
            [
                row.ranked.rank if row.ranked else "",
                row.entry.title,
                row.entry.applicant.name,
                *totals,
                *_figures(row),
            ]
        )
    return headers, rows


def _figures(row: MatrixRow) -> list[Any]:
    r, ranked = row.result, row.ranked
    if r is None or ranked is None:
        return [0, "", "", "", "", "", "", ""]
    trimmed = round(r.trimmed_mean, 2) if r.trimmed_mean is not None else ""
    return [
        r.reviewers,
        round(r.mean, 2),
        round(r.median, 2),
        trimmed,
        round(r.z_display, 2),
        round(r.spread, 2),
        round(ranked.aggregate, 2),
        ranked.applied.label,
    ]
