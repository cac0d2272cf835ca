"""The state-changing venture-funding pages, walked with every role and anonymous through a real
browser session: any signed-in person submits a need during needs collection and an objection
while the results are publicised; only an ORGANISER acting for the organisation drafts, checks,
edits, submits and withdraws its application, and adds or removes its attachments
(docs/permissions.md, venture funding; the funding rows of the matrix belong to the GraphQL side,
so the expectations are stated here). A refusal changes nothing, and it is the policy (not the
CSRF check) that refuses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain import clock, storage
from domain.access import Role
from domain.accounts.service import SYSTEM, grant_role
from domain.audit.models import AuditEntry
from domain.funding import applications, attachments, rounds
from domain.funding.models import (
    Application,
    ApplicationAttachment,
    ApplicationEvent,
    AppStatus,
    BudgetLine,
    Need,
    RoundStage,
)
from domain.organisations.models import Organisation
from domain.review.models import Objection, ReviewPanel
from tests.accounts import make_user
from tests.factories import Tree, build_tree
from tests.factories_files import pdf_bytes
from tests.factories_funding import CLERK, app_input, open_round, organiser, registered_org, round_input
from tests.web.session import Browser, signed_in
from tests.web.test_funding_pages import publicised

pytestmark = pytest.mark.usefixtures("funding_clerks")

ACTORS: list[Role | None] = [None, *Role]


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path) -> Iterator[Path]:
    previous = storage.configure(tmp_path)
    yield storage.attachments_dir()
    storage.configure(previous)


@dataclass
class World:
    browser: Browser
    tree: Tree
    org: Organisation
    open_round_id: int
    collecting_round_id: int
    draft: Application
    publicised_round_id: int
    attachment_id: int


async def _world(client: httpx.AsyncClient, role: Role | None) -> World:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    org = await registered_org(tree)
    funding_round = await open_round(edition=1, max_applications_per_org=3)
    collecting = await rounds.create_round(actor=CLERK, data=round_input(edition=2, title="第二届"))
    await rounds.move_round(actor=CLERK, round_id=collecting.id, to=RoundStage.NEEDS_COLLECTION)
    draft = await applications.create_application(
        actor=organiser(org), round_id=funding_round.id, data=app_input(tree, org)
    )
    attachment = await attachments.add_attachment(
        actor=organiser(org), application_id=draft.id, data=pdf_bytes(), declared_name="申报书.pdf"
    )
    publicised_round, _ = await publicised(tree, org)
    today = clock.today()
    await ReviewPanel.filter(id=publicised_round.panel_id).update(
        publicity_starts_on=today - timedelta(days=1), publicity_ends_on=today + timedelta(days=5)
    )
    if role is None:
        browser = Browser(client)
        await browser.open("/signin")
    else:
        user = await make_user(f"matrix.{role.value.lower()}", role, cell=tree.community)
        if role is Role.ORGANISER:
            await grant_role(actor=SYSTEM, user_id=user.id, role=role, organisation_id=org.id)
        browser = await signed_in(client, user.username)
        await browser.open("/account")
    return World(
        browser, tree, org, funding_round.id, collecting.id, draft, publicised_round.id, attachment.id
    )


async def _snapshot() -> tuple[object, ...]:
    return (
        sorted(await Application.all().values_list("id", "status", "project_name", "requested_fen")),
        sorted(await BudgetLine.all().values_list("id", "amount_fen")),
        await Need.all().count(),
        await Objection.all().count(),
        await ApplicationEvent.all().count(),
        sorted(await ApplicationAttachment.all().values_list("id", "file_name")),
        await AuditEntry.exclude(action__in=["auth.sign_in"]).count(),
    )


def _form(w: World, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "organisation": str(w.org.id),
        "project_name": "矩阵项目",
        "target_group": "社区独居老人",
        "problem": "社区独居老人用餐困难，缺少日常照应与邻里联系。",
        "plan": "组织志愿者每周三次送餐上门，并开展邻里互助结对活动。",
        "cells": [str(w.tree.community.id)],
        "line_category": ["活动费", "自筹"],
        "line_item": ["物料", "自筹"],
        "line_amount": ["30000", "20000"],
        "line_funded_by": ["GRANT", "MATCHING"],
        "requested": "30000",
        "op": "save",
    }
    return values | overrides


async def _need(w: World) -> bool:
    form = {"cell": str(w.tree.community.id), "text": "矩阵：楼道照明不足，老人夜间出行不便。"}
    await w.browser.submit(f"/funding/{w.collecting_round_id}/needs", form)
    return await Need.exists(round_id=w.collecting_round_id)


async def _object(w: World) -> bool:
    form = {
        "objection_name": "李明",
        "objection_mobile": "13800138000",
        "objection_text": "矩阵：请核实该项目的场地。",
    }
    await w.browser.submit(f"/funding/{w.publicised_round_id}/objections", form)
    return await Objection.exists()


async def _apply(w: World) -> bool:
    await w.browser.submit(f"/funding/{w.open_round_id}/apply", _form(w))
    return await Application.exists(project_name="矩阵项目")


async def _check(w: World) -> bool:
    answer = await w.browser.submit(f"/funding/{w.open_round_id}/apply/check", _form(w))
    return answer.status_code == 200 and 'id="budget-check"' in answer.text


async def _edit(w: World) -> bool:
    await w.browser.submit(
        f"/funding/applications/{w.draft.id}/edit", _form(w, project_name="改过的矩阵项目")
    )
    return (await Application.get(id=w.draft.id)).project_name == "改过的矩阵项目"


async def _submit(w: World) -> bool:
    await w.browser.submit(f"/funding/applications/{w.draft.id}/submit")
    return (await Application.get(id=w.draft.id)).status is AppStatus.SUBMITTED


async def _withdraw(w: World) -> bool:
    await w.browser.submit(f"/funding/applications/{w.draft.id}/withdraw", {"reason": "矩阵撤回"})
    return (await Application.get(id=w.draft.id)).status is AppStatus.WITHDRAWN


async def _attach(w: World) -> bool:
    url = f"/funding/applications/{w.draft.id}/attachments"
    await w.browser.submit(url, files=[("file", ("矩阵附件.pdf", pdf_bytes(), "application/pdf"))])
    return await ApplicationAttachment.exists(file_name="矩阵附件.pdf")


async def _detach(w: World) -> bool:
    await w.browser.submit(f"/funding/applications/{w.draft.id}/attachments/{w.attachment_id}/remove")
    return not await ApplicationAttachment.exists(id=w.attachment_id)


@dataclass(frozen=True)
class PageCase:
    attempt: Callable[[World], Awaitable[bool]]
    allowed: Callable[[Role | None], bool]
    changes: bool = True


def _signed_in(role: Role | None) -> bool:
    return role is not None


def _organiser(role: Role | None) -> bool:
    return role is Role.ORGANISER


FUNDING_PAGE_ROUTES: dict[str, PageCase] = {
    "POST /funding/{id}/needs": PageCase(_need, _signed_in),
    "POST /funding/{id}/objections": PageCase(_object, _signed_in),
    "POST /funding/{id}/apply": PageCase(_apply, _organiser),
    "POST /funding/{id}/apply/check": PageCase(_check, _organiser, changes=False),
    "POST /funding/applications/{id}/edit": PageCase(_edit, _organiser),
    "POST /funding/applications/{id}/submit": PageCase(_submit, _organiser),
    "POST /funding/applications/{id}/withdraw": PageCase(_withdraw, _organiser),
    "POST /funding/applications/{id}/attachments": PageCase(_attach, _organiser),
    "POST /funding/applications/{id}/attachments/{id}/remove": PageCase(_detach, _organiser),
}


@pytest.mark.parametrize("route", list(FUNDING_PAGE_ROUTES))
@pytest.mark.parametrize("role", ACTORS, ids=lambda r: "anonymous" if r is None else r.value)
async def test_funding_pages_follow_the_matrix(
    client: httpx.AsyncClient, route: str, role: Role | None
) -> None:
    # GIVEN an open round with a draft of a registered organisation, a round collecting needs, and
    # a browser of `role` (the ORGANISER for that organisation), or an anonymous one
    case = FUNDING_PAGE_ROUTES[route]
    world = await _world(client, role)
    before = await _snapshot()
    # WHEN they post the route's form with the page's CSRF token
    allowed = await case.attempt(world)
    # THEN the outcome is the documented one, and a refusal (or the check) changed nothing
    assert allowed is case.allowed(role)
    answer = world.browser.last
    assert answer is not None
    assert answer.status_code < 500
    assert "请求已过期" not in answer.text
    if not allowed:
        assert answer.status_code in (303, 403)
    if not allowed or not case.changes:
        assert await _snapshot() == before
