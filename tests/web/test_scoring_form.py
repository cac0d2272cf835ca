"""A reviewer's score sheet (`/panels/assignments/{id}`): one criterion a step with a draft saved at
each, errors beside the field with nothing saved, the final step's confirmation, the lock after
submission, others' scores only after one's own, blind mode, and a conflict declaration that makes
the entry disappear from everything the reviewer sees. Both databases."""

from __future__ import annotations

import httpx

from domain.review import service
from domain.review.models import Assignment, ConflictReason, Score, ScoreSheet, SheetStatus
from tests.conftest import SqlLog
from tests.factories_review import ReviewWorld
from tests.web.html import Element, parse
from tests.web.review_pages import assignment_of, drawn_world, submit
from tests.web.session import Browser, signed_in

# the session and its roles, the sheet with its assignment, entry and panel, its scores, the
# applicant's name, and on a funding panel whether the reviewer may read the application's
# attachments and the attachments
SHEET_PAGE_STATEMENTS = 7
# the session and its roles, the assignments across panels, the applicants' names
MINE_PAGE_STATEMENTS = 4


def error_beside(doc: Element, input_id: str) -> str:
    return doc.find(id=f"{input_id}-error").text


async def reviewer_browser(client: httpx.AsyncClient, world: ReviewWorld, n: int = 0) -> Browser:
    return await signed_in(client, world.reviewers[n].user.username)


async def test_a_reviewer_scores_criterion_by_criterion_and_submits(client: httpx.AsyncClient) -> None:
    world = await drawn_world()
    assignment = await assignment_of(world, world.reviewers[0])
    url = f"/panels/assignments/{assignment.id}"
    browser = await reviewer_browser(client, world)
    # GIVEN the reviewer's task list, WHEN they open the entry
    _, mine = await browser.open("/panels/mine")
    assert "演示项目0" in mine.text
    _, doc = await browser.open(url)
    # THEN the first criterion is asked alone, with its weight and range, step 1 of 8
    assert doc.find(class_="sheet-progress__text").text.startswith("第 1/8 步")
    assert doc.find(class_="sheet-step__label").text == "需求分析"
    assert "权重 20 分" in doc.find(class_="sheet-step__weight").text
    score_input = doc.find("input", id="score-input")
    assert (score_input.attrs["min"], score_input.attrs["max"]) == ("0", "10")
    criteria = world.rubric.criteria
    for n, criterion in enumerate(criteria, start=1):
        # WHEN they score it and go on THEN the draft is saved at once and the next step opens
        response = await browser.submit(
            f"{url}/step", {"step": n, "score": 7, "comment": f"{criterion.label}尚可"}
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"{url}?step={n + 1}"
        saved = await Score.get(sheet__assignment_id=assignment.id, key=criterion.key)
        assert (saved.score, saved.comment) == (7, f"{criterion.label}尚可")
        _, doc = await browser.open(response.headers["location"])
    # THEN the final step lists every score and the weighted total
    assert doc.find(class_="sheet-progress__text").text.startswith("第 8/8 步")
    assert "加权总分：70.00" in doc.find(class_="sheet-final__total").text
    # WHEN they submit without confirming THEN nothing is submitted, the overall comment is kept
    response = await browser.submit(f"{url}/submit", {"overall_comment": "整体较好", "action": "submit"})
    assert response.status_code == 422
    assert error_beside(parse(response.text), "confirm-input") == "请确认评分无误后再提交"
    sheet = await ScoreSheet.get(assignment_id=assignment.id)
    assert sheet.status is SheetStatus.DRAFT
    assert sheet.overall_comment == "整体较好"
    # WHEN they confirm THEN the sheet is submitted and shows read-only
    form = {"overall_comment": "整体较好", "action": "submit", "confirm": "1"}
    response = await browser.submit(f"{url}/submit", form)
    assert response.status_code == 303
    assert (await ScoreSheet.get(assignment_id=assignment.id)).status is SheetStatus.SUBMITTED
    _, doc = await browser.open(response.headers["location"])
    assert "评分已提交" in doc.find(class_="alert--success").text
    assert "已提交，不能修改" in doc.find(id="own-heading").text
    assert not doc.find_all("form", action=f"{url}/step")
    _, mine = await browser.open("/panels/mine")
    assert "已提交" in mine.find("li", class_="task-card").text


async def test_an_out_of_range_score_is_named_beside_it_and_nothing_is_saved(
    client: httpx.AsyncClient,
) -> None:
    world = await drawn_world()
    assignment = await assignment_of(world, world.reviewers[0])
    url = f"/panels/assignments/{assignment.id}"
    browser = await reviewer_browser(client, world)
    await browser.open(url)
    await browser.submit(f"{url}/step", {"step": 1, "score": 6, "comment": "原评语"})
    # GIVEN a saved first criterion, WHEN the reviewer changes it to 11 on a 0–10 rubric
    response = await browser.submit(f"{url}/step", {"step": 1, "score": 11, "comment": "改后的评语"})
    # THEN the score's error is beside it, the typed values are kept, the draft is unchanged
    assert response.status_code == 422
    doc = parse(response.text)
    assert error_beside(doc, "score-input") == "分数须在 0–10 之间"
    assert doc.find("input", id="score-input").attrs["value"] == "11"
    assert doc.find("textarea", id="comment-input").text == "改后的评语"
    assert doc.find(class_="sheet-progress__text").text.startswith("第 1/8 步")
    saved = await Score.get(sheet__assignment_id=assignment.id, key="need")
    assert (saved.score, saved.comment) == (6, "原评语")
    # AND a missing or unreadable score is named too, nothing saved
    response = await browser.submit(f"{url}/step", {"step": 2, "score": "八", "comment": "x"})
    assert error_beside(parse(response.text), "score-input") == "请输入整数分数"
    response = await browser.submit(f"{url}/step", {"step": 2, "score": "", "comment": "x"})
    assert error_beside(parse(response.text), "score-input") == "请打分（0–10 分）"
    assert not await Score.exists(sheet__assignment_id=assignment.id, key="design")


async def test_going_back_keeps_the_draft_and_the_overall_comment(client: httpx.AsyncClient) -> None:
    world = await drawn_world()
    assignment = await assignment_of(world, world.reviewers[0])
    url = f"/panels/assignments/{assignment.id}"
    browser = await reviewer_browser(client, world)
    await browser.open(url)
    await browser.submit(f"{url}/submit", {"overall_comment": "先写总体评语", "action": "save"})
    await browser.submit(f"{url}/step", {"step": 1, "score": 9, "comment": "需求明确"})
    # WHEN the reviewer goes back from step 2 without a score
    response = await browser.submit(f"{url}/step", {"step": 2, "score": "", "comment": "", "go": "prev"})
    assert response.headers["location"] == f"{url}?step=1"
    # THEN step 1 shows the saved draft, and the overall comment survived the criterion's save
    _, doc = await browser.open(response.headers["location"])
    assert doc.find("input", id="score-input").attrs["value"] == "9"
    assert doc.find("textarea", id="comment-input").text == "需求明确"
    assert (await ScoreSheet.get(assignment_id=assignment.id)).overall_comment == "先写总体评语"


async def test_submitting_an_incomplete_sheet_names_each_missing_item(client: httpx.AsyncClient) -> None:
    world = await drawn_world()
    assignment = await assignment_of(world, world.reviewers[0])
    url = f"/panels/assignments/{assignment.id}"
    browser = await reviewer_browser(client, world)
    await browser.open(url)
    await browser.submit(f"{url}/step", {"step": 1, "score": 9, "comment": ""})
    # WHEN they submit with one criterion scored without a comment and the rest unscored
    response = await browser.submit(
        f"{url}/submit", {"overall_comment": "", "action": "submit", "confirm": "1"}
    )
    # THEN each is named by its criterion on the final step, and the sheet stays a draft
    assert response.status_code == 422
    doc = parse(response.text)
    items = doc.find_all("li", class_="score-list__item--invalid")
    assert len(items) == len(world.rubric.criteria)
    assert "请填写“需求分析”的评语" in items[0].text
    assert "请为“项目设计”打分" in items[1].text
    assert error_beside(doc, "overall-comment") == "请填写总体评语"
    assert (await ScoreSheet.get(assignment_id=assignment.id)).status is SheetStatus.DRAFT


async def test_a_submitted_sheet_is_locked(client: httpx.AsyncClient) -> None:
    world = await drawn_world()
    await submit(world, world.reviewers[0], 0, 8)
    assignment = await assignment_of(world, world.reviewers[0])
    url = f"/panels/assignments/{assignment.id}"
    browser = await reviewer_browser(client, world)
    await browser.open(url)
    # WHEN the reviewer posts a new score to the submitted sheet
    response = await browser.submit(f"{url}/step", {"step": 1, "score": 2, "comment": "改"})
    # THEN it is refused and the score stays
    assert response.status_code == 422
    assert "评分表已提交，不能再修改" in parse(response.text).find(class_="error-summary").text
    assert (await Score.get(sheet__assignment_id=assignment.id, key="need")).score == 8


async def test_others_scores_appear_only_after_ones_own_submission(client: httpx.AsyncClient) -> None:
    world = await drawn_world()
    await submit(world, world.reviewers[1], 0, 4)
    await submit(world, world.reviewers[2], 0, 6)
    assignment = await assignment_of(world, world.reviewers[0])
    url = f"/panels/assignments/{assignment.id}"
    browser = await reviewer_browser(client, world)
    # GIVEN two others submitted, WHEN the reviewer opens their own draft THEN no other score shows
    _, doc = await browser.open(url)
    assert not doc.find_all(id="others-table")
    assert "60.00" not in doc.text
    # WHEN they submit their own
    await submit(world, world.reviewers[0], 0, 8)
    _, doc = await browser.open(url)
    # THEN all three totals show, the others by number only
    rows = doc.find(id="others-table").find("tbody").find_all("tr")
    assert [r.find("th").text for r in rows] == ["本人", "专家 1", "专家 2"]
    assert sorted(r.find("td", data_figure="total").text for r in rows) == ["40.00", "60.00", "80.00"]
    assert "expert.1" not in doc.text


async def test_blind_mode_hides_the_applicant_from_the_reviewer(client: httpx.AsyncClient) -> None:
    world = await drawn_world(blind=True)
    assignment = await assignment_of(world, world.reviewers[0])
    browser = await reviewer_browser(client, world)
    # WHEN the reviewer of a blind panel opens their tasks and the sheet
    _, mine = await browser.open("/panels/mine")
    _, sheet = await browser.open(f"/panels/assignments/{assignment.id}")
    # THEN no applicant is named anywhere
    for doc in (mine, sheet):
        assert "演示申报机构" not in doc.text
        assert "匿名评审" in doc.text
    # AND staff still see it on the board
    staff = await signed_in(client, "bureau.review")
    _, board = await staff.open(f"/panels/{world.panel.id}/assignments")
    assert "演示申报机构0" in board.text


async def test_an_open_panel_names_the_applicant(client: httpx.AsyncClient) -> None:
    world = await drawn_world()
    assignment = await assignment_of(world, world.reviewers[0])
    browser = await reviewer_browser(client, world)
    _, sheet = await browser.open(f"/panels/assignments/{assignment.id}")
    assert sheet.find(class_="sheet-applicant").text == "申报方：演示申报机构0"


async def test_a_declared_conflict_removes_the_entry_from_everything_the_reviewer_sees(
    client: httpx.AsyncClient,
) -> None:
    world = await drawn_world()
    assignment = await assignment_of(world, world.reviewers[0])
    url = f"/panels/assignments/{assignment.id}"
    browser = await reviewer_browser(client, world)
    await browser.open(url)
    # WHEN the reviewer picks 其他 without explaining THEN the note's error shows, nothing recorded
    response = await browser.submit(f"{url}/conflict", {"reason": "OTHER", "note": ""})
    assert response.status_code == 422
    doc = parse(response.text)
    assert error_beside(doc, "conflict-note") == "选择“其他”时请说明冲突情况"
    assert "open" in doc.find(id="conflict-form").attrs
    assert (await Assignment.get(id=assignment.id)).live
    # WHEN they declare a family tie
    response = await browser.submit(f"{url}/conflict", {"reason": "FAMILY", "note": "申报方负责人为本人亲属"})
    assert response.headers["location"] == "/panels/mine?done=conflict"
    # THEN their task list no longer has the entry, and its direct URL is not found
    _, mine = await browser.open(response.headers["location"])
    assert "已申报利益冲突" in mine.text
    assert "演示项目0" not in mine.text
    assert "演示项目1" in mine.text
    assert (await browser.client.get(url)).status_code == 404
    assert (await browser.submit(f"{url}/step", {"step": 1, "score": 5, "comment": "x"})).status_code == 404
    # AND the staff's matrix marks the reviewer's cell on it 回避, with no score
    staff = await signed_in(client, "bureau.review")
    _, matrix = await staff.open(f"/panels/{world.panel.id}/scores")
    row = matrix.find("tr", data_entry=str(world.entries[0].id))
    assert row.find("td", data_reviewer=str(world.reviewers[0].id)).text == "回避"


async def test_a_conflict_recorded_by_staff_also_hides_the_entry(client: httpx.AsyncClient) -> None:
    world = await drawn_world()
    assignment = await assignment_of(world, world.reviewers[0])
    await service.declare_conflict(
        actor=world.staff,
        entry_id=world.entries[0].id,
        reason=ConflictReason.SAME_ORGANISATION,
        reviewer_id=world.reviewers[0].id,
    )
    browser = await reviewer_browser(client, world)
    _, mine = await browser.open("/panels/mine")
    assert "演示项目0" not in mine.text
    assert (await browser.client.get(f"/panels/assignments/{assignment.id}")).status_code == 404


async def test_another_reviewers_assignment_is_not_found(client: httpx.AsyncClient) -> None:
    world = await drawn_world()
    theirs = await assignment_of(world, world.reviewers[1])
    browser = await reviewer_browser(client, world)
    assert (await browser.client.get(f"/panels/assignments/{theirs.id}")).status_code == 404
    await browser.open("/panels/mine")
    response = await browser.submit(
        f"/panels/assignments/{theirs.id}/step", {"step": 1, "score": 5, "comment": "x"}
    )
    assert response.status_code == 404
    assert not await Score.exists(sheet__assignment_id=theirs.id)


async def test_the_anonymous_are_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    world = await drawn_world()
    assignment = await assignment_of(world, world.reviewers[0])
    for url in ("/panels/mine", f"/panels/assignments/{assignment.id}"):
        response = await client.get(url)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin?next=")


async def test_a_score_without_the_csrf_token_is_refused(client: httpx.AsyncClient) -> None:
    world = await drawn_world()
    assignment = await assignment_of(world, world.reviewers[0])
    browser = await reviewer_browser(client, world)
    await browser.open(f"/panels/assignments/{assignment.id}")
    url = f"/panels/assignments/{assignment.id}/step"
    response = await browser.client.post(url, data={"step": "1", "score": "5", "comment": "x"})
    assert response.status_code == 403
    assert not await Score.exists(sheet__assignment_id=assignment.id)


async def test_the_sheet_and_the_task_list_read_in_a_fixed_number_of_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    world = await drawn_world(entries=4)
    assignment = await assignment_of(world, world.reviewers[0])
    browser = await reviewer_browser(client, world)
    counts = []
    for scored in (0, 1):
        if scored:
            await submit(world, world.reviewers[0], 1, 5)
            await submit(world, world.reviewers[0], 2, 5)
        sql_log.reset()
        _, doc = await browser.open("/panels/mine")
        assert len(doc.find_all("li", class_="task-card")) == 4
        counts.append(sql_log.count)
    assert counts == [MINE_PAGE_STATEMENTS] * 2
    sql_log.reset()
    await browser.open(f"/panels/assignments/{assignment.id}")
    assert sql_log.count == SHEET_PAGE_STATEMENTS
    # once submitted, the entry's submitted sheets: whether the reviewer may see them, the sheets,
    # their scores
    await submit(world, world.reviewers[0], 0, 5)
    await submit(world, world.reviewers[1], 0, 6)
    sql_log.reset()
    _, doc = await browser.open(f"/panels/assignments/{assignment.id}")
    assert len(doc.find(id="others-table").find("tbody").find_all("tr")) == 2
    assert sql_log.count == SHEET_PAGE_STATEMENTS + 3


async def test_a_step_swapped_in_by_htmx_is_the_fragment_with_its_address(client: httpx.AsyncClient) -> None:
    world = await drawn_world()
    assignment = await assignment_of(world, world.reviewers[0])
    url = f"/panels/assignments/{assignment.id}"
    browser = await reviewer_browser(client, world)
    await browser.open(url)
    # WHEN htmx posts an out-of-range score
    headers = {"hx-request": "true"}
    response = await browser.submit(f"{url}/step", {"step": 1, "score": 12, "comment": "x"}, headers=headers)
    # THEN only the page's content comes back, with its title and the step's own address
    assert response.status_code == 422
    assert "<html" not in response.text
    doc = parse(response.text)
    assert doc.find("title").text == "评分：演示项目0 · 邻治"
    assert error_beside(doc, "score-input") == "分数须在 0–10 之间"
    assert response.headers["hx-push-url"] == f"{url}?step=1"
