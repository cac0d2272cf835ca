"""Accounts in Chromium, on the seeded demo: a resident signs in, creates an API token (seen once),
revokes it and signs out; bureau staff look through the users and the audit log. No console
errors (CSP violations included), no sideways scrolling."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from seeds.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, demo_name
from seeds.funding_plan import EXPERTS
from tests.conftest import LiveServer
from tests.e2e.conftest import ConsoleErrors
from tests.e2e.test_grid_journey import shoot
from web.pages.admin import USERS_PAGE_SIZE

pytestmark = pytest.mark.e2e


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/signin")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_sign_in_create_a_token_see_it_once_revoke_it_and_sign_out(
    live_server: LiveServer, page: Page, console_errors: ConsoleErrors, screenshots: Path
) -> None:
    base = live_server.url
    # GIVEN the sign-in page
    page.goto(f"{base}/signin")
    expect(page.locator("main h1")).to_have_text("登录邻治")
    shoot(page, screenshots, "signin")

    # WHEN the demo resident signs in, THEN they land on the workbench, named in the header, and
    # open their account from it
    sign_in(page, base, "demo.resident")
    expect(page).to_have_url(re.compile(r"/workbench$"))
    expect(page.locator("main h1")).to_have_text("工作台")
    page.locator("#site-account").get_by_role("link", name="我的账号").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.locator("main h1")).to_have_text("我的账号")
    expect(page.locator("#site-account .site-account__name")).to_have_text(demo_name("demo.resident"))
    expect(page.locator("#site-account .badge--demo")).to_have_text("演示")
    expect(page.locator("main")).to_contain_text("居民")

    # WHEN they create a token with one write scope
    name = f"看板-{uuid.uuid4().hex[:6]}"
    page.get_by_label("令牌名称").fill(name)
    page.get_by_label(re.compile("write:grids")).check()
    page.get_by_role("button", name="创建令牌").click()

    # THEN the secret is shown once, with the warning, and the token works on the API
    box = page.locator(".secret-box")
    expect(box).to_contain_text("请立即复制，此令牌只显示这一次")
    secret = page.locator("#new-token-secret").inner_text().strip()
    assert secret.startswith("lz_")
    expect(page).to_have_url(re.compile(r"/account$"))
    row = page.locator("tbody tr", has_text=name)
    expect(row).to_contain_text("有效")
    shoot(page, screenshots, "account")
    answer = page.request.post(
        f"{base}/graphql",
        data={"query": "{ viewer { username } }"},
        headers={"authorization": f"Bearer {secret}", "content-type": "application/json"},
    )
    assert answer.json() == {"data": {"viewer": {"username": "demo.resident"}}}

    # AND after a reload it is gone for good
    page.reload()
    expect(page.locator("main h1")).to_have_text("我的账号")
    expect(page.locator(".secret-box")).to_have_count(0)
    assert secret not in page.content()

    # WHEN they revoke it (confirming the dialog), THEN the list says so and the API refuses it
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("tbody tr", has_text=name).get_by_role("button", name=re.compile("撤销")).click()
    expect(page.locator(".alert--success")).to_contain_text("令牌已撤销")
    expect(page.locator("tbody tr", has_text=name)).to_contain_text("已撤销")
    refused = page.request.post(
        f"{base}/graphql",
        data={"query": "{ viewer { username } }"},
        headers={"authorization": f"Bearer {secret}", "content-type": "application/json"},
    )
    assert refused.status == 401

    # WHEN they sign out, THEN the home page offers to sign in again
    page.locator("#site-account").get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#site-account")).to_contain_text("登录")
    page.goto(f"{base}/account")
    expect(page).to_have_url(re.compile(r"/signin\?next=/account$"))

    assert console_errors.messages == []


def test_bureau_staff_look_through_users_and_the_audit_log(
    live_server: LiveServer, page: Page, console_errors: ConsoleErrors, screenshots: Path
) -> None:
    base = live_server.url
    # GIVEN bureau staff signed in, THEN their navigation offers the two staff pages
    sign_in(page, base, "demo.bureau")
    expect(page).to_have_url(re.compile(r"/workbench$"))
    nav = page.get_by_role("navigation", name="主导航")

    # WHEN they open the users page and look for the demo accounts
    nav.get_by_role("link", name="用户管理").click()
    expect(page.locator("main h1")).to_have_text("用户管理")
    page.get_by_label("用户名、姓名或手机号").fill("demo.")
    page.get_by_role("button", name="查找").click()
    expect(page).to_have_url(re.compile(r"/admin/users\?q=demo\.&"))
    # the demo accounts and the funding seed's other eleven demo experts (who cannot sign in)
    demo_users = len(DEMO_ACCOUNTS) + EXPERTS - 1
    expect(page.locator("main tbody tr")).to_have_count(min(demo_users, USERS_PAGE_SIZE))
    shoot(page, screenshots, "admin-users")

    # AND open one of them: roles and the grant form are there, without the roles they may not grant
    page.locator("main tbody").get_by_role("link", name="demo.resident").click()
    expect(page.locator("main h1")).to_have_text(demo_name("demo.resident"))
    expect(page.locator(".role-list")).to_contain_text("居民")
    options = page.locator("#grant-role option").all_inner_texts()
    assert "系统管理员" not in options
    assert "网格员/社区工作者" in options
    shoot(page, screenshots, "admin-user")

    # WHEN they open the audit log and verify the chain
    nav.get_by_role("link", name="审计日志").click()
    expect(page.locator("main h1")).to_have_text("审计日志")
    page.get_by_role("link", name="验证审计链").click()
    expect(page.locator("#chain-status")).to_contain_text(re.compile(r"审计链完整（[\d,]+ 条）"))
    shoot(page, screenshots, "audit")

    # AND filter it to sign-ins: every row is one
    page.get_by_label("操作", exact=True).fill("auth.sign_in")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"action=auth\.sign_in"))
    actions = page.locator("main tbody td[data-label=操作] .audit__action").all_inner_texts()
    assert actions
    assert set(actions) == {"登录"}

    assert console_errors.messages == []
