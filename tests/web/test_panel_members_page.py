"""Staff add members to a review panel on its overview, by the account's exact username: a
reviewer account from the expert pool (put in the pool the first time) or a member of bureau staff.
Every error beside its input at once, nothing changed; non-staff get 403. Both databases."""

from __future__ import annotations

import httpx

from domain.access import Role
from domain.audit.models import AuditEntry
from domain.review import service
from domain.review.models import Expert, MemberSource, PanelMember, PanelStage
from tests.accounts import make_user
from tests.conftest import SqlLog
from tests.factories_review import build_review
from tests.web.html import parse
from tests.web.session import signed_in

# the session and its roles, the panel, its members, the entries' count, the sheets, their scores
OVERVIEW_STATEMENTS = 7


async def _members(panel_id: int) -> list[tuple[int, str]]:
    return sorted(await PanelMember.filter(panel_id=panel_id).values_list("user_id", "source"))


async def test_staff_add_a_pool_expert_and_a_member_of_staff_by_username(client: httpx.AsyncClient) -> None:
    # GIVEN a panel, a reviewer account never in the pool and a second member of staff
    world = await build_review(reviewers=2, entries=1)
    expert = await make_user("expert.new", Role.REVIEWER)
    colleague = await make_user("bureau.colleague", Role.BUREAU_STAFF)
    staff = await signed_in(client, "bureau.review")
    url = f"/panels/{world.panel.id}"
    await staff.open(url)
    # WHEN staff add the reviewer from the pool
    response = await staff.submit(f"{url}/members", {"username": "expert.new", "source": "POOL"})
    # THEN the overview says so and lists them; they are in the pool too
    assert response.status_code == 303
    _, doc = await staff.open(response.headers["location"])
    assert "已添加评审组成员" in doc.text
    assert len(doc.find_all("li", class_="chip")) == 3
    assert await Expert.exists(user_id=expert.id, active=True)
    # WHEN they add their colleague as a member of staff
    response = await staff.submit(f"{url}/members", {"username": "bureau.colleague", "source": "STAFF"})
    assert response.status_code == 303
    # THEN both joined with their source, each audited
    members = await _members(world.panel.id)
    assert (expert.id, "POOL") in members
    assert (colleague.id, "STAFF") in members
    assert await AuditEntry.filter(action="review.add_member").count() == 2 + 2


async def test_every_error_is_named_beside_its_input_and_nothing_changes(client: httpx.AsyncClient) -> None:
    world = await build_review(reviewers=2, entries=1)
    await make_user("resident.plain", Role.RESIDENT)
    staff = await signed_in(client, "bureau.review")
    url = f"/panels/{world.panel.id}"
    await staff.open(url)
    before = await _members(world.panel.id)
    # WHEN the username is blank and the source unknown THEN both are named at once
    response = await staff.submit(f"{url}/members", {"username": " ", "source": "FRIEND"})
    assert response.status_code == 422
    doc = parse(response.text)
    assert doc.find(id="member-username-error").text == "请填写账号用户名"
    assert doc.find(id="member-source-error").text == "请选择成员来源"
    # WHEN the username is unknown (not a prefix search) THEN it says so
    response = await staff.submit(f"{url}/members", {"username": "bureau", "source": "POOL"})
    assert parse(response.text).find(id="member-username-error").text == "没有这个用户名的账号"
    # WHEN a resident is added from the pool, or as staff THEN the domain's refusal is beside the name
    response = await staff.submit(f"{url}/members", {"username": "resident.plain", "source": "POOL"})
    assert parse(response.text).find(id="member-username-error").text == "该账号没有评审专家角色"
    response = await staff.submit(f"{url}/members", {"username": "resident.plain", "source": "STAFF"})
    assert parse(response.text).find(id="member-username-error").text == "该账号不是民政局工作人员"
    # WHEN an existing member is added again THEN it says they already are
    again = {"username": world.reviewers[0].user.username, "source": "POOL"}
    response = await staff.submit(f"{url}/members", again)
    assert parse(response.text).find(id="member-username-error").text == "该账号已在评审组中"
    assert await _members(world.panel.id) == before
    assert not await Expert.exists(user__username="resident.plain")


async def test_a_closed_panel_takes_no_members(client: httpx.AsyncClient) -> None:
    world = await build_review(reviewers=2, entries=1)
    await make_user("expert.late", Role.REVIEWER)
    # GIVEN a panel whose (only, written) review is closed
    assert (
        await service.advance_stage(actor=world.staff, panel_id=world.panel.id)
    ).stage is PanelStage.CLOSED
    staff = await signed_in(client, "bureau.review")
    url = f"/panels/{world.panel.id}"
    _, doc = await staff.open(url)
    assert not doc.find_all(id="member-form")
    response = await staff.submit(f"{url}/members", {"username": "expert.late", "source": "POOL"})
    assert response.status_code == 422
    assert "评审已结束，不能再添加成员" in response.text
    assert not await Expert.exists(user__username="expert.late")


async def test_non_staff_are_refused_and_the_anonymous_sign_in(client: httpx.AsyncClient) -> None:
    world = await build_review(reviewers=2, entries=1)
    await make_user("expert.other", Role.REVIEWER)
    url = f"/panels/{world.panel.id}"
    reviewer = await signed_in(client, world.reviewers[0].user.username)
    await reviewer.open("/panels/mine")
    response = await reviewer.submit(f"{url}/members", {"username": "expert.other", "source": "POOL"})
    assert response.status_code == 403
    assert len(await _members(world.panel.id)) == 2


async def test_the_overview_with_its_form_reads_in_a_fixed_number_of_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    world = await build_review(reviewers=2, entries=1)
    staff = await signed_in(client, "bureau.review")
    counts = []
    for n in range(2):
        if n:
            for k in range(3):
                user = await make_user(f"bureau.more{k}", Role.BUREAU_STAFF)
                await service.add_member(
                    actor=world.staff, panel_id=world.panel.id, user_id=user.id, source=MemberSource.STAFF
                )
        sql_log.reset()
        response, doc = await staff.open(f"/panels/{world.panel.id}")
        assert response.status_code == 200
        assert doc.find(id="member-form") is not None
        counts.append(sql_log.count)
    assert counts == [OVERVIEW_STATEMENTS, OVERVIEW_STATEMENTS]
