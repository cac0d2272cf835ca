"""Reads of the review module, and the one place its visibility is decided: pages, GraphQL,
exports and search all ask here.

- Staff (bureau, the command line) see every entry of a panel, every sheet and every score.
- A reviewer sees only the entries they hold a live assignment on and are not conflicted with
  (declaring a conflict cancels the assignment, so a conflicted entry disappears for them), and
  in blind mode not who applied (`applicant_hidden`). They see others' scores on an entry only
  once their own sheet on it is submitted (`can_see_scores_of_others`).
- Anyone else sees no entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from tortoise.expressions import Q, Subquery

from domain.access import Actor
from domain.errors import NotFound, PermissionDenied
from domain.review import policy
from domain.review.models import (
    Assignment,
    AssignMethod,
    Conflict,
    MemberSource,
    Objection,
    PanelEntry,
    PanelMember,
    PanelStage,
    ReviewPanel,
    Score,
    ScoreSheet,
    SheetStatus,
    Stage,
)

NOTHING = Q(id__in=[])


def _conflicted_entries(user_id: int, panel_id: int) -> Subquery:
    return Subquery(Conflict.filter(panel_id=panel_id, reviewer_id=user_id).values("entry_id"))


def visible_entries_filter(actor: Actor, panel_id: int) -> Q:
    """Which of a panel's entries (`PanelEntry` rows) the actor may see."""
    if policy.is_staff(actor):
        return Q(panel_id=panel_id)
    if actor.user_id is None:
        return NOTHING
    assigned = Assignment.filter(panel_id=panel_id, reviewer_id=actor.user_id, live=True)
    return Q(
        Q(panel_id=panel_id),
        Q(id__in=Subquery(assigned.values("entry_id"))),
        ~Q(id__in=_conflicted_entries(actor.user_id, panel_id)),
    )


def applicant_hidden(actor: Actor, panel: ReviewPanel) -> bool:
    """Blind mode hides who applied from reviewers, never from staff."""
    return panel.blind and not policy.is_staff(actor)


@dataclass(frozen=True)
class AssignedEntry:
    """One of a reviewer's live assignments, with its entry and sheet. The applicant and sponsor
    are None when the panel is blind."""

    assignment_id: int
    stage: Stage
    sheet_id: int
    sheet_status: SheetStatus
    entry_id: int
    subject_id: int
    title: str
    applicant_id: int | None
    sponsor_id: int | None


async def assignments_of(actor: Actor, panel_id: int) -> list[AssignedEntry]:
    """The actor's own live assignments on the panel, never on an entry they are conflicted with
    or that was withdrawn, by entry then stage: one statement."""
    if actor.user_id is None:
        return []
    rows = (
        await ScoreSheet.filter(
            assignment__panel_id=panel_id,
            assignment__reviewer_id=actor.user_id,
            assignment__live=True,
            assignment__entry__withdrawn=False,
        )
        .exclude(assignment__entry_id__in=_conflicted_entries(actor.user_id, panel_id))
        .order_by("assignment__entry_id", "assignment__stage")
        .values(
            "id",
            "status",
            "assignment_id",
            "assignment__stage",
            "assignment__entry_id",
            "assignment__entry__subject_id",
            "assignment__entry__title",
            "assignment__entry__applicant_id",
            "assignment__entry__sponsor_id",
            "assignment__panel__blind",
        )
    )
    hide = not policy.is_staff(actor)
    return [_assigned(row, hide and bool(row["assignment__panel__blind"])) for row in rows]


def _assigned(row: dict[str, object], blind: bool) -> AssignedEntry:
    def number(key: str) -> int | None:
        value = row[key]
        return None if blind or value is None else int(str(value))

    return AssignedEntry(
        assignment_id=int(str(row["assignment_id"])),
        stage=Stage(str(row["assignment__stage"])),
        sheet_id=int(str(row["id"])),
        sheet_status=SheetStatus(str(row["status"])),
        entry_id=int(str(row["assignment__entry_id"])),
        subject_id=int(str(row["assignment__entry__subject_id"])),
        title=str(row["assignment__entry__title"]),
        applicant_id=number("assignment__entry__applicant_id"),
        sponsor_id=number("assignment__entry__sponsor_id"),
    )


async def can_see_scores_of_others(actor: Actor, entry_id: int, stage: Stage = Stage.WRITTEN) -> bool:
    """Staff always; a reviewer once their own sheet on the entry (in that stage) is submitted:
    one statement."""
    if policy.is_staff(actor):
        return True
    if actor.user_id is None:
        return False
    conflicted = Conflict.filter(entry_id=entry_id, reviewer_id=actor.user_id).values("entry_id")
    return await ScoreSheet.exists(
        ~Q(assignment__entry_id__in=Subquery(conflicted)),
        status=SheetStatus.SUBMITTED,
        assignment__entry_id=entry_id,
        assignment__reviewer_id=actor.user_id,
        assignment__stage=stage,
        assignment__live=True,
    )


def _submitted(panel_id: int, stage: Stage) -> dict[str, object]:
    return {
        "sheet__status": SheetStatus.SUBMITTED,
        "sheet__assignment__panel_id": panel_id,
        "sheet__assignment__stage": stage,
        "sheet__assignment__live": True,
    }


async def submitted_totals(panel: ReviewPanel, stage: Stage = Stage.WRITTEN) -> dict[int, dict[int, float]]:
    """entry id -> reviewer id -> the weighted 0–100 total of their submitted sheet, for live
    assignments in `stage` (the input of `domain.review.aggregation`): one statement."""
    rubric = panel.parsed_rubric
    rows = await Score.filter(**_submitted(panel.id, stage)).values_list(
        "sheet__assignment__entry_id", "sheet__assignment__reviewer_id", "key", "score"
    )
    sheets: defaultdict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    for entry_id, reviewer_id, key, score in rows:
        sheets[(int(entry_id), int(reviewer_id))][str(key)] = int(score)
    totals: defaultdict[int, dict[int, float]] = defaultdict(dict)
    keys = {c.key for c in rubric.criteria}
    for (entry_id, reviewer_id), scores in sheets.items():
        if keys <= scores.keys():
            totals[entry_id][reviewer_id] = rubric.weighted_total(scores)
    return dict(totals)


@dataclass(frozen=True)
class MatrixCell:
    """One live assignment's sheet: its status, scores and comments (total when submitted)."""

    entry_id: int
    reviewer_id: int
    sheet_id: int
    status: SheetStatus
    scores: dict[str, int]
    comments: dict[str, str]
    overall_comment: str
    total: float | None


async def score_matrix(actor: Actor, panel: ReviewPanel, stage: Stage = Stage.WRITTEN) -> list[MatrixCell]:
    """Every live sheet of the panel in `stage`, by entry then reviewer, for staff: two statements."""
    if not policy.is_staff(actor):
        raise PermissionDenied("只有民政局工作人员可以查看评分汇总")
    return await _cells(panel, {"assignment__panel_id": panel.id, "assignment__stage": stage})


async def entry_sheets(
    actor: Actor, panel: ReviewPanel, entry_id: int, stage: Stage = Stage.WRITTEN
) -> list[MatrixCell]:
    """The submitted sheets of an entry, for staff and for a reviewer who has submitted their own
    on it (`can_see_scores_of_others`), else PermissionDenied: three statements (two for staff)."""
    if not await can_see_scores_of_others(actor, entry_id, stage):
        raise PermissionDenied("提交本人评分后才能查看其他专家的评分")
    where = {
        "assignment__panel_id": panel.id,
        "assignment__entry_id": entry_id,
        "assignment__stage": stage,
        "status": SheetStatus.SUBMITTED,
    }
    return await _cells(panel, where)


async def _cells(panel: ReviewPanel, where: dict[str, object]) -> list[MatrixCell]:
    sheets = await (
        ScoreSheet.filter(assignment__live=True, **where)
        .order_by("assignment__entry_id", "assignment__reviewer_id")
        .values_list("id", "assignment__entry_id", "assignment__reviewer_id", "status", "overall_comment")
    )
    scores = await Score.filter(
        sheet_id__in=Subquery(ScoreSheet.filter(assignment__live=True, **where).values("id"))
    )
    by_sheet: defaultdict[int, dict[str, Score]] = defaultdict(dict)
    for score in scores:
        by_sheet[score.sheet_id][score.key] = score
    rubric = panel.parsed_rubric
    cells = []
    for sheet_id, entry_id, reviewer_id, status, overall in sheets:
        given = by_sheet[int(sheet_id)]
        values = {key: score.score for key, score in given.items()}
        submitted = SheetStatus(str(status)) is SheetStatus.SUBMITTED
        cells.append(
            MatrixCell(
                entry_id=int(entry_id),
                reviewer_id=int(reviewer_id),
                sheet_id=int(sheet_id),
                status=SheetStatus(str(status)),
                scores=values,
                comments={key: score.comment for key, score in given.items()},
                overall_comment=str(overall),
                total=rubric.weighted_total(values) if submitted else None,
            )
        )
    return cells


# --- the review pages' reads -------------------------------------------------------------------


@dataclass(frozen=True)
class MyAssignment:
    """One of a reviewer's live assignments on any panel, for 我的评审任务. The applicant is None
    when the panel is blind."""

    assignment_id: int
    panel_id: int
    panel_title: str
    panel_stage: PanelStage
    stage: Stage
    sheet_status: SheetStatus
    entry_id: int
    title: str
    applicant_id: int | None


MAX_MINE = 200


async def my_assignments(actor: Actor) -> list[MyAssignment]:
    """The actor's own live assignments on the panels still scoring or setting up (a closed
    panel's sheets are history, not tasks), never on an entry they are conflicted with or that
    was withdrawn, newest panel first, at most `MAX_MINE`: one statement."""
    if actor.user_id is None:
        return []
    conflicted = Subquery(Conflict.filter(reviewer_id=actor.user_id).values("entry_id"))
    rows = (
        await ScoreSheet.filter(
            assignment__reviewer_id=actor.user_id, assignment__live=True, assignment__entry__withdrawn=False
        )
        .exclude(assignment__entry_id__in=conflicted)
        .exclude(assignment__panel__stage=PanelStage.CLOSED)
        .order_by("-assignment__panel_id", "assignment__entry_id", "assignment__stage")
        .limit(MAX_MINE)
        .values_list(
            "status",
            "assignment_id",
            "assignment__stage",
            "assignment__panel_id",
            "assignment__panel__title",
            "assignment__panel__stage",
            "assignment__panel__blind",
            "assignment__entry_id",
            "assignment__entry__title",
            "assignment__entry__applicant_id",
        )
    )
    hide = not policy.is_staff(actor)
    return [_mine(row, hide) for row in rows]


def _mine(row: tuple[object, ...], hide: bool) -> MyAssignment:
    status, assignment_id, stage, panel_id, title, panel_stage, blind, entry_id, entry, applicant = row
    return MyAssignment(
        assignment_id=int(str(assignment_id)),
        panel_id=int(str(panel_id)),
        panel_title=str(title),
        panel_stage=PanelStage(str(panel_stage)),
        stage=Stage(str(stage)),
        sheet_status=SheetStatus(str(status)),
        entry_id=int(str(entry_id)),
        title=str(entry),
        applicant_id=None if hide and blind else int(str(applicant)),
    )


async def own_sheet(actor: Actor, assignment_id: int) -> ScoreSheet | None:
    """The actor's own sheet on a live assignment, with the assignment, its entry and its panel,
    or None: someone else's assignment, a cancelled one, a withdrawn entry and an entry the actor
    is conflicted with all read as if the assignment did not exist. One statement."""
    if actor.user_id is None:
        return None
    conflicted = Subquery(Conflict.filter(reviewer_id=actor.user_id).values("entry_id"))
    return (
        await ScoreSheet.filter(
            assignment_id=assignment_id,
            assignment__reviewer_id=actor.user_id,
            assignment__live=True,
            assignment__entry__withdrawn=False,
        )
        .exclude(assignment__entry_id__in=conflicted)
        .select_related("assignment__entry", "assignment__panel")
        .first()
    )


async def sheet_cell(actor: Actor, sheet_id: int) -> MatrixCell | None:
    """One live sheet by id, or None for whoever may not see it: staff see every one, a reviewer
    their own (draft too, never on an entry they are conflicted with or that was withdrawn) and,
    once their own on the entry is submitted, the others' submitted ones (the rule of
    `entry_sheets`). Two statements for staff, three or four for a reviewer."""
    sheet = await ScoreSheet.get_or_none(id=sheet_id, assignment__live=True).select_related(
        "assignment__entry", "assignment__panel"
    )
    if sheet is None or actor.user_id is None:
        return None
    assignment = sheet.assignment
    own = assignment.reviewer_id == actor.user_id
    if own and not policy.is_staff(actor):
        if await own_sheet(actor, assignment.id) is None:  # withdrawn, or conflicted since
            return None
    elif not own and not (
        sheet.status is SheetStatus.SUBMITTED
        and await can_see_scores_of_others(actor, assignment.entry_id, assignment.stage)
    ):
        return None
    cells = await _cells(assignment.panel, {"id": sheet_id})
    return cells[0] if cells else None


async def entry(actor: Actor, entry_id: int) -> PanelEntry | None:
    """One entry (withdrawn too) with its applicant, for staff, else None: one statement."""
    if not policy.is_staff(actor):
        return None
    return await PanelEntry.get_or_none(id=entry_id).select_related("applicant")


async def objection(actor: Actor, objection_id: int) -> Objection | None:
    """One objection, for staff and for the person who lodged it, else None: one statement."""
    if actor.user_id is None:
        return None
    found = await Objection.get_or_none(id=objection_id)
    if found is None or not (policy.is_staff(actor) or found.lodged_by_id == actor.user_id):
        return None
    return found


async def sheet_scores(sheet_id: int) -> dict[str, Score]:
    """A sheet's scores by criterion key (callers show it only to its reviewer or staff): one
    statement."""
    return {score.key: score for score in await Score.filter(sheet_id=sheet_id)}


def _require_staff(actor: Actor) -> None:
    if not policy.is_staff(actor):
        raise PermissionDenied("只有民政局工作人员可以管理评审")


async def panels(actor: Actor) -> list[ReviewPanel]:
    """Every panel, newest first, for staff: one statement."""
    _require_staff(actor)
    return await ReviewPanel.all().order_by("-id")


async def panel(actor: Actor, panel_id: int) -> ReviewPanel:
    """One panel, for staff (NotFound when there is none): one statement."""
    _require_staff(actor)
    found = await ReviewPanel.get_or_none(id=panel_id)
    if found is None:
        raise NotFound("评审组不存在")
    return found


@dataclass(frozen=True)
class Member:
    user_id: int
    name: str
    username: str
    source: MemberSource


async def members(actor: Actor, panel_id: int) -> list[Member]:
    """A panel's members with their names, by user id, for staff: one statement."""
    _require_staff(actor)
    rows = (
        await PanelMember.filter(panel_id=panel_id)
        .order_by("user_id")
        .values_list("user_id", "user__person__name", "user__username", "source")
    )
    return [Member(int(u), str(name), str(username), MemberSource(str(s))) for u, name, username, s in rows]


async def entries(actor: Actor, panel_id: int) -> list[PanelEntry]:
    """A panel's entries (withdrawn ones too) with their applicant, by id, for staff: one
    statement."""
    _require_staff(actor)
    return await PanelEntry.filter(panel_id=panel_id).order_by("id").select_related("applicant")


async def entry_count(actor: Actor, panel_id: int) -> int:
    """How many entries a panel reviews (withdrawn ones not counted), for staff: one statement."""
    _require_staff(actor)
    return await PanelEntry.filter(panel_id=panel_id, withdrawn=False).count()


@dataclass(frozen=True)
class BoardCell:
    """A live assignment on the assignment board."""

    assignment_id: int
    entry_id: int
    reviewer_id: int
    method: AssignMethod
    seed: int | None
    sheet_id: int
    status: SheetStatus


async def board(actor: Actor, panel_id: int, stage: Stage = Stage.WRITTEN) -> list[BoardCell]:
    """A panel's live assignments in `stage` with their sheets' status, for staff: one statement."""
    _require_staff(actor)
    rows = (
        await ScoreSheet.filter(assignment__panel_id=panel_id, assignment__stage=stage, assignment__live=True)
        .order_by("assignment__entry_id", "assignment__reviewer_id")
        .values_list(
            "assignment_id",
            "assignment__entry_id",
            "assignment__reviewer_id",
            "assignment__method",
            "assignment__draw_seed",
            "id",
            "status",
        )
    )
    return [
        BoardCell(
            int(a),
            int(e),
            int(r),
            AssignMethod(str(m)),
            None if s is None else int(s),
            int(i),
            SheetStatus(str(st)),
        )
        for a, e, r, m, s, i, st in rows
    ]


async def conflicts_of_panel(actor: Actor, panel_id: int) -> list[Conflict]:
    """Every conflict recorded on a panel, for staff: one statement."""
    _require_staff(actor)
    return await Conflict.filter(panel_id=panel_id).order_by("entry_id", "reviewer_id")


# --- what a reviewer may read of the subjects they score ------------------------------------------


async def reviewing(actor: Actor, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bool]:
    """Of these (panel id, subject id) pairs, those whose entry the actor holds a live assignment
    on, on a panel still open (not CLOSED), the entry not withdrawn and the actor not conflicted
    with it, each with whether its panel is blind: one statement (none for staff, who need no
    assignment, nor for the anonymous). The owning domain lets such a reviewer read the subject's
    material (venture funding: an application's attachments)."""
    wanted = set(pairs)
    if not wanted or actor.user_id is None:
        return {}
    conflicted = Subquery(Conflict.filter(reviewer_id=actor.user_id).values("entry_id"))
    rows = (
        await Assignment.filter(
            reviewer_id=actor.user_id,
            live=True,
            panel_id__in=sorted({p for p, _ in wanted}),
            entry__subject_id__in=sorted({s for _, s in wanted}),
            entry__withdrawn=False,
        )
        .exclude(panel__stage=PanelStage.CLOSED)
        .exclude(entry_id__in=conflicted)
        .values_list("panel_id", "entry__subject_id", "panel__blind")
    )
    found = {(int(str(p)), int(str(s))): bool(b) for p, s, b in rows}
    return {pair: blind for pair, blind in found.items() if pair in wanted}
