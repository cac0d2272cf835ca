"""The state-changing pages of the review panels, walked with every role and anonymous through a
real browser session: a reviewer's forms (a criterion's step, submission, a conflict declaration)
work only on the reviewer's own assignment (anyone else's is not found), the staff's forms (add a
member, draw, assign, unassign, record a conflict, reopen a sheet) only for bureau staff
(domain/review/policy.py); a refusal changes nothing, and it is the policy (not the CSRF check)
that refuses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from domain.access import Role
from domain.accounts.models import User
from domain.audit.models import AuditEntry
from domain.review import service
from domain.review.models import (
    Assignment,
    Conflict,
    MemberSource,
    PanelMember,
    Score,
    ScoreSheet,
    SheetStatus,
)
from tests.accounts import make_user
from tests.factories_review import ReviewWorld, build_review, full_sheet
from tests.web.review_pages import submit
from tests.web.session import Browser, signed_in

ACTORS: list[Role | None] = [None, *Role]


@dataclass
class World:
    browser: Browser
    review: ReviewWorld
    target: Assignment
    """The role's own assignment when it is a reviewer's, else another reviewer's."""
    submitted: ScoreSheet
    other: Assignment
    joiner: User
    """A member of staff not on the panel, for the add-member form."""


async def _world(client: httpx.AsyncClient, role: Role | None) -> World:
    review = await build_review(reviewers=2, entries=2)
    staff, (first, second) = review.staff, review.entries
    expert0, expert1 = review.reviewers
    await service.assign_reviewer(actor=staff, entry_id=first.id, reviewer_id=expert0.id)
    other = await service.assign_reviewer(actor=staff, entry_id=second.id, reviewer_id=expert1.id)
    submitted = await submit(review, expert0, 0, 8)
    target = other
    if role is None:
        browser = Browser(client)
        await browser.open("/signin")
    else:
        user = await make_user(f"matrix.{role.value.lower()}", role, cell=review.tree.community)
        if role is Role.REVIEWER:
            await service.add_expert(actor=staff, user_id=user.id)
            await service.add_member(
                actor=staff, panel_id=review.panel.id, user_id=user.id, source=MemberSource.POOL
            )
            target = await service.assign_reviewer(actor=staff, entry_id=second.id, reviewer_id=user.id)
        browser = await signed_in(client, user.username)
        await browser.open("/panels/mine")
    # the target's sheet is scored in full, as a draft, so that submitting it can succeed
    sheet = await ScoreSheet.get(assignment_id=target.id)
    scores = full_sheet(review.rubric).items()
    await Score.bulk_create([Score(sheet_id=sheet.id, key=k, score=v, comment=c) for k, (v, c) in scores])
    joiner = await make_user("matrix.joiner", Role.BUREAU_STAFF, cell=review.tree.community)
    return World(browser, review, target, submitted, other, joiner)


async def _snapshot() -> tuple[object, ...]:
    return (
        sorted(await Assignment.all().values_list("id", "live")),
        sorted(await ScoreSheet.all().values_list("id", "status", "overall_comment")),
        sorted(await Score.all().values_list("id", "score")),
        await Conflict.all().count(),
        sorted(await PanelMember.all().values_list("id", flat=True)),
        await AuditEntry.exclude(action__in=["auth.sign_in"]).count(),
    )


def _own(w: World) -> str:
    return f"/panels/assignments/{w.target.id}"


async def _step(w: World) -> bool:
    await w.browser.submit(f"{_own(w)}/step", {"step": "1", "score": "6", "comment": "矩阵"})
    return await Score.exists(sheet__assignment_id=w.target.id, comment="矩阵")


async def _submit(w: World) -> bool:
    sheet = await ScoreSheet.get(assignment_id=w.target.id)
    form = {"overall_comment": "矩阵总体评语", "action": "submit", "confirm": "1"}
    await w.browser.submit(f"{_own(w)}/submit", form)
    return (await ScoreSheet.get(id=sheet.id)).status is SheetStatus.SUBMITTED


async def _declare(w: World) -> bool:
    await w.browser.submit(f"{_own(w)}/conflict", {"reason": "FAMILY", "note": ""})
    return await Conflict.exists(entry_id=w.target.entry_id, reviewer_id=w.target.reviewer_id)


def _panel(w: World) -> str:
    return f"/panels/{w.review.panel.id}"


async def _draw(w: World) -> bool:
    before = await Assignment.filter(live=True).count()
    await w.browser.submit(f"{_panel(w)}/draw", {"seed": "11"})
    return await Assignment.filter(live=True).count() > before


async def _assign(w: World) -> bool:
    entry, reviewer = w.review.entries[1], w.review.reviewers[0]
    await w.browser.submit(f"{_panel(w)}/assign", {"entry": str(entry.id), "reviewer": str(reviewer.id)})
    return await Assignment.exists(entry_id=entry.id, reviewer_id=reviewer.id, live=True)


async def _unassign(w: World) -> bool:
    await w.browser.submit(f"{_panel(w)}/unassign", {"assignment": str(w.other.id), "reason": "矩阵"})
    return not (await Assignment.get(id=w.other.id)).live


async def _record_conflict(w: World) -> bool:
    entry, reviewer = w.review.entries[1], w.review.reviewers[1]
    form = {"entry": str(entry.id), "reviewer": str(reviewer.id), "reason": "SPONSOR", "note": ""}
    await w.browser.submit(f"{_panel(w)}/conflicts", form)
    return await Conflict.exists(entry_id=entry.id, reviewer_id=reviewer.id)


async def _add_member(w: World) -> bool:
    await w.browser.submit(f"{_panel(w)}/members", {"username": w.joiner.username, "source": "STAFF"})
    return await PanelMember.exists(panel_id=w.review.panel.id, user_id=w.joiner.id)


async def _reopen(w: World) -> bool:
    await w.browser.submit(f"{_panel(w)}/reopen", {"sheet": str(w.submitted.id), "reason": "矩阵"})
    return (await ScoreSheet.get(id=w.submitted.id)).status is SheetStatus.DRAFT


@dataclass(frozen=True)
class PageCase:
    who: Role
    attempt: Callable[[World], Awaitable[bool]]


PANEL_PAGE_ROUTES: dict[str, PageCase] = {
    "POST /panels/assignments/{id}/step": PageCase(Role.REVIEWER, _step),
    "POST /panels/assignments/{id}/submit": PageCase(Role.REVIEWER, _submit),
    "POST /panels/assignments/{id}/conflict": PageCase(Role.REVIEWER, _declare),
    "POST /panels/{id}/members": PageCase(Role.BUREAU_STAFF, _add_member),
    "POST /panels/{id}/draw": PageCase(Role.BUREAU_STAFF, _draw),
    "POST /panels/{id}/assign": PageCase(Role.BUREAU_STAFF, _assign),
    "POST /panels/{id}/unassign": PageCase(Role.BUREAU_STAFF, _unassign),
    "POST /panels/{id}/conflicts": PageCase(Role.BUREAU_STAFF, _record_conflict),
    "POST /panels/{id}/reopen": PageCase(Role.BUREAU_STAFF, _reopen),
}


@pytest.mark.parametrize("route", list(PANEL_PAGE_ROUTES))
@pytest.mark.parametrize("role", ACTORS, ids=lambda r: "anonymous" if r is None else r.value)
async def test_panel_pages_follow_the_policy(
    client: httpx.AsyncClient, route: str, role: Role | None
) -> None:
    # GIVEN a panel with two experts assigned (one sheet submitted), and a browser of `role` (a
    # REVIEWER is a member with an assignment of their own), or an anonymous one
    case = PANEL_PAGE_ROUTES[route]
    world = await _world(client, role)
    before = await _snapshot()
    # WHEN they post the route's form with the page's CSRF token
    allowed = await case.attempt(world)
    # THEN only the reviewer on their own assignment, or bureau staff on the staff's forms, succeed
    assert allowed is (role is case.who)
    answer = world.browser.last
    assert answer is not None
    assert answer.status_code < 500
    assert "请求已过期" not in answer.text
    if not allowed:
        assert answer.status_code in (303, 403, 404)
        assert await _snapshot() == before
