"""The review module's mutations with every role and anonymous: outcomes match docs/permissions.md
(review.score, review.conflict, review.manage, objection.lodge, objection.resolve), and a refusal
changes nothing. Each actor acts with a token of every scope.

Every case starts from one world: a frozen panel of two pool experts, each assigned to one of two
entries, the first expert's sheet submitted; a REVIEWER actor is a third member assigned to the
second entry (its `target`), anyone else's target is the second expert's assignment there, and the
target's sheet is scored in full as a draft. The panel's results are under publicity with one
open objection."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from domain import clock
from domain.access import ALL_SCOPES, Role
from domain.audit.models import AuditEntry
from domain.permissions import MATRIX, Access
from domain.review import objections, service
from domain.review.models import (
    Assignment,
    Conflict,
    MemberSource,
    Objection,
    ReviewPanel,
    Score,
    ScoreSheet,
)
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id, gql
from tests.factories_review import ReviewWorld, build_review, full_sheet
from tests.web.review_pages import submit

ACTORS: list[Role | None] = [None, *Role]
TODAY = clock.today()


@dataclass
class World:
    review: ReviewWorld
    target: Assignment
    target_sheet: ScoreSheet
    submitted: ScoreSheet
    other: Assignment
    objection: Objection


async def _world(role: Role | None) -> tuple[World, dict[str, str]]:
    review = await build_review(reviewers=2, entries=2)
    staff, (first, second) = review.staff, review.entries
    expert0, expert1 = review.reviewers
    await service.assign_reviewer(actor=staff, entry_id=first.id, reviewer_id=expert0.id)
    other = await service.assign_reviewer(actor=staff, entry_id=second.id, reviewer_id=expert1.id)
    submitted = await submit(review, expert0, 0, 8)
    target, headers = other, {}
    if role is not None:
        user = await make_user(f"matrix.{role.value.lower()}", role, cell=review.tree.community)
        if role is Role.REVIEWER:
            await service.add_expert(actor=staff, user_id=user.id)
            await service.add_member(
                actor=staff, panel_id=review.panel.id, user_id=user.id, source=MemberSource.POOL
            )
            target = await service.assign_reviewer(actor=staff, entry_id=second.id, reviewer_id=user.id)
        headers = await bearer(user, *ALL_SCOPES)
    sheet = await ScoreSheet.get(assignment_id=target.id)
    scores = full_sheet(review.rubric).items()
    await Score.bulk_create([Score(sheet_id=sheet.id, key=k, score=v, comment=c) for k, (v, c) in scores])
    await ScoreSheet.filter(id=sheet.id).update(overall_comment="总体可行")
    await ReviewPanel.filter(id=review.panel.id).update(
        publicity_starts_on=TODAY - timedelta(days=1), publicity_ends_on=TODAY + timedelta(days=7)
    )
    objection = await objections.lodge_objection(
        actor=expert0.actor,
        panel_id=review.panel.id,
        entry_id=first.id,
        name="张明",
        mobile="13800138000",
        text="评审过程中存在不公平的情况，请核查。",
        today=TODAY,
    )
    return World(review, target, await ScoreSheet.get(id=sheet.id), submitted, other, objection), headers


async def _snapshot() -> tuple[object, ...]:
    return (
        sorted(await Assignment.all().values_list("id", "live")),
        sorted(await ScoreSheet.all().values_list("id", "status", "overall_comment")),
        sorted(await Score.all().values_list("id", "score", "comment")),
        sorted(await Conflict.all().values_list("entry_id", "reviewer_id")),
        sorted(await Objection.all().values_list("id", "status")),
        await AuditEntry.exclude(action__in=["user.create", "role.grant", "token.create"]).count(),
    )


Inputs = Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    action: str
    name: str
    result: str
    inputs: Inputs
    inside: bool = True
    """On the actor's own assignment (a reviewer's) or about the actor themself."""

    async def attempt(self, c: httpx.AsyncClient, h: dict[str, str], w: World) -> bool:
        input_type = self.name[0].upper() + self.name[1:] + "Input"
        selection = (
            f"{self.result} {{ __typename }}" if self.result in {"sheet", "objection"} else self.result
        )
        query = f"""mutation ($i: {input_type}!) {{
          {self.name}(input: $i) {{ {selection} userErrors {{ code }} }} }}"""
        body = await gql(c, query, headers=h, i=self.inputs(w))
        data = (body.get("data") or {}).get(self.name)
        return bool(data and data[self.result] is not None and not data["userErrors"])


def _gid(type_name: str, pk: int) -> str:
    return global_id(type_name, pk)


def _panel(w: World) -> str:
    return _gid("ReviewPanel", w.review.panel.id)


def _entry(w: World, index: int) -> str:
    return _gid("ReviewEntry", w.review.entries[index].id)


CASES: dict[str, Case] = {
    "reviewScoresSave": Case(
        "review.score",
        "reviewScoresSave",
        "sheet",
        lambda w: {
            "assignmentId": _gid("ReviewAssignment", w.target.id),
            "scores": [{"key": w.review.rubric.criteria[0].key, "score": 6, "comment": "矩阵"}],
            "overallComment": "矩阵",
        },
    ),
    "reviewSheetSubmit": Case(
        "review.score",
        "reviewSheetSubmit",
        "sheet",
        lambda w: {"sheetId": _gid("ScoreSheet", w.target_sheet.id)},
    ),
    "reviewConflictDeclare": Case(
        "review.conflict",
        "reviewConflictDeclare",
        "reasonLabel",
        lambda w: {"entryId": _entry(w, 1), "reason": "FAMILY"},
    ),
    "reviewConflictDeclare (for another reviewer)": Case(
        "review.conflict",
        "reviewConflictDeclare",
        "reasonLabel",
        lambda w: {
            "entryId": _entry(w, 0),
            "reason": "SPONSOR",
            "reviewerId": _gid("User", w.review.reviewers[0].id),
        },
        inside=False,
    ),
    "reviewDraw": Case("review.manage", "reviewDraw", "drawn", lambda w: {"panelId": _panel(w), "seed": 11}),
    "reviewAssign": Case(
        "review.manage",
        "reviewAssign",
        "assignmentId",
        lambda w: {"entryId": _entry(w, 1), "reviewerId": _gid("User", w.review.reviewers[0].id)},
    ),
    "reviewUnassign": Case(
        "review.manage",
        "reviewUnassign",
        "assignmentId",
        lambda w: {"assignmentId": _gid("ReviewAssignment", w.other.id), "reason": "矩阵"},
    ),
    "reviewSheetReopen": Case(
        "review.manage",
        "reviewSheetReopen",
        "sheet",
        lambda w: {"sheetId": _gid("ScoreSheet", w.submitted.id), "reason": "矩阵"},
    ),
    "objectionLodge": Case(
        "objection.lodge",
        "objectionLodge",
        "objection",
        lambda w: {
            "panelId": _panel(w),
            "entryId": _entry(w, 1),
            "name": "李华",
            "mobile": "13900139000",
            "text": "对该项目的评审结果有异议，请复核评分。",
        },
    ),
    "objectionResolve": Case(
        "objection.resolve",
        "objectionResolve",
        "objection",
        lambda w: {
            "objectionId": _gid("Objection", w.objection.id),
            "upheld": False,
            "answer": "经复核，评审符合规定。",
        },
    ),
}


def _expected(case: Case, role: Role | None) -> bool:
    access = next(p for p in MATRIX if p.action == case.action).access(role)
    if access is Access.ALLOWED:
        return True
    return access in {Access.IN_SCOPE, Access.OWN, Access.LIMITED} and case.inside


@pytest.mark.parametrize("mutation", list(CASES))
@pytest.mark.parametrize("role", ACTORS, ids=lambda r: "anonymous" if r is None else r.value)
async def test_review_mutations_follow_the_matrix(
    client: httpx.AsyncClient, mutation: str, role: Role | None
) -> None:
    # GIVEN the world of the module's docstring and an actor of `role` with every scope
    case = CASES[mutation]
    world, headers = await _world(role)
    before = await _snapshot()
    # WHEN the actor attempts the mutation
    allowed = await case.attempt(client, headers, world)
    # THEN the outcome is the documented one, and a refusal changed nothing
    assert allowed is _expected(case, role)
    if not allowed:
        assert await _snapshot() == before


def test_every_action_of_the_review_module_is_walked() -> None:
    review = {p.action for p in MATRIX if p.action.startswith(("review.", "objection."))}
    assert {case.action for case in CASES.values()} == review


def test_every_mutation_of_the_review_module_is_walked() -> None:
    from api.schema.review.mutations import ReviewMutations

    definition = ReviewMutations.__strawberry_definition__  # type: ignore[attr-defined]
    names = {_camel(f.python_name) for f in definition.fields}
    assert {case.name for case in CASES.values()} == names


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
