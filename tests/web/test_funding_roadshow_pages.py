"""A funding round with a roadshow (路演答辩) run from the bureau's pages: the written review drawn
and ended, the roadshow drawn and scored by the panel, the ranking and the allocation by the
roadshow's scores (the written ones shown beside them on the score matrix). Reviewers' sheets are
submitted through the review service (the scoring form has its own tests). Both databases."""

from __future__ import annotations

import httpx
import pytest

from domain.funding.models import Application, AppStatus, FundingRound
from domain.review import service as review_service
from domain.review.models import Assignment, MemberSource, PanelEntry, PanelStage, ReviewPanel, Stage
from domain.review.rubric import FUNDING_RUBRIC
from tests.factories import build_tree
from tests.factories_funding import CLERK, open_round, registered_org, submitted, to_review
from tests.factories_review import Reviewer, full_sheet, make_reviewer
from tests.web.funding_staff_world import staff
from tests.web.html import Element
from tests.web.session import signed_in

pytestmark = pytest.mark.usefixtures("funding_clerks")


async def _score(reviewer: Reviewer, entry_id: int, stage: Stage, score: int) -> None:
    assignment = await Assignment.get(entry_id=entry_id, reviewer_id=reviewer.id, stage=stage, live=True)
    sheet = await review_service.save_scores(
        actor=reviewer.actor,
        assignment_id=assignment.id,
        scores=full_sheet(FUNDING_RUBRIC, score),
        overall_comment="评审意见",
    )
    await review_service.submit_sheet(actor=reviewer.actor, sheet_id=sheet.id)


def ranking(doc: Element) -> list[str]:
    return [h.text.strip() for h in doc.find(class_="fund-ranking").find_all("h2")]


def matrix_titles(doc: Element) -> list[str]:
    return [
        str(tr.find("th").children[0]).strip() for tr in doc.find(id="matrix").find("tbody").find_all("tr")
    ]


async def test_a_round_with_a_roadshow_is_run_and_ranked_by_the_roadshow_from_the_pages(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a round with a roadshow, two applications in review, three experts, a pool for one
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round(
        roadshow=True,
        reviewers_per_entry=3,
        max_applications_per_org=2,
        pool_fen=40_000_00,
        cap_fen=40_000_00,
    )
    made = [
        await submitted(tree, funding_round, org, project_name=name, grant=40_000_00, matching=40_000_00)
        for name in ("甲项目", "乙项目")
    ]
    reviewers = [await make_reviewer(CLERK, f"expert.{n}") for n in range(3)]
    for reviewer in reviewers:
        await review_service.add_member(
            actor=CLERK, panel_id=funding_round.panel_id, user_id=reviewer.id, source=MemberSource.POOL
        )
    await to_review(funding_round, made)
    entries = {e.subject_id: e.id for e in await PanelEntry.filter(panel_id=funding_round.panel_id)}
    browser = await staff(client)
    panel_url, round_url = f"/panels/{funding_round.panel_id}", f"/funding/manage/{funding_round.id}"
    # WHEN staff draw the written review on the panel's page and the experts put 甲 first
    await browser.open(f"{panel_url}/assignments")
    assert (await browser.submit(f"{panel_url}/draw", {"seed": "3"})).status_code == 303
    for reviewer in reviewers:
        await _score(reviewer, entries[made[0].id], Stage.WRITTEN, 9)
        await _score(reviewer, entries[made[1].id], Stage.WRITTEN, 7)
    # THEN the allocation page says the roadshow decides and offers to end the written review
    _, doc = await browser.open(f"{round_url}/allocation")
    assert "排名以路演答辩的评分为准" in doc.find(id="roadshow-rule").text
    assert "尚无已提交的路演答辩评分表" in doc.text
    finish = doc.find("form", action=f"{round_url}/finish-review")
    assert finish.find("button").text.strip() == "结束书面评审，进入路演答辩"
    # WHEN they end it THEN the panel is at the roadshow and the page says what to do next
    response = await browser.submit(f"{round_url}/finish-review")
    assert response.headers["location"] == f"{round_url}/allocation?done=roadshow"
    _, doc = await browser.open(response.headers["location"])
    assert "进入路演答辩" in doc.find(class_="alert--success").text
    assert doc.find("form", action=f"{round_url}/finish-review").find("button").text.strip() == "结束路演答辩"
    assert (await ReviewPanel.get(id=funding_round.panel_id)).stage is PanelStage.ROADSHOW
    # WHEN staff draw the roadshow on the same page THEN each expert has a roadshow task
    await browser.open(f"{panel_url}/assignments")
    assert (await browser.submit(f"{panel_url}/draw", {"seed": "4"})).status_code == 303
    expert = await signed_in(client, reviewers[0].user.username)
    _, doc = await expert.open("/panels/mine")
    assert [m.text.strip().split(" · ")[-1] for m in doc.find_all(class_="task-card__meta")].count(
        "路演答辩"
    ) == 2
    # WHEN the panel scores the roadshow the other way round and staff end it
    for reviewer, (first, second) in zip(reviewers, ((6, 8), (6, 9), (5, 8)), strict=True):
        await _score(reviewer, entries[made[0].id], Stage.ROADSHOW, first)
        await _score(reviewer, entries[made[1].id], Stage.ROADSHOW, second)
    browser = await signed_in(client, "bureau.chen")
    await browser.open(f"{round_url}/allocation")
    response = await browser.submit(f"{round_url}/finish-review")
    assert response.headers["location"] == f"{round_url}/allocation?done=review-finished"
    # THEN the ranking is the roadshow's (乙 before 甲), and the score matrix shows it by default,
    # the written review's on the other tab
    _, doc = await browser.open(f"{round_url}/allocation")
    assert ranking(doc) == ["乙项目", "甲项目"]
    _, doc = await browser.open(f"{panel_url}/scores")
    assert "路演答辩" in doc.find(class_="page-header__lead").text
    assert matrix_titles(doc) == ["乙项目", "甲项目"]
    _, doc = await browser.open(f"{panel_url}/scores?stage=WRITTEN")
    assert "书面评审" in doc.find(class_="page-header__lead").text
    assert matrix_titles(doc) == ["甲项目", "乙项目"]
    # WHEN staff allocate by the ranking THEN 乙 is funded and 甲 waitlisted
    assert (await browser.submit(f"{round_url}/allocate")).status_code == 303
    statuses = [(await Application.get(id=a.id)).status for a in made]
    assert statuses == [AppStatus.WAITLISTED, AppStatus.RECOMMENDED]
    assert (await FundingRound.get(id=funding_round.id)).stage.value == "REVIEWING"
    _, doc = await browser.open(f"{round_url}/allocation")
    assert ranking(doc) == ["乙项目", "甲项目"]
