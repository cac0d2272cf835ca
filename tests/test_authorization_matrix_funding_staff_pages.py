"""The state-changing pages of the bureau's venture-funding management (`/funding/manage`, its
working-day calendar included), walked
with every role and anonymous through a real browser session: only bureau staff may (venture
funding is run by the bureau, `domain.funding.policy.require_bureau`; the ORGANISER here acts
for the applicant itself), a refusal changes nothing, and it is the policy (not the CSRF check)
that refuses. Each route builds only the data it needs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
import pytest

from domain import clock
from domain.access import Role
from domain.accounts.service import SYSTEM, grant_role
from domain.audit.models import AuditEntry
from domain.calendar import service as calendar
from domain.calendar.models import CalendarDay, DayKind
from domain.funding import rounds, tranches
from domain.funding.models import (
    Application,
    ApplicationEvent,
    Evaluation,
    FundingRound,
    Reclaim,
    RoundStage,
    Tranche,
)
from domain.review import objections
from domain.review.models import Objection, ReviewPanel
from tests.accounts import make_user
from tests.factories import Tree, build_tree
from tests.factories_funding import (
    CLERK,
    TODAY,
    open_round,
    registered_org,
    round_input,
    submitted,
    to_review,
)
from tests.web.funding_staff_world import approved_project, reviewed_round, running_project
from tests.web.session import Browser, signed_in
from tests.web.test_funding_pages import publicised

pytestmark = pytest.mark.usefixtures("funding_clerks")

ACTORS: list[Role | None] = [None, *Role]
ONE_APPROVER = {"second_approval_over_fen": 100_000_00}


@dataclass
class Target:
    """What the route acts on: its URL and form, and the organisation whose organiser signs in."""

    url: str
    form: dict[str, str]
    organisation_id: int


async def _create(tree: Tree) -> Target:
    form = {
        "edition": "7",
        "year": "2027",
        "title": "矩阵公益创投",
        "pool": "100000",
        "cap": "50000",
        "max_grant_share_pct": "60",
        "min_matching_share_pct": "40",
        "max_applications_per_org": "1",
        "plan_percent": "100",
        "plan_trigger": "SIGNING",
        "publicity_days": "5",
        "pass_mark": "60",
        "second_approval": "0",
    }
    world = await reviewed_round(tree)
    return Target("/funding/manage", form, world.orgs[0].id)


async def _update(tree: Tree) -> Target:
    target = await _create(tree)
    draft = await rounds.create_round(actor=CLERK, data=round_input(edition=6, title="矩阵草稿"))
    return Target(f"/funding/manage/{draft.id}", target.form | {"edition": "6"}, target.organisation_id)


async def _stage(tree: Tree) -> Target:
    world = await reviewed_round(tree)
    return Target(f"/funding/manage/{world.round.id}/stage", {"to": "RESULTS_PUBLICIZED"}, world.orgs[0].id)


async def _eligibility(tree: Tree) -> Target:
    funding_round = await open_round(edition=4, title="矩阵资格审查")
    org = await registered_org(tree, "矩阵申报组织")
    application = await submitted(tree, funding_round, org)
    await rounds.move_round(actor=CLERK, round_id=funding_round.id, to=RoundStage.APPLICATIONS_CLOSED)
    url = f"/funding/manage/applications/{application.id}/eligibility"
    return Target(url, {"decision": "ELIGIBLE", "reason": "材料齐全"}, org.id)


async def _allocate(tree: Tree) -> Target:
    world = await reviewed_round(tree)
    return Target(f"/funding/manage/{world.round.id}/allocate", {}, world.orgs[0].id)


async def _award(tree: Tree) -> Target:
    world = await reviewed_round(tree)
    first = world.ranked[0]
    url = f"/funding/manage/applications/{first.id}/award"
    return Target(url, {"amount": "40000", "reason": "核定"}, first.organisation_id)


async def _sign(tree: Tree) -> Target:
    application = await approved_project(tree)
    url = f"/funding/manage/applications/{application.id}/agreement"
    return Target(url, {"number": "PH-JZ-1", "signed_on": TODAY.isoformat()}, application.organisation_id)


async def _approve(tree: Tree) -> Target:
    project = await running_project(tree, **ONE_APPROVER)
    url = f"/funding/manage/tranches/{project.tranche.id}/approve"
    return Target(url, {}, project.application.organisation_id)


async def _pay(tree: Tree) -> Target:
    project = await running_project(tree, **ONE_APPROVER)
    await tranches.approve_tranche(actor=CLERK, tranche_id=project.tranche.id)
    url = f"/funding/manage/tranches/{project.tranche.id}/pay"
    return Target(
        url, {"paid_on": TODAY.isoformat(), "reference": "PZ-9"}, project.application.organisation_id
    )


async def _reclaim(tree: Tree) -> Target:
    project = await running_project(tree, **ONE_APPROVER)
    await tranches.approve_tranche(actor=CLERK, tranche_id=project.tranche.id)
    await tranches.pay_tranche(
        actor=CLERK, tranche_id=project.tranche.id, paid_on=TODAY, reference="PZ-8", today=TODAY
    )
    url = f"/funding/manage/applications/{project.application.id}/reclaim"
    return Target(url, {"amount": "1000", "reason": "未按协议使用"}, project.application.organisation_id)


async def _evaluate(tree: Tree) -> Target:
    project = await running_project(tree)
    url = f"/funding/manage/evaluations/{project.evaluation_id}/review"
    return Target(url, {"score": "80", "comment": "良好"}, project.application.organisation_id)


async def _finish_review(tree: Tree) -> Target:
    funding_round = await open_round(edition=4, title="矩阵评审中")
    org = await registered_org(tree, "矩阵评审组织")
    await to_review(funding_round, [await submitted(tree, funding_round, org)])
    return Target(f"/funding/manage/{funding_round.id}/finish-review", {}, org.id)


async def _resolve(tree: Tree) -> Target:
    org = await registered_org(tree, "矩阵公示组织")
    funding_round, _ = await publicised(tree, org)
    today = clock.today()
    await ReviewPanel.filter(id=funding_round.panel_id).update(
        publicity_starts_on=today - timedelta(days=1), publicity_ends_on=today + timedelta(days=5)
    )
    objection = await objections.lodge_objection(
        actor=CLERK,
        panel_id=funding_round.panel_id,
        entry_id=None,
        name="李明",
        mobile="13800138000",
        text="矩阵：请核实公示结果。",
        today=today,
    )
    url = f"/funding/manage/objections/{objection.id}/resolve"
    return Target(url, {"decision": "DISMISSED", "answer": "经核实无误。"}, org.id)


async def _calendar_set(tree: Tree) -> Target:
    org = await registered_org(tree, "矩阵日历组织")
    form = {"day": "2027-02-07", "kind": "WORKDAY", "name": "春节调休"}
    return Target("/funding/manage/calendar", form, org.id)


async def _calendar_remove(tree: Tree) -> Target:
    org = await registered_org(tree, "矩阵日历组织")
    await calendar.set_calendar_day(CLERK, date(2027, 2, 11), DayKind.HOLIDAY, "春节")
    return Target("/funding/manage/calendar/remove", {"day": "2027-02-11"}, org.id)


ROUTES: dict[str, Callable[[Tree], Awaitable[Target]]] = {
    "POST /funding/manage": _create,
    "POST /funding/manage/{id}": _update,
    "POST /funding/manage/{id}/stage": _stage,
    "POST /funding/manage/applications/{id}/eligibility": _eligibility,
    "POST /funding/manage/{id}/allocate": _allocate,
    "POST /funding/manage/{id}/finish-review": _finish_review,
    "POST /funding/manage/objections/{id}/resolve": _resolve,
    "POST /funding/manage/applications/{id}/award": _award,
    "POST /funding/manage/applications/{id}/agreement": _sign,
    "POST /funding/manage/tranches/{id}/approve": _approve,
    "POST /funding/manage/tranches/{id}/pay": _pay,
    "POST /funding/manage/applications/{id}/reclaim": _reclaim,
    "POST /funding/manage/evaluations/{id}/review": _evaluate,
    "POST /funding/manage/calendar": _calendar_set,
    "POST /funding/manage/calendar/remove": _calendar_remove,
}


async def _browser(client: httpx.AsyncClient, role: Role | None, tree: Tree, organisation_id: int) -> Browser:
    if role is None:
        browser = Browser(client)
        await browser.open("/signin")
        return browser
    user = await make_user(f"matrix.{role.value.lower()}", role, cell=tree.community)
    if role is Role.ORGANISER:
        await grant_role(actor=SYSTEM, user_id=user.id, role=role, organisation_id=organisation_id)
    browser = await signed_in(client, user.username)
    await browser.open("/account")
    return browser


async def _snapshot() -> tuple[object, ...]:
    return (
        sorted(await FundingRound.all().values_list("id", "stage", "title", "edition")),
        sorted(await Application.all().values_list("id", "status", "award_fen")),
        await ApplicationEvent.all().count(),
        sorted(
            await Tranche.all().values_list("id", "status", "first_approver_user_id", "payment_reference")
        ),
        await Reclaim.all().count(),
        sorted(await Evaluation.all().values_list("id", "score")),
        sorted(await ReviewPanel.all().values_list("id", "stage")),
        sorted(await Objection.all().values_list("id", "status")),
        sorted(await CalendarDay.all().values_list("day", "kind", "name")),
        await AuditEntry.exclude(action__in=["auth.sign_in"]).count(),
    )


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("role", ACTORS, ids=lambda r: "anonymous" if r is None else r.value)
async def test_funding_staff_pages_are_for_bureau_staff_only(
    client: httpx.AsyncClient, route: str, role: Role | None
) -> None:
    # GIVEN what the route acts on, and a browser of `role` (the ORGANISER acts for the
    # applicant), or an anonymous one
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    target = await ROUTES[route](tree)
    browser = await _browser(client, role, tree, target.organisation_id)
    before = await _snapshot()
    # WHEN they post the route's form with the page's CSRF token
    answer = await browser.submit(target.url, target.form)
    # THEN only bureau staff change anything; anyone else is refused and nothing changed
    assert answer.status_code < 500
    assert "请求已过期" not in answer.text
    after = await _snapshot()
    if role is Role.BUREAU_STAFF:
        assert answer.status_code == 303, answer.text
        assert after != before
    else:
        assert answer.status_code == (303 if role is None else 403)
        if role is None:
            assert answer.headers["location"].startswith("/signin")
        assert after == before
