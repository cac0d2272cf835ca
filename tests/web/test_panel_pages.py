"""The staff's review panel pages: the overview, the assignment board (a draw with a seed that is
recorded and reproducible, manual assignment and cancellation, conflicts recorded by staff) and the
score matrix, whose figures are the aggregation module's (one checked by hand), with an outlier
reviewer flagged and still counted; reopening a sheet. Non-staff get 403, the anonymous sign in.
Both databases."""

from __future__ import annotations

import httpx
import pytest

from domain.access import Role
from domain.audit.models import AuditEntry
from domain.review import aggregation, queries, service
from domain.review.models import (
    Assignment,
    Conflict,
    MemberSource,
    PanelEntry,
    ScoreSheet,
    SheetStatus,
)
from tests.accounts import make_user
from tests.conftest import SqlLog
from tests.factories_review import ReviewWorld, build_review, panel_input
from tests.web.html import Element, parse
from tests.web.review_pages import assignment_of, drawn_world, live_pairs, submit
from tests.web.session import Browser, new_client, signed_in

# the session and its roles, the panel, its members, the entries' count, the sheets, their scores
OVERVIEW_STATEMENTS = 7
# the session and its roles, the panel, its members, entries, live assignments and conflicts
BOARD_STATEMENTS = 7
# the session and its roles, the panel, its members, entries, conflicts, the sheets, their scores
MATRIX_STATEMENTS = 8

# Each reviewer scores every criterion the same, so an entry's total is 10 × that score.
# The last reviewer orders the entries the other way round: the outlier.
SCORES = [
    [9, 7, 5, 3],
    [8, 7, 4, 2],
    [9, 6, 5, 3],
    [8, 6, 4, 3],
    [2, 4, 7, 9],
]


async def staff_browser(client: httpx.AsyncClient) -> Browser:
    return await signed_in(client, "bureau.review")


async def scored_world() -> ReviewWorld:
    """Five reviewers on four entries, every sheet submitted with `SCORES`."""
    world = await drawn_world(reviewers=5, entries=4)
    for r, row in enumerate(SCORES):
        for e, score in enumerate(row):
            await submit(world, world.reviewers[r], e, score)
    return world


def figure_of(doc: Element, entry: PanelEntry, name: str) -> str:
    return doc.find("tr", data_entry=str(entry.id)).find("td", data_figure=name).text


# --- access -------------------------------------------------------------------------------------


async def test_staff_pages_refuse_reviewers_and_send_the_anonymous_to_sign_in(
    client: httpx.AsyncClient,
) -> None:
    world = await drawn_world()
    base = f"/panels/{world.panel.id}"
    urls = ["/panels", base, f"{base}/assignments", f"{base}/scores", f"{base}/scores.csv"]
    # GIVEN nobody signed in THEN each staff page asks to sign in
    for url in urls:
        response = await client.get(url)
        assert response.status_code == 303, url
        assert response.headers["location"].startswith("/signin?next=")
    # GIVEN a reviewer of the panel THEN each is forbidden, and nothing was exported
    reviewer = await signed_in(client, world.reviewers[0].user.username)
    for url in urls:
        assert (await reviewer.client.get(url)).status_code == 403, url
    await reviewer.open("/panels/mine")
    response = await reviewer.submit(f"{base}/draw", {"seed": "5"})
    assert response.status_code == 403
    assert not await AuditEntry.exists(action="review.export_scores")


async def test_a_staff_form_without_the_csrf_token_is_refused(client: httpx.AsyncClient) -> None:
    world = await build_review(reviewers=3, entries=2)
    staff = await staff_browser(client)
    await staff.open(f"/panels/{world.panel.id}/assignments")
    response = await staff.client.post(f"/panels/{world.panel.id}/draw", data={"seed": "5"})
    assert response.status_code == 403
    assert "请求已过期" in response.text
    assert not await Assignment.exists(panel_id=world.panel.id)


async def test_an_unknown_panel_is_not_found(client: httpx.AsyncClient) -> None:
    await drawn_world()
    staff = await staff_browser(client)
    assert (await staff.client.get("/panels/999999")).status_code == 404


async def test_the_panel_list_is_on_the_staff_workbench_and_reads_in_three_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    world = await drawn_world()
    await service.create_panel(actor=world.staff, data=panel_input(title="第二届微治理大赛评审"))
    staff = await staff_browser(client)
    sql_log.reset()
    _, doc = await staff.open("/panels")
    assert sql_log.count == 3  # the session and its roles, the panels
    assert [a.text for a in doc.find_all("a", class_="task-card__title")] == [
        "第二届微治理大赛评审",
        world.panel.title,
    ]
    # the bureau reaches it from the workbench (the menu has no room left for it) and each round
    _, workbench = await staff.open("/workbench")
    assert workbench.find("main").find("a", href="/panels") is not None
    # AND a reviewer's menu offers their tasks, not the panels
    reviewer = await signed_in(client, world.reviewers[0].user.username)
    _, mine = await reviewer.open("/panels/mine")
    nav = mine.find("nav", id="site-nav")
    assert nav.find_all("a", href="/panels/mine")
    assert not nav.find_all("a", href="/panels")


# --- the overview -------------------------------------------------------------------------------


async def test_the_overview_shows_the_configuration_members_and_kendalls_w(client: httpx.AsyncClient) -> None:
    world = await scored_world()
    staff = await staff_browser(client)
    _, doc = await staff.open(f"/panels/{world.panel.id}")
    assert doc.find("h1").text == world.panel.title
    assert "书面评审" in doc.find(class_="stat--primary").text
    assert "去掉最高最低分后取平均" in doc.text
    assert "匿名评审 否" in doc.text
    assert len(doc.find_all("li", class_="chip")) == 5
    totals = await queries.submitted_totals(world.panel)
    expected = aggregation.concordance(totals).w
    assert expected is not None
    assert doc.find(id="kendall-w").text == f"{expected:.3f}"


# --- the assignment board -----------------------------------------------------------------------


async def test_a_draw_records_its_seed_and_the_same_seed_draws_the_same(client: httpx.AsyncClient) -> None:
    world = await build_review(reviewers=6, entries=4)
    # GIVEN a second panel with the same members and as many entries
    twin = await service.create_panel(actor=world.staff, data=panel_input(title="第四届公益创投复核评审"))
    for reviewer in world.reviewers:
        await service.add_member(
            actor=world.staff, panel_id=twin.id, user_id=reviewer.id, source=MemberSource.POOL
        )
    for n, org in enumerate(world.organisations):
        await service.add_entry(
            actor=world.staff, panel_id=twin.id, subject_id=200 + n, title=f"复核项目{n}", applicant_id=org.id
        )
    await service.freeze_panel(actor=world.staff, panel_id=twin.id)
    staff = await staff_browser(client)
    boards = []
    for panel_id in (world.panel.id, twin.id):
        # WHEN staff draw on each with the seed 20261205
        await staff.open(f"/panels/{panel_id}/assignments")
        response = await staff.submit(f"/panels/{panel_id}/draw", {"seed": "20261205"})
        assert response.status_code == 303
        _, doc = await staff.open(response.headers["location"])
        # THEN the board says so and shows the recorded seed
        assert "已随机抽取评审专家" in doc.text
        assert doc.find(id="seeds").find("code").text == "20261205"
        boards.append(
            [
                [td.text for td in tr.find_all("td")]
                for tr in doc.find(id="board").find("tbody").find_all("tr")
            ]
        )
    # AND both boards mark the same reviewers on the same rows, three per entry
    assert boards[0] == boards[1]
    assert all(sum(1 for cell in row if cell.startswith("草稿")) == 3 for row in boards[0])
    drawn = await Assignment.filter(panel_id=world.panel.id, live=True).values_list("draw_seed", flat=True)
    assert set(drawn) == {20261205}


async def test_a_bad_seed_is_named_and_nothing_is_drawn(client: httpx.AsyncClient) -> None:
    world = await build_review(reviewers=3, entries=2)
    staff = await staff_browser(client)
    url = f"/panels/{world.panel.id}"
    await staff.open(f"{url}/assignments")
    response = await staff.submit(f"{url}/draw", {"seed": "-3"})
    assert response.status_code == 422
    assert parse(response.text).find(id="draw-seed-error").text == "随机种子须为非负整数"
    assert not await Assignment.exists(panel_id=world.panel.id)


async def test_staff_assign_unassign_and_record_a_conflict(client: httpx.AsyncClient) -> None:
    world = await build_review(reviewers=3, entries=2)
    staff = await staff_browser(client)
    url = f"/panels/{world.panel.id}"
    first, second = world.entries
    await staff.open(f"{url}/assignments")
    # WHEN staff assign expert.0 to the first entry
    form = {"entry": str(first.id), "reviewer": str(world.reviewers[0].id)}
    assert (await staff.submit(f"{url}/assign", form)).status_code == 303
    assert await live_pairs(world) == [(0, 0)]
    # AND assign them again THEN the error is beside the reviewer, nothing changed
    response = await staff.submit(f"{url}/assign", form)
    assert response.status_code == 422
    assert parse(response.text).find(id="assign-reviewer-error").text == "该专家已分配评审此项目"
    # WHEN they cancel it without a reason THEN the reason is asked for
    assignment = await assignment_of(world, world.reviewers[0])
    response = await staff.submit(f"{url}/unassign", {"assignment": str(assignment.id), "reason": ""})
    assert parse(response.text).find(id="unassign-reason-error").text.startswith("请填写取消原因")
    # WHEN with a reason THEN it is cancelled and its sheet voided
    response = await staff.submit(f"{url}/unassign", {"assignment": str(assignment.id), "reason": "专家出差"})
    assert response.status_code == 303
    assert await live_pairs(world) == []
    assert (await ScoreSheet.get(assignment_id=assignment.id)).status is SheetStatus.VOIDED
    # AND the reviewer no longer has the task, nor its page
    async with new_client() as other:
        reviewer = await signed_in(other, world.reviewers[0].user.username)
        _, mine = await reviewer.open("/panels/mine")
        assert "演示项目0" not in mine.text
        assert (await reviewer.client.get(f"/panels/assignments/{assignment.id}")).status_code == 404
    # WHEN staff record expert.1's conflict with the second entry
    form = {"entry": str(second.id), "reviewer": str(world.reviewers[1].id), "reason": "SPONSOR", "note": ""}
    assert (await staff.submit(f"{url}/conflicts", form)).status_code == 303
    # THEN the board marks it 回避, and expert.1 can no longer be assigned to it
    _, doc = await staff.open(f"{url}/assignments")
    row = doc.find("tr", data_entry=str(second.id))
    assert row.find("td", data_reviewer=str(world.reviewers[1].id)).text == "回避支持单位关系"
    response = await staff.submit(
        f"{url}/assign", {"entry": str(second.id), "reviewer": str(world.reviewers[1].id)}
    )
    assert "利益冲突" in parse(response.text).find(id="assign-reviewer-error").text
    assert await Conflict.filter(entry_id=second.id).count() == 1


async def test_an_entry_of_another_panel_cannot_be_assigned_from_this_one(client: httpx.AsyncClient) -> None:
    world = await build_review(reviewers=2, entries=1)
    other = await service.create_panel(actor=world.staff, data=panel_input(title="另一个评审组"))
    staff = await staff_browser(client)
    await staff.open(f"/panels/{other.id}/assignments")
    form = {"entry": str(world.entries[0].id), "reviewer": str(world.reviewers[0].id)}
    response = await staff.submit(f"/panels/{other.id}/assign", form)
    assert parse(response.text).find(id="assign-entry-error").text == "请选择项目"
    assert not await Assignment.exists()


# --- the score matrix ---------------------------------------------------------------------------


async def test_the_matrix_shows_every_figure_and_flags_the_outlier_without_dropping_them(
    client: httpx.AsyncClient,
) -> None:
    world = await scored_world()
    staff = await staff_browser(client)
    _, doc = await staff.open(f"/panels/{world.panel.id}/scores")
    first = world.entries[0]
    # THEN the first entry's totals are 90, 80, 90, 80 and 20; by hand, without the highest (90)
    # and the lowest (20): (80 + 80 + 90) / 3 = 83.33, the median 80, the mean 72, the spread 70
    row = doc.find("tr", data_entry=str(first.id))
    assert [row.find("td", data_reviewer=str(r.id)).text for r in world.reviewers] == [
        "90.00",
        "80.00",
        "90.00",
        "80.00",
        "20.00",
    ]
    assert figure_of(doc, first, "trimmed") == "83.33"
    assert figure_of(doc, first, "median") == "80.00"
    assert figure_of(doc, first, "mean") == "72.00"
    assert figure_of(doc, first, "spread") == "70.00"
    assert figure_of(doc, first, "aggregate") == "83.33"
    assert figure_of(doc, first, "reviewers") == "5"
    # AND every entry's figures are the aggregation module's for the same totals
    totals = {
        e.id: {r.id: 10.0 * SCORES[n][m] for n, r in enumerate(world.reviewers)}
        for m, e in enumerate(world.entries)
    }
    result = aggregation.aggregate_panel(totals, world.panel.aggregation_rule)
    ranked = aggregation.rank(result.entries, world.panel.aggregation_rule)
    for place in ranked:
        entry = next(e for e in world.entries if e.id == place.entry.entry_id)
        assert figure_of(doc, entry, "rank") == str(place.rank)
        assert figure_of(doc, entry, "z") == f"{place.entry.z_display:.2f}"
        assert figure_of(doc, entry, "aggregate") == f"{place.aggregate:.2f}"
    ranks = [tr.attrs["data-entry"] for tr in doc.find(id="matrix").find("tbody").find_all("tr")]
    assert ranks == [str(p.entry.entry_id) for p in ranked]
    # AND the outlier is flagged with their rho, still counted (five reviewers on every entry)
    outlier = world.reviewers[4]
    agreement = result.reviewer(outlier.id)
    assert agreement.flagged
    assert agreement.rho is not None
    header = doc.find(id="matrix").find("th", data_reviewer=str(outlier.id))
    assert "flagged" in header.attrs["class"]
    assert f"ρ={agreement.rho:.2f}" in header.text
    flagged_rows = doc.find(id="agreement").find_all("tr", class_="flagged")
    assert [tr.attrs["data-reviewer"] for tr in flagged_rows] == [str(outlier.id)]
    assert "需关注（仍计入）" in flagged_rows[0].text
    assert result.concordance.w is not None
    assert doc.find(id="kendall-w").text == f"{result.concordance.w:.3f}"


async def test_with_fewer_than_five_reviewers_the_median_is_used_and_said(client: httpx.AsyncClient) -> None:
    world = await drawn_world(reviewers=3, entries=1)
    for n, score in enumerate((2, 6, 7)):
        await submit(world, world.reviewers[n], 0, score)
    staff = await staff_browser(client)
    _, doc = await staff.open(f"/panels/{world.panel.id}/scores")
    cell = doc.find("tr", data_entry=str(world.entries[0].id)).find("td", data_figure="aggregate")
    assert cell.text == "60.00不足5人，取中位数"
    assert figure_of(doc, world.entries[0], "trimmed") == "—"


async def test_staff_reopen_a_submitted_sheet_with_a_reason(client: httpx.AsyncClient) -> None:
    world = await drawn_world()
    sheet = await submit(world, world.reviewers[0], 0, 8)
    staff = await staff_browser(client)
    url = f"/panels/{world.panel.id}"
    await staff.open(f"{url}/scores")
    # WHEN staff reopen it without a reason THEN the reason is asked for, the sheet stays submitted
    response = await staff.submit(f"{url}/reopen", {"sheet": str(sheet.id), "reason": ""})
    assert response.status_code == 422
    assert parse(response.text).find(id="reopen-reason-error").text.startswith("请填写退回原因")
    assert (await ScoreSheet.get(id=sheet.id)).status is SheetStatus.SUBMITTED
    # WHEN with a reason THEN it is a draft again, out of the matrix, and the reviewer sees why
    response = await staff.submit(f"{url}/reopen", {"sheet": str(sheet.id), "reason": "评语过于简单"})
    assert response.status_code == 303
    assert (await ScoreSheet.get(id=sheet.id)).status is SheetStatus.DRAFT
    _, doc = await staff.open(response.headers["location"])
    cell = doc.find("tr", data_entry=str(world.entries[0].id)).find(
        "td", data_reviewer=str(world.reviewers[0].id)
    )
    assert cell.text == "草稿"
    reviewer = await signed_in(client, world.reviewers[0].user.username)
    _, page = await reviewer.open(f"/panels/assignments/{sheet.assignment_id}")
    assert "评分表已退回修改：评语过于简单" in page.text


# --- statements ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["", "/assignments", "/scores"])
async def test_the_staff_pages_read_in_a_fixed_number_of_statements(
    client: httpx.AsyncClient, sql_log: SqlLog, page: str
) -> None:
    world = await drawn_world(reviewers=3, entries=2)
    staff = await staff_browser(client)
    url = f"/panels/{world.panel.id}{page}"
    expected = {"": OVERVIEW_STATEMENTS, "/assignments": BOARD_STATEMENTS, "/scores": MATRIX_STATEMENTS}[page]
    counts = []
    for grow in (False, True):
        if grow:
            # more members, entries, submitted sheets and a conflict
            for n in range(3):
                user = await make_user(f"expert.more{n}", Role.REVIEWER)
                await service.add_expert(actor=world.staff, user_id=user.id)
                await service.add_member(
                    actor=world.staff, panel_id=world.panel.id, user_id=user.id, source=MemberSource.POOL
                )
            for n in range(3):
                await service.add_entry(
                    actor=world.staff,
                    panel_id=world.panel.id,
                    subject_id=300 + n,
                    title=f"追加项目{n}",
                    applicant_id=world.organisations[0].id,
                )
            await service.draw_reviewers(actor=world.staff, panel_id=world.panel.id, seed=3)
            await submit(world, world.reviewers[0], 0, 7)
            await submit(world, world.reviewers[1], 0, 5)
        sql_log.reset()
        response, _ = await staff.open(url)
        assert response.status_code == 200
        counts.append(sql_log.count)
    assert counts == [expected, expected]
