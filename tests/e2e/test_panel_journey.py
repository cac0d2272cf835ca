"""A reviewer scores an entry on a phone, criterion by criterion, and submits; then bureau staff
look at the panel's overview, assignment board and score matrix. On the seeded demo with a panel
added through the review service (demo.reviewer from the expert pool, demo.bureau scoring as
staff), in Chromium at 390 and 1280 px; no console errors, no sideways scrolling."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.conftest import ConsoleErrors
from tests.e2e.test_account_journey import sign_in
from tests.e2e.test_grid_journey import shoot

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


async def add_panel(title: str) -> dict[str, int]:
    """A frozen panel of two entries, demo.reviewer and demo.bureau on both, demo.bureau's sheets
    submitted (run inside the live server's database)."""
    from domain.access import Actor, Grant, Role
    from domain.accounts.models import User
    from domain.accounts.service import SYSTEM
    from domain.organisations.models import Organisation
    from domain.review import service
    from domain.review.models import MemberSource, PanelKind, ScoreSheet
    from domain.review.rubric import FUNDING_RUBRIC
    from domain.review.rules import AggregationRule

    reviewer = await User.get(username="demo.reviewer")
    bureau = await User.get(username="demo.bureau")
    data = service.PanelInput(
        PanelKind.FUNDING, title, FUNDING_RUBRIC, AggregationRule.TRIMMED_MEAN, reviewers_per_entry=2
    )
    panel = await service.create_panel(actor=SYSTEM, data=data)
    await service.add_expert(actor=SYSTEM, user_id=reviewer.id, specialities="社区治理")
    await service.add_member(actor=SYSTEM, panel_id=panel.id, user_id=reviewer.id, source=MemberSource.POOL)
    await service.add_member(actor=SYSTEM, panel_id=panel.id, user_id=bureau.id, source=MemberSource.STAFF)
    orgs = await Organisation.all().order_by("id").limit(2)
    titles = ("“邻里守望”独居老人探访项目", "社区儿童四点半课堂")
    entries = [
        await service.add_entry(actor=SYSTEM, panel_id=panel.id, subject_id=n, title=t, applicant_id=o.id)
        for n, (t, o) in enumerate(zip(titles, orgs, strict=True), start=1)
    ]
    await service.freeze_panel(actor=SYSTEM, panel_id=panel.id)
    await service.draw_reviewers(actor=SYSTEM, panel_id=panel.id, seed=20261205)
    staff = Actor(user_id=bureau.id, display_name="demo.bureau", grants=(Grant(Role.BUREAU_STAFF),))
    for entry, score in zip(entries, (7, 5), strict=True):
        sheet = await ScoreSheet.get(assignment__entry_id=entry.id, assignment__reviewer_id=bureau.id)
        scores = {c.key: (score, f"{c.label}：基本符合要求") for c in FUNDING_RUBRIC.criteria}
        await service.save_scores(
            actor=staff, assignment_id=sheet.assignment_id, scores=scores, overall_comment="可以立项"
        )
        await service.submit_sheet(actor=staff, sheet_id=sheet.id)
    return {"panel": panel.id, "entry": entries[0].id}


def _add_panel(live_server: LiveServer, title: str) -> dict[str, int]:
    script = (
        "import asyncio, json\n"
        "from api.cli import _with_orm\n"
        "from api.settings import Settings\n"
        "from tests.e2e.test_panel_journey import add_panel\n"
        f"print(json.dumps(asyncio.run(_with_orm(Settings.from_env(), lambda: add_panel({title!r})))))\n"
    )
    env = {**os.environ, "LINZHI_DATABASE_URL": live_server.database_url}
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_a_reviewer_scores_an_entry_criterion_by_criterion_and_submits(
    live_server: LiveServer, page: Page, console_errors: ConsoleErrors, screenshots: Path
) -> None:
    base = live_server.url
    title = f"第四届公益创投书面评审{uuid.uuid4().hex[:4]}"
    ids = _add_panel(live_server, title)

    # GIVEN the reviewer signed in, WHEN they open 我的评审 from the menu
    sign_in(page, base, "demo.reviewer")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的评审").click()
    group = page.locator("section", has=page.get_by_role("heading", name=title))
    expect(group.locator(".task-card")).to_have_count(2)
    shoot(page, screenshots, "panel-mine")

    # AND open the first entry THEN its first criterion is asked alone, step 1 of 8
    group.get_by_role("link", name="“邻里守望”独居老人探访项目").click()
    expect(page.locator(".sheet-progress__text")).to_contain_text("第 1/8 步")
    expect(page.locator(".sheet-step__label")).to_have_text("需求分析")
    shoot(page, screenshots, "panel-sheet-step")

    # WHEN they give 11 on a 0–10 rubric THEN the error is beside the score, step 1 still
    page.get_by_label("分数", exact=True).fill("11")
    page.get_by_label("评语", exact=True).fill("需求调研扎实，覆盖 120 户独居老人。")
    page.get_by_role("button", name="保存，下一项").click()
    expect(page.locator("#score-input-error")).to_have_text("分数须在 0–10 之间")
    expect(page.get_by_label("评语", exact=True)).to_have_value("需求调研扎实，覆盖 120 户独居老人。")
    shoot(page, screenshots, "panel-sheet-error")

    # WHEN they score each of the seven criteria in turn
    for n in range(1, 8):
        expect(page.locator(".sheet-progress__text")).to_contain_text(f"第 {n}/8 步")
        page.get_by_label("分数", exact=True).fill(str(10 - n % 3))
        page.get_by_label("评语", exact=True).fill(f"第 {n} 项：论证清楚。")
        page.get_by_role("button", name="保存，下一项" if n < 7 else "保存，去提交").click()
    # THEN the final step lists the seven scores; they write the overall comment, confirm, submit
    expect(page.locator(".sheet-progress__text")).to_contain_text("第 8/8 步")
    expect(page.locator(".sheet-final .score-list__item")).to_have_count(7)
    page.get_by_label("总体评语", exact=True).fill("项目扎根社区，建议立项。")
    page.get_by_label("我已核对全部评分，提交后不能再修改").check()
    shoot(page, screenshots, "panel-sheet-final")
    page.get_by_role("button", name="提交评分").click()

    # THEN the sheet is read-only and the other expert's scores show, by number only
    expect(page.get_by_role("status")).to_contain_text("评分已提交")
    expect(page.locator("#own-heading")).to_contain_text("已提交")
    expect(page.locator("#others-table tbody tr")).to_have_count(2)
    expect(page.locator("#others-table")).to_contain_text("专家 1")
    shoot(page, screenshots, "panel-sheet-submitted")

    # AND bureau staff see the panel, its board and its matrix
    page.context.clear_cookies()
    sign_in(page, base, "demo.bureau")
    expect(page).to_have_url(re.compile(r"/workbench$"))
    page.goto(f"{base}/panels/{ids['panel']}")
    expect(page.locator("main h1")).to_have_text(title)
    shoot(page, screenshots, "panel-overview")
    page.get_by_role("navigation", name="评审组页面").get_by_role("link", name="评审分配").click()
    expect(page.locator("#seeds")).to_contain_text("20261205")
    shoot(page, screenshots, "panel-board")
    page.get_by_role("navigation", name="评审组页面").get_by_role("link", name="评分汇总").click()
    expect(page.locator(f"#matrix tr[data-entry='{ids['entry']}'] td[data-figure='reviewers']")).to_have_text(
        "2"
    )
    shoot(page, screenshots, "panel-scores")
    # the refused score answers 422, which the browser logs; nothing else may fail
    assert [m for m in console_errors.messages if "status of 422" not in m] == []
