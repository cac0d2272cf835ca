"""User administration and the audit log, as bureau staff and administrators use them."""

from __future__ import annotations

import httpx
import pytest

from domain.access import Role
from domain.accounts.models import RoleAssignment, Session, User
from domain.accounts.service import SYSTEM
from domain.audit.models import AuditEntry
from domain.audit.service import record
from domain.organisations import service as org_service
from tests.accounts import make_user
from tests.conftest import SqlLog
from tests.domain.test_organisations import TODAY, filed
from tests.factories import BUREAU, build_tree
from tests.web.html import Element, parse
from tests.web.session import Browser, new_client, signed_in
from web.localtime import SHANGHAI

HTMX = {"HX-Request": "true"}
# session + its roles (authentication), the page of users + their roles
USERS_PAGE_STATEMENTS = 4
# session + its roles (authentication), the page of entries
AUDIT_PAGE_STATEMENTS = 3


def rows(doc: Element) -> list[Element]:
    """The listed rows; none when the page says the list is empty."""
    bodies = doc.find("main").find_all("tbody")
    return bodies[0].find_all("tr") if bodies else []


def usernames(doc: Element) -> list[str]:
    return [row.find("th").find("a").text for row in rows(doc)]


def cell(row: Element, label: str) -> str:
    return row.find("td", data_label=label).text


def main_heading(doc: Element) -> str:
    return doc.find("main").find("h1").text


async def bureau(client: httpx.AsyncClient) -> Browser:
    await make_user("bureau.chen", Role.BUREAU_STAFF, name="陈丽华")
    return await signed_in(client, "bureau.chen")


# ---------- who may open the pages ----------


@pytest.mark.parametrize("url", ["/admin/users", "/admin/audit"])
async def test_anonymous_visitors_are_sent_to_sign_in(client: httpx.AsyncClient, url: str) -> None:
    response = await client.get(url)

    assert response.status_code == 303
    assert response.headers["location"] == f"/signin?next={url}"


@pytest.mark.parametrize("url", ["/admin/users", "/admin/users/1", "/admin/audit", "/admin/audit/verify"])
@pytest.mark.parametrize("role", [Role.RESIDENT, Role.GRID_STAFF, Role.REVIEWER])
async def test_other_roles_get_a_forbidden_page(client: httpx.AsyncClient, url: str, role: Role) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    await make_user("someone", role, cell=tree.town)
    browser = await signed_in(client, "someone")

    response, doc = await browser.open(url)

    assert response.status_code == 403
    assert main_heading(doc) == "没有访问权限"
    assert "用户管理" not in doc.find("nav", id="site-nav").text


@pytest.mark.parametrize("role", [Role.BUREAU_STAFF, Role.ADMIN])
async def test_staff_find_the_pages_in_the_navigation(client: httpx.AsyncClient, role: Role) -> None:
    await make_user("staff", role)
    browser = await signed_in(client, "staff")

    _, doc = await browser.open("/account")

    nav = doc.find("nav", id="site-nav")
    assert nav.find("a", href="/admin/users").text == "用户管理"
    assert nav.find("a", href="/admin/audit").text == "审计日志"


# ---------- the user list ----------


async def test_the_user_list_shows_names_roles_and_masked_mobiles(client: httpx.AsyncClient) -> None:
    # GIVEN grid staff with a mobile number, and a disabled resident
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    await make_user("grid.wang", Role.GRID_STAFF, cell=tree.town, mobile="13812345678", name="王小明")
    resident = await make_user("zhou.min", Role.RESIDENT, name="周敏")
    await User.filter(id=resident.id).update(is_active=False)
    browser = await bureau(client)

    # WHEN bureau staff open the user list
    _, doc = await browser.open("/admin/users")

    # THEN every user is listed, the mobile masked, with roles (and their scope) and status
    assert usernames(doc) == ["grid.wang", "zhou.min", "bureau.chen"]
    wang, zhou, _ = rows(doc)
    assert cell(wang, "姓名") == "王小明"
    assert cell(wang, "手机号") == "138****5678"
    assert cell(wang, "角色") == "网格员/社区工作者 · 当湖街道"
    assert cell(wang, "状态") == "已启用"
    assert cell(zhou, "状态") == "已停用"
    assert "13812345678" not in doc.find("main").text


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("q=grid", ["grid.wang"]),
        ("q=周敏", ["zhou.min"]),
        ("q=13812345678", ["grid.wang"]),
        ("role=RESIDENT", ["zhou.min"]),
        ("q=zhou&role=GRID_STAFF", []),
    ],
)
async def test_the_user_list_finds_by_username_name_mobile_and_role(
    client: httpx.AsyncClient, query: str, found: list[str]
) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    await make_user("grid.wang", Role.GRID_STAFF, cell=tree.town, mobile="13812345678", name="王小明")
    await make_user("zhou.min", Role.RESIDENT, name="周敏")
    browser = await bureau(client)

    _, doc = await browser.open(f"/admin/users?{query}")

    if found:
        assert usernames(doc) == found
    else:
        assert doc.find("main").find("p", class_="empty").text == "没有符合条件的用户。"


async def test_the_user_list_pages_through_many_users(client: httpx.AsyncClient) -> None:
    # GIVEN 30 residents besides the bureau member
    for n in range(30):
        await make_user(f"resident.{n:02d}", Role.RESIDENT)
    browser = await bureau(client)

    # WHEN the first page is opened, THEN it lists 20 and links to the next
    _, first = await browser.open("/admin/users?role=RESIDENT")
    assert usernames(first) == [f"resident.{n:02d}" for n in range(20)]
    next_link = first.find("nav", class_="pager").find("a", class_="pager__next")
    assert next_link.text == "下一页"

    # WHEN following it, THEN the rest follow without repeats, and the filter is kept
    _, second = await browser.open(next_link.attrs["href"])
    assert usernames(second) == [f"resident.{n:02d}" for n in range(20, 30)]
    pager = second.find("nav", class_="pager")
    assert not pager.find_all("a", class_="pager__next")
    assert pager.find("a").attrs["href"] == "/admin/users?role=RESIDENT"


@pytest.mark.parametrize("count", [3, 30])
async def test_the_user_list_costs_the_same_statements_for_3_or_30_users(
    client: httpx.AsyncClient, sql_log: SqlLog, count: int
) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    for n in range(count):
        await make_user(
            f"grid.{n:02d}", Role.GRID_STAFF, Role.RESIDENT, cell=tree.town, mobile=f"138000000{n:02d}"
        )
    browser = await bureau(client)

    sql_log.reset()
    _, doc = await browser.open("/admin/users")

    assert len(rows(doc)) == min(count + 1, 20)
    assert sql_log.count == USERS_PAGE_STATEMENTS


# ---------- creating users ----------


async def test_bureau_staff_create_a_user_and_land_on_their_page(client: httpx.AsyncClient) -> None:
    browser = await bureau(client)
    await browser.open("/admin/users")

    response = await browser.submit(
        "/admin/users",
        {"name": "沈建华", "username": "shen.jh", "mobile": "138 1234 5678", "password": "Xinhua-Road-9"},
    )

    user = await User.get(username="shen.jh").select_related("person")
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/users/{user.id}?done=created"
    assert user.person.mobile == "13812345678"
    _, doc = await browser.open(response.headers["location"])
    assert main_heading(doc) == "沈建华"
    assert doc.find(class_="page-header__lead").text.startswith("用户名 shen.jh")
    assert doc.find(class_="alert--success").text.startswith("用户已创建")
    assert doc.find("main").find("dl").find_all("dd")[2].text == "138****5678"
    # AND the new user can sign in with the initial password
    async with new_client() as theirs:
        assert (await Browser(theirs).sign_in("shen.jh", "Xinhua-Road-9")).status_code == 303


async def test_a_new_user_form_error_keeps_the_input_and_creates_nothing(client: httpx.AsyncClient) -> None:
    await make_user("shen.jh")
    browser = await bureau(client)
    await browser.open("/admin/users")

    response = await browser.submit(
        "/admin/users", {"name": "沈建华", "username": "shen.jh", "mobile": "", "password": "Xinhua-Road-9"}
    )

    doc = parse(response.text)
    assert response.status_code == 422
    assert doc.find(id="new-username-error").text == "用户名已被使用"
    assert doc.find("input", id="new-name").attrs["value"] == "沈建华"
    assert "value" not in doc.find("input", id="new-password").attrs
    assert "open" in doc.find("details").attrs
    assert await User.filter(username="shen.jh").count() == 1


# ---------- one user: enable, disable, roles ----------


async def test_disabling_a_user_ends_their_sessions_and_enabling_lets_them_back(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a resident signed in on their phone
    resident = await make_user("zhou.min", Role.RESIDENT)
    async with new_client() as phone:
        await signed_in(phone, "zhou.min")
        browser = await bureau(client)

        # WHEN bureau staff disable the account (the button asks for confirmation first)
        _, doc = await browser.open(f"/admin/users/{resident.id}")
        form = doc.find("form", action=f"/admin/users/{resident.id}/active")
        assert "停用" in form.attrs["hx-confirm"]
        response = await browser.submit(form.attrs["action"], {"active": "0"})

        # THEN the page says so, and the phone is signed out
        _, doc = await browser.open(response.headers["location"])
        assert doc.find(class_="alert--success").text == "账号已停用，其所有登录已退出。"
        assert doc.find("header", class_="page-header").find(class_="status").text == "已停用"
        assert (await phone.get("/account")).status_code == 303
        assert await Session.filter(user_id=resident.id, revoked_at__isnull=True).count() == 0
        refused = await Browser(phone).sign_in("zhou.min")
        assert refused.status_code == 422

        # WHEN they enable it again, THEN the resident can sign in
        await browser.submit(f"/admin/users/{resident.id}/active", {"active": "1"})
        assert (await Browser(phone).sign_in("zhou.min")).status_code == 303


async def test_staff_cannot_disable_themselves(client: httpx.AsyncClient) -> None:
    browser = await bureau(client)
    me = await User.get(username="bureau.chen")

    _, doc = await browser.open(f"/admin/users/{me.id}")
    assert not doc.find_all("form", action=f"/admin/users/{me.id}/active")
    response = await browser.submit(f"/admin/users/{me.id}/active", {"active": "0"})

    assert response.status_code == 422
    assert parse(response.text).find(class_="alert--error").text == "不能停用自己的账号"
    assert (await User.get(id=me.id)).is_active


async def test_granting_grid_staff_for_a_town_and_revoking_it(client: httpx.AsyncClient) -> None:
    # GIVEN a resident and the grid tree
    await build_tree(grids=1, micro_grids_per_grid=0)
    resident = await make_user("zhou.min", Role.RESIDENT)
    browser = await bureau(client)
    await browser.open(f"/admin/users/{resident.id}")

    # WHEN bureau staff grant grid staff over 当湖街道 by its code
    response = await browser.submit(
        f"/admin/users/{resident.id}/roles", {"role": "GRID_STAFF", "cell": "330482001", "organisation": ""}
    )

    # THEN the role is listed with its scope, and the grant is audited
    _, doc = await browser.open(response.headers["location"])
    roles = doc.find("ul", class_="role-list").find_all("li")
    assert [li.find(class_="role-list__what").text.split(" 授予于")[0] for li in roles] == [
        "居民 （此角色不按范围限定）",
        "网格员/社区工作者 当湖街道 330482001",
    ]
    granted = await AuditEntry.filter(action="role.grant").order_by("-seq").first()
    assert granted is not None
    assert granted.summary["cell"] == "330482001"

    # WHEN they revoke it, THEN only the resident role is left
    revoke = roles[1].find("form")
    response = await browser.submit(revoke.attrs["action"])
    _, doc = await browser.open(response.headers["location"])
    assert doc.find(class_="alert--success").text == "角色已撤销。"
    assert len(doc.find("ul", class_="role-list").find_all("li")) == 1


@pytest.mark.parametrize(
    ("form", "input_id", "message"),
    [
        ({"role": "GRID_STAFF", "cell": ""}, "grant-cell", "网格员角色必须限定到一个网格范围"),
        ({"role": "GRID_STAFF", "cell": "330482999"}, "grant-cell", "没有编码为 330482999 的网格单元"),
        ({"role": "", "cell": ""}, "grant-role", "请选择角色"),
        (
            {"role": "ORGANISER", "organisation": "第一"},
            "grant-organisation",
            "名录中没有名称、统一社会信用代码或备案编号为“第一”的在册组织",
        ),
    ],
)
async def test_a_grant_form_error_is_shown_beside_its_input(
    client: httpx.AsyncClient, form: dict[str, str], input_id: str, message: str
) -> None:
    await build_tree(grids=1, micro_grids_per_grid=0)
    resident = await make_user("zhou.min")
    browser = await bureau(client)
    await browser.open(f"/admin/users/{resident.id}")

    response = await browser.submit(f"/admin/users/{resident.id}/roles", form)

    doc = parse(response.text)
    assert response.status_code == 422
    assert doc.find(id=f"{input_id}-error").text == message
    assert doc.find("input", id="grant-cell").attrs["value"] == form.get("cell", "")
    assert await RoleAssignment.filter(user_id=resident.id).count() == 0


async def test_bureau_staff_cannot_grant_or_revoke_the_administrative_roles(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN an administrator and a resident
    admin = await make_user("admin.li", Role.ADMIN)
    resident = await make_user("zhou.min")
    browser = await bureau(client)

    # THEN the grant form does not offer ADMIN or BUREAU_STAFF, and ADMIN has no revoke button
    _, doc = await browser.open(f"/admin/users/{resident.id}")
    offered = [option.attrs["value"] for option in doc.find("select", id="grant-role").find_all("option")]
    assert offered == ["", "RESIDENT", "MICRO_LEADER", "ORGANISER", "GRID_STAFF", "REVIEWER"]
    _, doc = await browser.open(f"/admin/users/{admin.id}")
    assert not doc.find("ul", class_="role-list").find_all("form")

    # WHEN they forge the posts anyway
    before = (await RoleAssignment.filter(revoked_at__isnull=True).count(), await AuditEntry.all().count())
    granted = await browser.submit(f"/admin/users/{resident.id}/roles", {"role": "ADMIN", "cell": ""})
    assignment = await RoleAssignment.get(user_id=admin.id)
    revoked = await browser.submit(f"/admin/roles/{assignment.id}/revoke")

    # THEN both are refused, and nothing changed
    assert granted.status_code == revoked.status_code == 403
    assert (
        parse(granted.text).find("p", class_="error-page__message").text == "您不能授予或撤销“系统管理员”角色"
    )
    after = (await RoleAssignment.filter(revoked_at__isnull=True).count(), await AuditEntry.all().count())
    assert after == before


async def test_administrators_may_grant_bureau_staff(client: httpx.AsyncClient) -> None:
    resident = await make_user("zhou.min")
    await make_user("admin.li", Role.ADMIN)
    browser = await signed_in(client, "admin.li")

    _, doc = await browser.open(f"/admin/users/{resident.id}")
    response = await browser.submit(f"/admin/users/{resident.id}/roles", {"role": "BUREAU_STAFF"})

    assert "BUREAU_STAFF" in [
        o.attrs["value"] for o in doc.find("select", id="grant-role").find_all("option")
    ]
    assert response.status_code == 303
    assert await RoleAssignment.filter(user_id=resident.id, role=Role.BUREAU_STAFF).exists()


# ---------- the audit log ----------


async def audit_actions(browser: Browser, query: str = "") -> list[str]:
    _, doc = await browser.open(f"/admin/audit{query}")
    return [row.find("td", data_label="操作").find("code").text for row in rows(doc)]


async def test_the_audit_log_lists_newest_first_in_words(client: httpx.AsyncClient) -> None:
    # GIVEN a user created and granted a role from the command line, then bureau staff signed in
    await make_user("zhou.min", Role.RESIDENT)
    browser = await bureau(client)

    # WHEN the audit page is opened
    _, doc = await browser.open("/admin/audit")

    # THEN the newest entry comes first, with its time, actor, action in words, object and source
    first, *_, last = rows(doc)
    assert cell(first, "操作") == "登录 auth.sign_in"
    assert cell(first, "操作人") == "bureau.chen"
    assert cell(first, "来源").startswith("127.0.0.1")
    assert cell(last, "操作") == "新建用户 user.create"
    assert cell(last, "操作人") == "命令行"
    assert cell(last, "摘要") == "应用账号: 否，用户名: zhou.min"
    assert cell(last, "对象").startswith("用户 #")
    assert len(cell(first, "时间").split(" #")[0]) == len("2026-03-01 09:05:07")


async def test_the_audit_log_filters_by_action_actor_object_and_date(client: httpx.AsyncClient) -> None:
    # GIVEN sign-ins, a failed one, and accounts created from the command line
    zhou = await make_user("zhou.min", Role.RESIDENT)
    browser = await bureau(client)
    async with new_client() as other:
        await Browser(other).sign_in("zhou.min", "Wrong-pass-1")
        await signed_in(other, "zhou.min")

    # THEN each filter keeps only its entries
    assert await audit_actions(browser, "?action=auth.sign_in") == ["auth.sign_in", "auth.sign_in"]
    assert await audit_actions(browser, "?actor=zhou.min") == ["auth.sign_in"]
    assert await audit_actions(browser, "?actor=命令行") == [
        "role.grant",
        "user.create",
        "role.grant",
        "user.create",
    ]
    assert await audit_actions(browser, f"?object_type=User&object_id={zhou.id}&action=role.grant") == [
        "role.grant"
    ]
    assert await audit_actions(browser, "?actor=nobody") == []
    latest = await AuditEntry.all().order_by("-seq").first()
    assert latest is not None
    day = latest.at.astimezone(SHANGHAI).date().isoformat()
    assert len(await audit_actions(browser, f"?since={day}&until={day}")) == await AuditEntry.all().count()
    assert await audit_actions(browser, "?until=2000-01-01") == []


@pytest.mark.parametrize("query", ["since=2026-13-45", "since=0001-01-01", "until=9999-12-31"])
async def test_a_malformed_date_is_explained_and_left_out(client: httpx.AsyncClient, query: str) -> None:
    browser = await bureau(client)

    response, doc = await browser.open(f"/admin/audit?{query}")

    name = query.split("=")[0]
    assert response.status_code == 200
    assert doc.find(id=f"audit-{name}-error").text == "请按 年-月-日 填写日期，如 2026-03-01"
    assert rows(doc)


async def test_audit_pages_stay_put_while_new_entries_arrive(client: httpx.AsyncClient) -> None:
    # GIVEN 70 grid updates (more than one page of 50)
    for n in range(70):
        await record(SYSTEM, "grid.update", "GridCell", n, name=f"第{n}网格")
    browser = await bureau(client)
    _, first = await browser.open("/admin/audit?action=grid.update")
    assert [cell(r, "摘要") for r in rows(first)][:2] == ["名称: 第69网格", "名称: 第68网格"]
    next_href = first.find("a", class_="pager__next").attrs["href"]

    # WHEN more entries are written before the next page is opened
    for n in range(70, 75):
        await record(SYSTEM, "grid.update", "GridCell", n, name=f"第{n}网格")

    # THEN the next page continues exactly where the first stopped
    _, second = await browser.open(next_href)
    assert [cell(r, "摘要") for r in rows(second)] == [f"名称: 第{n}网格" for n in range(19, -1, -1)]
    assert not second.find_all("a", class_="pager__next")
    assert second.find("nav", class_="pager").find("a").text == "回到最新"


@pytest.mark.parametrize("count", [3, 30])
async def test_the_audit_page_costs_the_same_statements_for_3_or_30_entries(
    client: httpx.AsyncClient, sql_log: SqlLog, count: int
) -> None:
    browser = await bureau(client)
    for n in range(count):
        await record(SYSTEM, "grid.update", "GridCell", n, name=f"第{n}网格")

    sql_log.reset()
    _, doc = await browser.open("/admin/audit?action=grid.update&before=100000")
    assert len(rows(doc)) == count
    assert sql_log.count == AUDIT_PAGE_STATEMENTS

    # AND naming an actor adds one statement (the username's id), whatever the page holds
    sql_log.reset()
    await browser.open("/admin/audit?actor=bureau.chen")
    assert sql_log.count == AUDIT_PAGE_STATEMENTS + 1


async def test_verifying_the_chain_reports_it_intact_and_then_the_edited_row(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN an audit log, WHEN the verify button asks (htmx)
    await make_user("zhou.min", Role.RESIDENT)
    browser = await bureau(client)
    await browser.open("/admin/audit")
    response = await client.get("/admin/audit/verify", headers=HTMX)

    # THEN the verdict comes back alone, counting every entry
    total = await AuditEntry.all().count()
    assert parse(response.text).text == f"✓ 审计链完整（{total} 条）"

    # WHEN someone edits a row in the database, THEN the verdict names it
    # (the second row verification walks: chain by chain, each in order)
    edited = await AuditEntry.all().order_by("chain", "chain_seq").offset(1).first()
    assert edited is not None
    await AuditEntry.filter(id=edited.id).update(summary={"role": "ADMIN"})
    response = await client.get("/admin/audit/verify", headers=HTMX)
    assert (
        parse(response.text).text
        == f"✗ 审计链断裂：第 {edited.seq} 条记录，记录内容与哈希不符（被修改）（此前 1 条完好）"
    )

    # AND without JavaScript the link opens the audit page with the verdict in place
    _, doc = await browser.open("/admin/audit/verify")
    assert main_heading(doc) == "审计日志"
    assert f"审计链断裂：第 {edited.seq} 条记录" in doc.find(id="chain-status").text


@pytest.mark.parametrize(
    "url",
    [
        "/admin/users/99999999999/active",
        "/admin/roles/99999999999/revoke",
        "/account/tokens/99999999999/revoke",
    ],
)
async def test_an_id_too_long_for_the_database_is_not_found(client: httpx.AsyncClient, url: str) -> None:
    browser = await bureau(client)
    await browser.open("/admin/users")

    opened, _ = await browser.open("/admin/users/99999999999")
    posted = await browser.submit(url, {"active": "0"})

    assert opened.status_code == posted.status_code == 404


async def test_every_object_type_is_offered_in_the_filter_with_its_chinese_name(
    client: httpx.AsyncClient,
) -> None:
    from domain.audit.labels import OBJECT_TYPES

    browser = await bureau(client)
    _, doc = await browser.open("/admin/audit")

    offered = doc.find(id="audit-object-type").find_all("option")
    assert [o.text for o in offered][1:] == list(OBJECT_TYPES.values())
    assert "微领袖" in [o.text for o in offered]
    assert "活动记录" in [o.text for o in offered]


async def test_summaries_speak_chinese_with_role_names_and_beijing_time(client: httpx.AsyncClient) -> None:
    # GIVEN a role grant and a record whose summary holds a UTC time (as the services store them)
    from datetime import UTC, datetime

    from domain.access import Actor

    await record(
        Actor(display_name="命令行", system=True),
        "role.grant",
        "User",
        7,
        role="GRID_STAFF",
        until=datetime(2026, 3, 1, 1, 5, 7, tzinfo=UTC),
    )
    browser = await bureau(client)

    # WHEN bureau staff read the audit log
    _, doc = await browser.open("/admin/audit?action=role.grant")

    # THEN keys and the role are in words, and 01:05 UTC reads as 09:05 Beijing time
    oldest = rows(doc)[-1]
    assert cell(oldest, "摘要") == "角色: 网格员/社区工作者，截止: 2026-03-01 09:05:07"


async def test_an_organiser_is_granted_for_an_organisation_picked_by_name(client: httpx.AsyncClient) -> None:
    # GIVEN a filed organisation and a resident
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await org_service.create_organisation(actor=BUREAU, data=filed(tree, "演示睦邻互助队"), today=TODAY)
    resident = await make_user("zhou.min")
    browser = await bureau(client)
    await browser.open(f"/admin/users/{resident.id}")

    # WHEN the administrator types part of its name, THEN the form suggests it
    _, options = await browser.open("/admin/organisations/options?organisation=睦邻")
    assert [o.attrs["value"] for o in options.find_all("option")] == ["演示睦邻互助队"]

    # WHEN they grant the organiser role for it by name
    response = await browser.submit(
        f"/admin/users/{resident.id}/roles",
        {"role": "ORGANISER", "cell": "", "organisation": "演示睦邻互助队"},
    )

    # THEN the grant is scoped to that organisation, shown by name with a link, and audited by name
    _, doc = await browser.open(response.headers["location"])
    grant = await RoleAssignment.get(user_id=resident.id, role=Role.ORGANISER)
    assert grant.organisation_id == org.id
    link = doc.find("ul", class_="role-list").find("a", href=f"/organisations/{org.id}")
    assert link is not None
    assert link.text == "演示睦邻互助队"
    granted = await AuditEntry.filter(action="role.grant").order_by("-seq").first()
    assert granted is not None
    assert granted.summary["organisation"] == "演示睦邻互助队"


async def test_only_an_organiser_is_scoped_to_an_organisation_on_the_register(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN an organisation on the register and one deregistered
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    await org_service.create_organisation(actor=BUREAU, data=filed(tree, "演示睦邻互助队"), today=TODAY)
    gone = await org_service.create_organisation(
        actor=BUREAU, data=filed(tree, "演示已散互助队", filing_number="YS-GONE-1"), today=TODAY
    )
    await org_service.deregister(actor=BUREAU, organisation_id=gone.id, on=TODAY, reason="解散", today=TODAY)
    resident = await make_user("zhou.min")
    browser = await bureau(client)
    await browser.open(f"/admin/users/{resident.id}")
    cases = [
        ({"role": "REVIEWER", "organisation": "演示睦邻互助队"}, "只有组织者角色可以限定到社会组织"),
        (
            {"role": "ORGANISER", "organisation": "演示已散互助队"},
            "名录中没有名称、统一社会信用代码或备案编号为“演示已散互助队”的在册组织",
        ),
    ]
    for form, message in cases:
        # WHEN the grant is attempted, THEN the form says why beside the organisation and grants nothing
        response = await browser.submit(f"/admin/users/{resident.id}/roles", {"cell": "", **form})
        assert response.status_code == 422
        assert parse(response.text).find(id="grant-organisation-error").text == message
    assert await RoleAssignment.filter(user_id=resident.id).count() == 0


async def test_the_organisation_suggestions_are_for_administrators_only(client: httpx.AsyncClient) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    await org_service.create_organisation(actor=BUREAU, data=filed(tree, "演示睦邻互助队"), today=TODAY)
    await make_user("resident.wu")
    browser = await signed_in(client, "resident.wu")
    response, _ = await browser.open("/admin/organisations/options?organisation=睦邻")
    assert response.status_code == 403
    assert "演示睦邻互助队" not in response.text


async def test_an_anchor_row_reads_as_what_it_pins(client: httpx.AsyncClient) -> None:
    # GIVEN three changes to two objects (two chains) and the anchor the server writes
    from domain.access import Actor
    from domain.audit.anchors import periodic

    clerk = Actor(display_name="li.clerk")
    for object_id in (1, 1, 2):
        await record(clerk, "grid.update", "GridCell", object_id, name="改名")
    assert await periodic() is not None
    browser = await bureau(client)

    # WHEN bureau staff read the audit log
    _, doc = await browser.open("/admin/audit?action=audit.anchor")

    # THEN the anchor says how many chains and records it pins, not its hashes
    [anchor] = rows(doc)
    assert cell(anchor, "摘要") == "锚定 2 条分链的链头，共 3 条记录"
