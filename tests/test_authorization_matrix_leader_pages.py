"""The state-changing pages of micro-leaders, training and the activity log, walked with every role
and anonymous through a real browser session: outcomes match docs/permissions.md, a refusal
changes nothing, and it is the policy (not the CSRF check) that refuses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest

from domain.access import Role
from domain.activities.models import Activity, ActivityPhoto, ActivityStatus
from domain.audit.models import AuditEntry
from domain.grids.models import GridCell
from domain.leaders import training as train
from domain.leaders.models import (
    Attendance,
    Cohort,
    Enrolment,
    EnrolmentStatus,
    LeaderStatus,
    MicroLeader,
    TrainingSession,
)
from domain.permissions import MATRIX, Access
from tests.accounts import make_user
from tests.api.graphql import global_id
from tests.factories import BUREAU, build_tree
from tests.factories_activities import log_activity, submitted_activity, verified_activity
from tests.factories_leaders import LeaderAccount, build_training, enrol, start_session
from tests.web.session import Browser, signed_in

ACTORS: list[Role | None] = [None, *Role]


@dataclass
class World:
    browser: Browser
    account: LeaderAccount
    started: TrainingSession
    upcoming: TrainingSession
    booked: TrainingSession
    submitted: Activity
    draft: Activity
    code: str
    cell_id: int
    verified: Activity | None = None  # by the leader, verified, not public


async def _world(client: httpx.AsyncClient, role: Role | None) -> World:
    tree = await build_tree(grids=1, micro_grids_per_grid=2)
    training = await build_training(tree, leaders=1, required=3, elective=0)
    account = training.leaders[0]
    started, upcoming, booked = training.sessions
    await enrol(started, account.leader)
    await enrol(booked, account.leader)
    started = await start_session(started)
    window = await train.open_check_in(actor=BUREAU, session_id=started.id, minutes=30)
    submitted = await submitted_activity(account.actor, tree.micro_grids[0])
    draft = await log_activity(account.actor, tree.micro_grids[0], title="草稿")
    verified = await verified_activity(account.actor, BUREAU, tree.micro_grids[0], title="已核实的走访")
    if role is None:
        browser = Browser(client)
        await browser.open("/signin")
    else:
        username = account.user.username
        if role is not Role.MICRO_LEADER:
            username = (await make_user(f"matrix.{role.value.lower()}", role, cell=tree.community)).username
        browser = await signed_in(client, username)
        await browser.open("/account")
    return World(
        browser,
        account,
        started,
        upcoming,
        booked,
        submitted,
        draft,
        window.code,
        tree.micro_grids[0].id,
        verified,
    )


async def _snapshot() -> tuple[object, ...]:
    return (
        sorted(await TrainingSession.all().values_list("id", "check_in_code", "enrolled_count", "venue")),
        sorted(await Cohort.all().values_list("id", "name", "year_unverified")),
        sorted(await MicroLeader.all().values_list("id", "status")),
        sorted(await Enrolment.all().values_list("id", "status")),
        sorted(await Attendance.all().values_list("leader_id", "present", "correction_reason")),
        sorted(await Activity.all().values_list("id", "status", "title", "is_public", "details_public")),
        await ActivityPhoto.all().count(),
        await AuditEntry.exclude(action__in=["auth.sign_in"]).count(),
    )


PHOTOS = 6  # the index of the photo count in the snapshot


async def _log(w: World) -> bool:
    form = {
        "cell_id": str(w.cell_id),
        "activity_type": "PUBLICITY",
        "title": "宣传防诈骗",
        "date": "2026-11-27",
        "start": "09:00",
        "end": "10:00",
        "action": "draft",
    }
    await w.browser.submit("/me/log", form)
    return await Activity.filter(title="宣传防诈骗").exists()


async def _edit(w: World) -> bool:
    form = {
        "cell_id": str(w.cell_id),
        "activity_type": "VISIT",
        "title": "改过的标题",
        "date": "2026-11-27",
        "start": "09:00",
        "end": "10:00",
        "households_reached": "2",
        "action": "draft",
    }
    await w.browser.submit(f"/me/activities/{w.draft.id}", form)
    return (await Activity.get(id=w.draft.id)).title == "改过的标题"


async def _remove_photo(w: World) -> bool:
    from domain.activities import service as activities
    from tests.factories_activities import image_bytes

    photo = await activities.add_photo(actor=w.account.actor, activity_id=w.draft.id, data=image_bytes("PNG"))
    await w.browser.submit(f"/me/activities/{w.draft.id}/photos/{photo.id}/remove")
    return not await ActivityPhoto.filter(id=photo.id).exists()


async def _verify(w: World) -> bool:
    await w.browser.submit(f"/review/{w.submitted.id}/verify")
    return (await Activity.get(id=w.submitted.id)).status is ActivityStatus.VERIFIED


async def _set_public(w: World) -> bool:
    assert w.verified is not None
    await w.browser.submit(f"/activities/{w.verified.id}/publicity", {"publicity": "1", "public": "on"})
    return (await Activity.get(id=w.verified.id)).is_public


async def _return(w: World) -> bool:
    await w.browser.submit(f"/review/{w.submitted.id}/return", {"reason": "请补充照片"})
    return (await Activity.get(id=w.submitted.id)).status is ActivityStatus.RETURNED


async def _enrol(w: World) -> bool:
    await w.browser.submit(f"/me/training/sessions/{w.upcoming.id}/enrol")
    return await Enrolment.filter(session_id=w.upcoming.id, status=EnrolmentStatus.ENROLLED).exists()


async def _cancel(w: World) -> bool:
    await w.browser.submit(f"/me/training/sessions/{w.booked.id}/cancel")
    return await Enrolment.filter(session_id=w.booked.id, status=EnrolmentStatus.CANCELLED).exists()


async def _open(w: World) -> bool:
    await w.browser.submit(f"/training/sessions/{w.started.id}/check-in/open", {"minutes": "15"})
    return (await TrainingSession.get(id=w.started.id)).check_in_code != w.code


async def _close(w: World) -> bool:
    await w.browser.submit(f"/training/sessions/{w.started.id}/check-in/close")
    return (await TrainingSession.get(id=w.started.id)).check_in_code is None


async def _correct(w: World) -> bool:
    url = f"/training/sessions/{w.started.id}/attendance/{w.account.leader.id}"
    await w.browser.submit(url, {"present": "present", "reason": "纸质签到补录"})
    return await Attendance.filter(session_id=w.started.id, correction_reason="纸质签到补录").exists()


async def _check_in(w: World) -> bool:
    ref = global_id("TrainingSession", w.started.id)
    await w.browser.submit(f"/training/sessions/{ref}/check-in", {"code": w.code})
    return await Attendance.filter(session_id=w.started.id, present=True).exists()


def _session_form(w: World, title: str) -> dict[str, str]:
    start = w.upcoming.starts_at + timedelta(days=7)
    return {
        "session_type": "WORKSHOP",
        "title": title,
        "date": start.date().isoformat(),
        "start": "09:00",
        "end": "11:00",
        "venue": "矩阵测试会场",
        "facilitator": "周社工",
        "capacity": "20",
        "hours": "2",
        "required": "on",
    }


async def _create_cohort(w: World) -> bool:
    form = {"name": "矩阵期", "year": "2027", "min_attendance_share": "0.8", "min_hours": "0"}
    await w.browser.submit("/training/cohorts", form)
    return await Cohort.filter(name="矩阵期").exists()


async def _update_cohort(w: World) -> bool:
    cohort = await Cohort.get(id=w.account.leader.cohort_id)
    form = {"name": cohort.name, "year": str(cohort.year), "min_attendance_share": "0.8", "min_hours": "0"}
    await w.browser.submit(f"/training/cohorts/{cohort.id}", {**form, "year_unverified": "on"})
    return (await Cohort.get(id=cohort.id)).year_unverified


async def _create_session(w: World) -> bool:
    await w.browser.submit(
        f"/training/cohorts/{w.account.leader.cohort_id}/sessions", _session_form(w, "矩阵场次")
    )
    return await TrainingSession.filter(title="矩阵场次").exists()


async def _update_session(w: World) -> bool:
    await w.browser.submit(f"/training/sessions/{w.upcoming.id}", _session_form(w, w.upcoming.title))
    return (await TrainingSession.get(id=w.upcoming.id)).venue == "矩阵测试会场"


async def _nominate(w: World) -> bool:
    cell = await GridCell.get(id=w.cell_id)
    form = {
        "name": "矩阵新人",
        "mobile": "13957398888",
        "cell_code": cell.code,
        "source_role": "GROUP_LEADER",
    }
    await w.browser.submit(f"/training/cohorts/{w.account.leader.cohort_id}/nominate", form)
    return await MicroLeader.filter(person__name="矩阵新人").exists()


async def _certify(w: World) -> bool:
    await w.browser.submit(f"/leaders/{w.account.leader.id}/certify", {"reason": "跨期补修合格"})
    return (await MicroLeader.get(id=w.account.leader.id)).status is LeaderStatus.CERTIFIED


async def _withdraw(w: World) -> bool:
    await w.browser.submit(f"/leaders/{w.account.leader.id}/withdraw", {"reason": "个人原因"})
    return (await MicroLeader.get(id=w.account.leader.id)).status is LeaderStatus.WITHDRAWN


async def _join_waitlist(w: World) -> bool:
    await TrainingSession.filter(id=w.upcoming.id).update(capacity=0)  # full
    await w.browser.submit(f"/me/training/sessions/{w.upcoming.id}/waitlist")
    await TrainingSession.filter(id=w.upcoming.id).update(capacity=20)
    return await Enrolment.filter(session_id=w.upcoming.id, status=EnrolmentStatus.WAITING).exists()


@dataclass(frozen=True)
class PageCase:
    action: str
    attempt: Callable[[World], Awaitable[bool]]
    only_self: bool = False
    """The page acts for the signed-in leader only (GraphQL also lets staff act for leaders)."""


LEADER_PAGE_ROUTES: dict[str, PageCase] = {
    "POST /me/log": PageCase("activity.log", _log),
    "POST /me/activities/{id}": PageCase("activity.edit", _edit),
    "POST /me/activities/{id}/photos/{id}/remove": PageCase("activity.edit", _remove_photo),
    "POST /review/{id}/verify": PageCase("activity.review", _verify),
    "POST /review/{id}/return": PageCase("activity.review", _return),
    "POST /activities/{id}/publicity": PageCase("activity.review", _set_public),
    "POST /me/training/sessions/{id}/enrol": PageCase("session.enrol", _enrol, only_self=True),
    "POST /me/training/sessions/{id}/cancel": PageCase("session.enrol", _cancel, only_self=True),
    "POST /training/sessions/{id}/check-in/open": PageCase("session.run_check_in", _open),
    "POST /training/sessions/{id}/check-in/close": PageCase("session.run_check_in", _close),
    "POST /training/sessions/{id}/attendance/{id}": PageCase("session.run_check_in", _correct),
    "POST /training/sessions/{ref}/check-in": PageCase("session.check_in", _check_in),
    "POST /training/cohorts": PageCase("cohort.manage", _create_cohort),
    "POST /training/cohorts/{id}": PageCase("cohort.manage", _update_cohort),
    "POST /training/cohorts/{id}/sessions": PageCase("session.manage", _create_session),
    "POST /training/sessions/{id}": PageCase("session.manage", _update_session),
    "POST /training/cohorts/{id}/nominate": PageCase("leader.nominate", _nominate),
    # One route, /leaders/{id}/{kind}, walked with each kind.
    "POST /leaders/{id}/{certify}": PageCase("leader.certify", _certify),
    "POST /leaders/{id}/{withdraw}": PageCase("leader.nominate", _withdraw),
    "POST /me/training/sessions/{id}/waitlist": PageCase("session.enrol", _join_waitlist, only_self=True),
}


def _expected(case: PageCase, role: Role | None) -> bool:
    """Allowed per the matrix; what is one's OWN here always belongs to the leader."""
    access = next(p for p in MATRIX if p.action == case.action).access(role)
    if access is Access.OWN or case.only_self:
        return role is Role.MICRO_LEADER and access is not Access.DENIED
    return access in {Access.ALLOWED, Access.IN_SCOPE}


@pytest.mark.parametrize("route", list(LEADER_PAGE_ROUTES))
@pytest.mark.parametrize("role", ACTORS, ids=lambda r: "anonymous" if r is None else r.value)
async def test_leader_pages_follow_the_matrix(
    client: httpx.AsyncClient, route: str, role: Role | None
) -> None:
    # GIVEN a leader in training with records to review, and a browser of `role` (staff scoped over
    # the leader's community; the micro-leader is the leader themself), or an anonymous one
    case = LEADER_PAGE_ROUTES[route]
    world = await _world(client, role)
    before = await _snapshot()
    # WHEN they post the route's form with the page's CSRF token
    allowed = await case.attempt(world)
    # THEN the outcome is the documented one, and a refusal changed nothing
    assert allowed is _expected(case, role)
    answer = world.browser.last
    assert answer is not None
    assert answer.status_code < 500
    assert "请求已过期" not in answer.text
    if not allowed:
        after = await _snapshot()
        if case.attempt is _remove_photo:  # the photo was added outside the page, by the author
            before = (*before[:PHOTOS], before[PHOTOS] + 1, before[PHOTOS + 1] + 1)
        assert after == before
