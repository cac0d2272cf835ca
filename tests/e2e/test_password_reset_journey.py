"""A forgotten password in Chromium, on the seeded demo: bureau staff create an account, reset its
password and read the temporary one (shown once); its holder signs in with it, lands on the page
that sets a new one, finds every other page leads back there, sets it, and works as usual. The
header greets them by name. No console errors, no sideways scrolling."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.conftest import ConsoleErrors
from tests.e2e.test_account_journey import sign_in
from tests.e2e.test_grid_journey import shoot

pytestmark = pytest.mark.e2e

INITIAL = "Xinhua-Road-9"
CHOSEN = "Dangshan-Road-7"


def test_reset_sign_in_with_the_temporary_password_change_it_and_work(
    live_server: LiveServer, page: Page, console_errors: ConsoleErrors, screenshots: Path
) -> None:
    base = live_server.url
    username = f"reset.{uuid.uuid4().hex[:6]}"
    # GIVEN bureau staff who create an account for 沈建华
    sign_in(page, base, "demo.bureau")
    expect(page).to_have_url(re.compile(r"/workbench$"))
    page.goto(f"{base}/admin/users")
    page.locator("summary", has_text="新建用户").click()
    page.locator("#new-name").fill("沈建华")
    page.locator("#new-username").fill(username)
    page.locator("#new-password").fill(INITIAL)
    page.get_by_role("button", name="创建用户").click()
    expect(page.locator("main h1")).to_have_text("沈建华")

    # WHEN they reset its password (confirming the dialog)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="重置密码").click()

    # THEN the temporary password is shown once, with the warning
    expect(page.locator(".secret-box")).to_contain_text("临时密码只显示这一次")
    temporary = page.locator("#temporary-password").inner_text().strip()
    assert re.fullmatch(r"[A-Za-z2-9]{4}-[A-Za-z2-9]{4}-[A-Za-z2-9]{4}", temporary)
    shoot(page, screenshots, "admin-reset")
    page.reload()
    expect(page.locator(".secret-box")).to_have_count(0)
    page.locator("#site-account").get_by_role("button", name="退出").click()
    expect(page.locator("#site-account")).to_contain_text("登录")

    # WHEN the holder signs in with it, THEN they land on the page that sets a new password
    page.goto(f"{base}/signin")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码", exact=True).fill(temporary)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/account/password$"))
    expect(page.locator("main h1")).to_have_text("设置新密码")
    expect(page.locator("#site-account .site-account__name")).to_have_text("沈建华")
    shoot(page, screenshots, "forced-password-change")

    # AND any other page leads back there
    page.goto(f"{base}/workbench")
    expect(page).to_have_url(re.compile(r"/account/password$"))

    # WHEN they set their own password
    page.get_by_label("临时密码").fill(temporary)
    page.get_by_label("新密码", exact=True).fill(CHOSEN)
    page.get_by_label("再次输入新密码").fill(CHOSEN)
    page.get_by_role("button", name="设置新密码").click()

    # THEN they are told so, and the platform works as usual
    expect(page).to_have_url(re.compile(r"/account\?done=password$"))
    expect(page.locator("main")).to_contain_text("密码已修改")
    page.goto(f"{base}/workbench")
    expect(page.locator("main h1")).to_have_text("工作台")
    shoot(page, screenshots, "after-reset-workbench")

    # AND their new password signs them in next time, straight to the workbench
    page.locator("#site-account").get_by_role("button", name="退出").click()
    expect(page.locator("#site-account")).to_contain_text("登录")
    page.goto(f"{base}/signin")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码", exact=True).fill(CHOSEN)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/workbench$"))
    assert console_errors.messages == []
