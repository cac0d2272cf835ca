"""The organiser's application form (`/funding/{round}/apply`, `/funding/applications/{id}/edit`):
drafts in yuan saved as fen, every rule's error at once beside its input with nothing saved, the
live budget check that saves nothing, rows added without saving, the sponsor of a filed
organisation by name, submission and withdrawal; another organisation's organiser refused (403,
nothing changed), anonymous sent to sign in, CSRF required. Both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from domain.access import Role
from domain.accounts.service import SYSTEM, grant_role
from domain.funding.models import Application, ApplicationEvent, AppStatus, BudgetLine, FundingRound
from domain.organisations.models import Organisation
from tests.accounts import make_user
from tests.conftest import SqlLog
from tests.factories import Tree, build_tree
from tests.factories_funding import app_input, filed_org, open_round, organiser, registered_org
from tests.web.html import Element, parse
from tests.web.session import Browser, signed_in

pytestmark = pytest.mark.usefixtures("funding_clerks")


def error_beside(doc: Element, input_id: str) -> str:
    return doc.find(id=f"{input_id}-error").text.strip()


def filled(tree: Tree, org: Organisation, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "organisation": str(org.id),
        "project_name": "银龄互助食堂",
        "target_group": "社区独居老人",
        "problem": "社区独居老人用餐困难，缺少日常照应与邻里联系。",
        "plan": "组织志愿者每周三次送餐上门，并开展邻里互助结对活动。",
        "milestone_title": ["启动", "中期"],
        "milestone_due": ["2027-01-10", "2027-06-30"],
        "cells": [str(tree.community.id)],
        "line_category": ["活动费", "自筹"],
        "line_item": ["邻里互助活动物料", "组织自筹与社区配套"],
        "line_amount": ["30,000", "20000.5"],
        "line_funded_by": ["GRANT", "MATCHING"],
        "requested": "30000.00",
        "op": "save",
    }
    return values | overrides


async def organiser_browser(
    client: httpx.AsyncClient, org: Organisation, username: str = "org.chen"
) -> Browser:
    user = await make_user(username)
    await grant_role(actor=SYSTEM, user_id=user.id, role=Role.ORGANISER, organisation_id=org.id)
    return await signed_in(client, username)


async def setting(client: httpx.AsyncClient) -> tuple[Tree, Organisation, FundingRound, Browser]:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round()
    browser = await organiser_browser(client, org)
    await browser.open(f"/funding/{funding_round.id}/apply")
    return tree, org, funding_round, browser


async def test_an_organiser_saves_a_draft_in_yuan_then_submits_it(client: httpx.AsyncClient) -> None:
    tree, org, funding_round, browser = await setting(client)
    # GIVEN the form WHEN the organiser saves a draft with amounts in yuan
    response = await browser.submit(f"/funding/{funding_round.id}/apply", filled(tree, org))
    # THEN it is saved as fen, a draft of their organisation, and they land on its page
    assert response.status_code == 303
    application = await Application.get()
    assert response.headers["location"] == f"/funding/applications/{application.id}?done=saved"
    assert (application.status, application.organisation_id) == (AppStatus.DRAFT, org.id)
    assert (application.requested_fen, application.budget_total_fen) == (30_000_00, 50_000_50)
    lines = await BudgetLine.filter(application_id=application.id).order_by("position")
    assert [(x.amount_fen, x.funded_by.value) for x in lines] == [
        (30_000_00, "GRANT"),
        (20_000_50, "MATCHING"),
    ]
    _, page = await browser.open(response.headers["location"])
    assert "已保存草稿" in page.text
    assert "50,000.50 元" in page.text
    # WHEN they open the edit form THEN their values are there, in yuan
    _, form = await browser.open(f"/funding/applications/{application.id}/edit")
    assert form.find(id="line-1-amount").attrs["value"] == "20000.50"
    assert form.find(id="app-requested").attrs["value"] == "30000.00"
    # WHEN they submit from the form THEN it is submitted, on the timeline
    url = f"/funding/applications/{application.id}/edit"
    response = await browser.submit(url, filled(tree, org, op="submit", project_name="银龄互助食堂二期"))
    assert response.status_code == 303
    application = await Application.get()
    assert (application.status, application.project_name) == (AppStatus.SUBMITTED, "银龄互助食堂二期")
    _, page = await browser.open(f"/funding/applications/{application.id}")
    assert "草稿 → 已提交" in page.find(class_="funding-timeline").text
    assert "org.chen" in page.find(class_="funding-timeline").text


async def test_every_broken_rule_shows_beside_its_input_at_once_and_nothing_is_saved(
    client: httpx.AsyncClient,
) -> None:
    tree, org, funding_round, browser = await setting(client)
    # GIVEN a round capping projects at 50,000 元, the grant at 60% and matching at least 40%;
    # a form with no project name, a short plan, no cell, a grant line of 60,000 and a matching
    # line of 10,000 (grant 85.7%, matching 14.3%), a request of 55,000 (over the cap and not the
    # grant lines' sum) and a third line whose amount has three decimals
    bad = filled(
        tree,
        org,
        project_name="",
        plan="短",
        cells=[],
        line_category=["活动费", "自筹", "其他"],
        line_item=["物料", "自筹", "杂费"],
        line_amount=["60000", "10000", "12.345"],
        line_funded_by=["GRANT", "MATCHING", "MATCHING"],
        requested="55000",
        op="submit",
    )
    response = await browser.submit(f"/funding/{funding_round.id}/apply", bad)
    # THEN every error is beside its input, all at once, and listed in the summary
    assert response.status_code == 422
    doc = parse(response.text)
    assert error_beside(doc, "app-project-name") == "须为 2–100 个字符"
    assert error_beside(doc, "app-plan") == "须为 10–5000 个字符"
    assert error_beside(doc, "app-cells") == "请选择 1–50 个服务网格"
    requested = error_beside(doc, "app-requested")
    assert "申请金额须等于预算中创投资金各项之和" in requested
    assert "申请金额超过单个项目资助上限" in requested
    budget = error_beside(doc, "budget")
    assert "创投资金不能超过项目总预算的 60%" in budget
    assert "配套资金不少于项目总预算的 40%" in budget
    assert error_beside(doc, "line-2-amount") == "请输入金额（元，最多两位小数）"
    assert "预算第 3 项金额：请输入金额（元，最多两位小数）" in doc.find(class_="error-summary").text
    summary = doc.find(class_="error-summary").text
    assert "项目名称：须为 2–100 个字符" in summary
    assert "未保存" in summary
    # the typed values are kept
    assert doc.find(id="line-0-amount").attrs["value"] == "60000"
    assert doc.find(id="app-requested").attrs["value"] == "55000"
    # AND nothing is saved
    assert await Application.all().count() == 0
    assert await BudgetLine.all().count() == 0


async def test_a_refused_edit_leaves_the_draft_as_it_was(client: httpx.AsyncClient) -> None:
    tree, org, funding_round, browser = await setting(client)
    await browser.submit(f"/funding/{funding_round.id}/apply", filled(tree, org))
    application = await Application.get()
    # GIVEN a saved draft WHEN edited with a request over the cap and a new name
    url = f"/funding/applications/{application.id}/edit"
    await browser.open(url)
    form = filled(tree, org, project_name="改名的项目", line_amount=["90000", "60000"], requested="90000")
    response = await browser.submit(url, form)
    # THEN refused, and the draft keeps its name, request and lines
    assert response.status_code == 422
    assert "申请金额超过单个项目资助上限" in error_beside(parse(response.text), "app-requested")
    again = await Application.get(id=application.id)
    assert (again.project_name, again.requested_fen) == ("银龄互助食堂", 30_000_00)
    amounts = await BudgetLine.filter(application_id=application.id).values_list("amount_fen", flat=True)
    assert sorted(amounts) == [20_000_50, 30_000_00]


async def test_the_live_check_returns_totals_and_errors_and_saves_nothing(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    tree, org, funding_round, browser = await setting(client)
    url = f"/funding/{funding_round.id}/apply/check"
    headers = {"HX-Request": "true", "X-CSRF-Token": browser.token}
    # GIVEN a budget over the cap, over the grant share and short of matching, as typed
    typed = filled(tree, org, line_amount=["60000", "10000"], requested="50000.01")
    sql_log.reset()
    response = await client.post(url, data=typed, headers=headers)
    # THEN the fragment shows the totals and each broken rule, and nothing is written
    assert response.status_code == 200
    assert all(s.split()[0].upper() == "SELECT" for s in sql_log.statements)
    doc = parse(response.text)
    assert doc.find(id="budget-check")
    assert "创投资金合计 60,000.00 元" in doc.text
    assert "配套资金合计 10,000.00 元" in doc.text
    assert "85.7% / 14.3%" in doc.text
    errors = doc.texts("p", class_="field__error")
    assert errors == [
        "申请金额须等于预算中创投资金各项之和；申请金额超过单个项目资助上限",
        "预算：创投资金不能超过项目总预算的 60%；配套资金不少于项目总预算的 40%",
    ]
    assert "<html" not in response.text
    # an amount that does not read is named with its row
    response = await client.post(url, data=filled(tree, org, line_amount=["30000", "abc"]), headers=headers)
    assert "预算第 2 项金额：请输入金额（元，最多两位小数）" in parse(response.text).texts(
        "p", class_="field__error"
    )
    # WHEN the budget holds THEN it says so
    response = await client.post(url, data=filled(tree, org), headers=headers)
    assert "预算符合本轮规则" in response.text
    assert await Application.all().count() == 0
    # AND without the CSRF token it is refused
    response = await client.post(url, data=typed, headers={"HX-Request": "true"})
    assert response.status_code == 403


async def test_adding_and_removing_a_budget_row_redraws_the_form_and_saves_nothing(
    client: httpx.AsyncClient,
) -> None:
    tree, org, funding_round, browser = await setting(client)
    # WHEN the organiser presses 添加一项预算
    response = await browser.submit(f"/funding/{funding_round.id}/apply", filled(tree, org, op="add-line"))
    # THEN the form comes back with a third, blank row and their values, nothing saved
    assert response.status_code == 200
    doc = parse(response.text)
    assert len(doc.find_all(class_="budget-line")) == 3
    assert doc.find(id="line-2-amount").attrs["value"] == ""
    assert doc.find(id="line-1-amount").attrs["value"] == "20000.5"
    # WHEN they remove the first row THEN the matching row is left
    response = await browser.submit(
        f"/funding/{funding_round.id}/apply", filled(tree, org, op="remove-line-0")
    )
    doc = parse(response.text)
    assert len(doc.find_all(class_="budget-line")) == 1
    assert doc.find(id="line-0-item").attrs["value"] == "组织自筹与社区配套"
    assert await Application.all().count() == 0


async def test_a_filed_organisation_needs_a_sponsor_named_to_submit(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    group = await filed_org(tree)
    sponsor = await registered_org(tree, "平湖市社会组织服务中心")
    funding_round = await open_round()
    browser = await organiser_browser(client, group)
    _, doc = await browser.open(f"/funding/{funding_round.id}/apply")
    assert doc.find(id="app-sponsor")
    url = f"/funding/{funding_round.id}/apply"
    # GIVEN a filed community group WHEN it submits without a sponsor, and with an unknown one
    response = await browser.submit(url, filled(tree, group, op="submit"))
    assert response.status_code == 422
    assert "须由登记的社会组织" in error_beside(parse(response.text), "app-sponsor")
    response = await browser.submit(url, filled(tree, group, op="submit", sponsor="不存在的中心"))
    assert error_beside(parse(response.text), "app-sponsor") == "没有找到这个社会组织，请填写其登记的全称"
    # THEN nothing is saved
    assert await Application.all().count() == 0
    # WHEN it names its registered sponsor THEN it is submitted with that sponsor
    response = await browser.submit(url, filled(tree, group, op="submit", sponsor="平湖市社会组织服务中心"))
    assert response.status_code == 303
    application = await Application.get()
    assert (application.status, application.sponsor_id) == (AppStatus.SUBMITTED, sponsor.id)


async def test_withdrawal_needs_a_reason_and_is_on_the_timeline(client: httpx.AsyncClient) -> None:
    tree, org, funding_round, browser = await setting(client)
    await browser.submit(f"/funding/{funding_round.id}/apply", filled(tree, org, op="submit"))
    application = await Application.get()
    _, page = await browser.open(f"/funding/applications/{application.id}")
    assert page.find("form", action=f"/funding/applications/{application.id}/withdraw")
    url = f"/funding/applications/{application.id}/withdraw"
    # WHEN withdrawn without a reason THEN refused beside the reason, nothing changed
    response = await browser.submit(url, {"reason": " "})
    assert response.status_code == 422
    assert error_beside(parse(response.text), "withdraw-reason") == "请填写撤回原因"
    assert (await Application.get()).status is AppStatus.SUBMITTED
    # WHEN with a reason THEN withdrawn, the reason on the timeline
    response = await browser.submit(url, {"reason": "负责人调离，无法实施"})
    assert response.status_code == 303
    assert (await Application.get()).status is AppStatus.WITHDRAWN
    _, page = await browser.open(f"/funding/applications/{application.id}")
    assert "负责人调离，无法实施" in page.find(class_="funding-timeline").text


async def _snapshot() -> tuple[object, ...]:
    return (
        sorted(await Application.all().values_list("id", "status", "project_name", "requested_fen")),
        sorted(await BudgetLine.all().values_list("id", "amount_fen")),
        await ApplicationEvent.all().count(),
    )


async def test_the_organiser_of_another_organisation_is_refused_and_nothing_changes(
    client: httpx.AsyncClient,
) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    other = await registered_org(tree, "平湖市另一家服务中心")
    funding_round = await open_round()
    from domain.funding import applications

    draft = await applications.create_application(
        actor=organiser(org), round_id=funding_round.id, data=app_input(tree, org)
    )
    browser = await organiser_browser(client, other, "other.org")
    await browser.open(f"/funding/{funding_round.id}/apply")
    before = await _snapshot()
    base = f"/funding/applications/{draft.id}"
    # GIVEN an organiser of another organisation WHEN they open, edit, submit or withdraw the draft
    assert (await client.get(f"{base}/edit")).status_code == 403
    assert (await browser.submit(f"{base}/edit", filled(tree, org, project_name="抢来的"))).status_code == 403
    assert (await browser.submit(f"{base}/submit")).status_code == 403
    assert (await browser.submit(f"{base}/withdraw", {"reason": "恶意撤回"})).status_code == 403
    # or apply in its name
    response = await browser.submit(
        f"/funding/{funding_round.id}/apply", filled(tree, org, project_name="冒名")
    )
    assert response.status_code == 403
    # THEN every one is refused and nothing changed; the draft's page does not exist for them
    assert await _snapshot() == before
    assert (await client.get(base)).status_code == 404


async def test_anonymous_is_sent_to_sign_in_and_a_post_needs_the_csrf_token(
    client: httpx.AsyncClient,
) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round()
    url = f"/funding/{funding_round.id}/apply"
    # GIVEN anonymous WHEN opening the form or posting it with a token THEN sign in first
    response = await client.get(url)
    assert (response.status_code, response.headers["location"]) == (303, f"/signin?next={url}")
    browser = Browser(client)
    await browser.open("/signin")
    response = await browser.submit(url, filled(tree, org))
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")
    # GIVEN the organiser WHEN posting without the token THEN refused
    browser = await organiser_browser(client, org)
    response = await client.post(url, data=filled(tree, org))
    assert response.status_code == 403
    assert "请求已过期" in response.text
    assert await Application.all().count() == 0
    # AND a signed-in person who organises nothing is refused the form
    await make_user("resident.lu", Role.RESIDENT, cell=tree.community)
    await signed_in(client, "resident.lu")
    assert (await client.get(url)).status_code == 403


async def test_the_form_reads_in_a_fixed_number_of_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    _, org, funding_round, browser = await setting(client)
    # WHEN the organiser opens the form
    sql_log.reset()
    response, doc = await browser.open(f"/funding/{funding_round.id}/apply")
    # THEN the session and its grants, the round, the organisation, the places and the needs
    assert response.status_code == 200
    assert sql_log.count == 6
    assert doc.find(id="app-project-name")
    assert org.name in doc.text


async def test_an_organiser_of_two_organisations_chooses_which_applies(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    second = await registered_org(tree, "平湖市第二家服务中心")
    funding_round = await open_round()
    user = await make_user("org.chen")
    for one in (org, second):
        await grant_role(actor=SYSTEM, user_id=user.id, role=Role.ORGANISER, organisation_id=one.id)
    browser = await signed_in(client, "org.chen")
    _, doc = await browser.open(f"/funding/{funding_round.id}/apply")
    options = doc.find(id="app-organisation").texts("option")
    assert options == ["请选择", "演示公益服务中心", "平湖市第二家服务中心"]
    # GIVEN an organiser of two organisations WHEN they save without choosing one
    response = await browser.submit(f"/funding/{funding_round.id}/apply", filled(tree, org, organisation=""))
    # THEN they are asked to choose, nothing saved
    assert response.status_code == 422
    assert error_beside(parse(response.text), "app-organisation") == "请选择申报组织"
    assert await Application.all().count() == 0
    # WHEN they choose the second THEN it applies
    response = await browser.submit(
        f"/funding/{funding_round.id}/apply", filled(tree, org, organisation=str(second.id))
    )
    assert response.status_code == 303
    assert (await Application.get()).organisation_id == second.id
