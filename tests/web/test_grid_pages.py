"""The grid browser pages, as a browser (with or without HTMX) receives them."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.errors import (
    DomainError,
    ErrorCode,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    ValidationError,
)
from domain.grids.codes import GridKind
from domain.grids.models import GridCell
from domain.grids.service import create_cell
from tests.conftest import SqlLog
from tests.factories import BUREAU
from tests.web.html import Element, parse
from web.app import exception_handlers

HTMX = {"HX-Request": "true"}
HISTORY_RESTORE = {**HTMX, "HX-History-Restore-Request": "true"}
LIVE_SEARCH = {**HTMX, "HX-Target": "results"}
HOUSEHOLDS_PER_MICRO_GRID = 40
VILLAGE_HOUSEHOLDS = 80
# cell, ancestors, children, subtree counts of the cell and of its children (two path lengths)
CELL_PAGE_STATEMENTS = 5


@dataclass(frozen=True)
class Tree:
    city: GridCell
    town: GridCell
    community: GridCell
    village: GridCell
    grid: GridCell
    micro_grids: list[GridCell]


async def cell(
    kind: GridKind,
    code: str,
    name: str,
    parent: GridCell | None,
    *,
    households: int = 0,
    is_demo: bool = False,
    code_verified: bool = True,
) -> GridCell:
    return await create_cell(
        actor=BUREAU,
        kind=kind,
        code=code,
        name=name,
        parent_id=parent.id if parent else None,
        households=households,
        is_demo=is_demo,
        code_verified=code_verified,
    )


async def add_micro_grids(grid: GridCell, count: int) -> list[GridCell]:
    return [
        await cell(
            GridKind.MICRO_GRID,
            f"{grid.code}{n:02d}",
            f"虹霞路{n}弄",
            grid,
            households=HOUSEHOLDS_PER_MICRO_GRID,
            is_demo=True,
        )
        for n in range(1, count + 1)
    ]


async def build_tree(*, micro_grids: int = 3) -> Tree:
    """平湖市 > 当湖街道 > {南河头社区 > 第1网格 > micro-grids, 胜利村 (no grids yet)}."""
    city = await cell(GridKind.CITY, "330482", "平湖市", None)
    town = await cell(GridKind.TOWN, "330482001", "当湖街道", city)
    community = await cell(GridKind.COMMUNITY, "330482001005", "南河头社区", town)
    village = await cell(
        GridKind.VILLAGE, "330482001201", "胜利村", town, households=VILLAGE_HOUSEHOLDS, is_demo=True
    )
    grid = await cell(GridKind.GRID, "330482001005001", "第1网格", community, is_demo=True)
    return Tree(city, town, community, village, grid, await add_micro_grids(grid, micro_grids))


async def page(client: httpx.AsyncClient, url: str, **headers: str) -> tuple[httpx.Response, Element]:
    response = await client.get(url, headers=headers)
    return response, parse(response.text)


def main_heading(doc: Element) -> str:
    return doc.find("h1").text


def stats(doc: Element) -> dict[str, str]:
    box = doc.find("dl", class_="stats")
    return dict(zip(box.texts("dt"), box.texts("dd"), strict=True))


def table_rows(doc: Element) -> list[list[str]]:
    rows = doc.find("tbody").find_all("tr")
    return [[c.text for c in row.find_all() if c.tag in ("th", "td")] for row in rows]


# ---------- full page and fragment ----------


async def test_a_cell_url_is_a_full_page_and_only_its_panel_for_htmx(client: httpx.AsyncClient) -> None:
    # GIVEN a community
    await build_tree()

    # WHEN a browser opens its URL, and WHEN htmx asks for the same URL
    full, full_doc = await page(client, "/grids/330482001005")
    fragment, fragment_doc = await page(client, "/grids/330482001005", **HTMX)

    # THEN the browser gets the whole page, htmx only the panel
    assert full.status_code == fragment.status_code == 200
    assert full_doc.find("html", lang="zh-CN")
    assert full_doc.find("header", class_="site-header")
    assert "<html" not in fragment.text
    assert not fragment_doc.find_all("header", class_="site-header")
    assert main_heading(fragment_doc) == main_heading(full_doc) == "南河头社区"
    # AND the panel brings the tab's new title and the navigation marked for the new page
    assert fragment_doc.find("title").text == "南河头社区 · 邻治"
    nav = fragment_doc.find("nav", aria_label="主导航")
    assert nav.attrs["hx-swap-oob"] == "true"
    assert nav.find(aria_current="page").text == "网格浏览"
    # AND caches keep the two apart
    for response in (full, fragment):
        assert "HX-Request" in response.headers["vary"]


async def test_a_history_restore_gets_the_full_page(client: httpx.AsyncClient) -> None:
    # GIVEN a community page that htmx must rebuild after "back" (its history cache missed)
    await build_tree()

    # WHEN htmx asks for it as a history restore
    _, doc = await page(client, "/grids/330482001005", **HISTORY_RESTORE)

    # THEN it gets the whole page, not a panel it would put in place of <body>
    assert doc.find("header", class_="site-header")


async def test_links_work_without_javascript_and_htmx_enhances_them(client: httpx.AsyncClient) -> None:
    # GIVEN a town
    tree = await build_tree()

    # WHEN its page is opened
    _, doc = await page(client, f"/grids/{tree.town.code}")

    # THEN every child is an ordinary link, which htmx boosts to swap only the main panel
    body = doc.find("body")
    assert body.attrs["hx-boost"] == "true"
    assert body.attrs["hx-target"] == "#main"
    links = doc.find("main", id="main").find("tbody").find_all("a")
    assert [a.attrs["href"] for a in links] == ["/grids/330482001005", "/grids/330482001201"]


# ---------- what a cell page shows ----------


async def test_breadcrumb_links_every_ancestor(client: httpx.AsyncClient) -> None:
    # GIVEN a micro-grid four levels down
    tree = await build_tree()

    # WHEN its page is opened
    _, doc = await page(client, f"/grids/{tree.micro_grids[0].code}")

    # THEN the breadcrumb leads back up through every ancestor and ends at the page itself
    crumbs = doc.find("nav", aria_label="所在位置")
    assert crumbs.texts("li") == ["平湖市", "当湖街道", "南河头社区", "第1网格", "虹霞路1弄"]
    assert [a.attrs["href"] for a in crumbs.find_all("a")] == [
        "/grids",
        "/grids/330482001",
        "/grids/330482001005",
        "/grids/330482001005001",
    ]
    assert crumbs.find(aria_current="page").text == "虹霞路1弄"


async def test_cell_header_shows_kind_code_households_and_demo_flag(client: httpx.AsyncClient) -> None:
    # GIVEN a demo grid with three micro-grids of 40 households
    tree = await build_tree(micro_grids=3)

    # WHEN its page is opened
    _, doc = await page(client, f"/grids/{tree.grid.code}")

    # THEN its header names it, gives its kind and code, and marks it as demo data
    header = doc.find("header", class_="cell-header")
    assert header.find("h1").text == "第1网格"
    assert "网格" in header.texts(class_="chip")
    assert header.find("code").text == "330482001005001"
    assert header.texts(class_="badge") == ["演示数据"]
    # AND its statistics give the households and the micro-grids below it
    assert stats(doc) == {"户数": "120", "微网格": "3"}


async def test_unverified_and_retired_cells_are_flagged(client: httpx.AsyncClient) -> None:
    # GIVEN a community whose code is unverified, and a retired grid
    tree = await build_tree()
    unverified = await cell(GridKind.COMMUNITY, "330482001199", "启元社区", tree.town, code_verified=False)
    # (no use case retires a cell yet)
    await GridCell.filter(id=tree.grid.id).update(retired=True)

    # WHEN their pages are opened
    _, unverified_doc = await page(client, f"/grids/{unverified.code}")
    _, retired_doc = await page(client, f"/grids/{tree.grid.code}")

    # THEN each says so next to its name
    assert unverified_doc.find("header", class_="cell-header").texts(class_="badge") == ["编码待核实"]
    assert retired_doc.find("header", class_="cell-header").texts(class_="badge") == ["演示数据", "已撤销"]


async def test_town_lists_its_communities_and_villages_with_counts(client: httpx.AsyncClient) -> None:
    # GIVEN a town with a community (one grid, three micro-grids) and a village without grids
    tree = await build_tree(micro_grids=3)

    # WHEN the town's page is opened
    _, doc = await page(client, f"/grids/{tree.town.code}")

    # THEN its stats sum the subtree
    assert stats(doc) == {"户数": "200", "社区": "1", "村": "1", "网格": "1", "微网格": "3"}
    # AND each child shows name, code, kind, grids (its children), micro-grids and households
    assert doc.find("h2", id="children-heading").text == "下辖社区/村 2"
    assert doc.find("thead").texts("th") == ["名称", "编码", "类型", "网格", "微网格", "户数"]
    assert table_rows(doc) == [
        ["南河头社区", "330482001005", "社区", "1", "3", "120"],
        ["胜利村 演示", "330482001201", "村", "0", "0", "80"],
    ]


async def test_grid_browser_lists_the_towns_with_subtree_counts(client: httpx.AsyncClient) -> None:
    # GIVEN the city with one town
    await build_tree(micro_grids=4)

    # WHEN the grid browser is opened
    _, doc = await page(client, "/grids")

    # THEN it shows the city and its towns with their units, grids, micro-grids and households
    assert main_heading(doc) == "平湖市"
    assert doc.find("thead").texts("th") == ["名称", "编码", "类型", "社区/村", "网格", "微网格", "户数"]
    assert table_rows(doc) == [["当湖街道", "330482001", "镇（街道）", "2", "1", "4", "240"]]
    # AND a search form to jump straight to a cell
    assert doc.find("form", role="search").attrs["action"] == "/grids/search"


async def test_large_numbers_are_grouped(client: httpx.AsyncClient) -> None:
    # GIVEN a micro-grid of 1,200 households (over the usual size, but allowed)
    tree = await build_tree(micro_grids=0)
    await cell(GridKind.MICRO_GRID, f"{tree.grid.code}01", "大院", tree.grid, households=1200)

    # WHEN the city's page is opened
    _, doc = await page(client, "/grids")

    # THEN the households read with a thousands separator
    assert stats(doc)["户数"] == "1,280"


async def test_a_micro_grid_says_it_has_no_children(client: httpx.AsyncClient) -> None:
    tree = await build_tree()

    _, doc = await page(client, f"/grids/{tree.micro_grids[0].code}")

    assert not doc.find_all("table")
    assert doc.find("p", class_="empty").text == "微网格是最小的网格单元，没有下级单元。"


async def test_a_cell_without_children_yet_says_so(client: httpx.AsyncClient) -> None:
    tree = await build_tree()

    _, doc = await page(client, f"/grids/{tree.village.code}")

    assert doc.find("p", class_="empty").text == "暂无下辖网格。"


# ---------- home ----------


async def test_home_shows_the_city_and_leads_to_the_grid_browser(client: httpx.AsyncClient) -> None:
    # GIVEN the city
    await build_tree(micro_grids=2)

    # WHEN the home page is opened
    response, doc = await page(client, "/")

    # THEN it sums up the city and links to the grid browser
    assert response.status_code == 200
    assert main_heading(doc) == "平湖市社区网格"
    assert doc.find("p", class_="hero__lead").text.startswith(
        "全市划分为 1 个镇（街道）、2 个社区/村、1 个网格、2 个微网格，共 160 户。"
    )
    assert "/grids" in [a.attrs["href"] for a in doc.find("main").find_all("a")]


async def test_home_without_data_says_how_to_load_it(client: httpx.AsyncClient) -> None:
    # GIVEN an empty database, WHEN the home page and the grid browser are opened
    _, home = await page(client, "/")
    browser = await client.get("/grids")

    # THEN home explains how to load data, and the grid browser sends the user there
    assert main_heading(home) == "尚未导入网格数据"
    assert browser.status_code == 303
    assert browser.headers["location"] == "/"


# ---------- search ----------


async def test_search_by_name_shows_kind_code_and_where_the_cell_lies(client: httpx.AsyncClient) -> None:
    # GIVEN the tree, WHEN searching for part of a community's name
    await build_tree()
    _, doc = await page(client, "/grids/search?q=河头")

    # THEN the community is listed with its kind, code and town
    results = doc.find("div", id="results")
    assert results.find(role="status").text == "找到 1 个与“河头”匹配的网格单元"
    hit = results.find("li", class_="result")
    assert hit.find("a").text == "南河头社区"
    assert hit.find("a").attrs["href"] == "/grids/330482001005"
    assert hit.find(class_="chip").text == "社区"
    assert hit.find("code").text == "330482001005"
    assert hit.find(class_="result__trail").text == "当湖街道"
    # AND the form keeps what was typed
    assert doc.find("input", name="q").attrs["value"] == "河头"


async def test_search_by_code_prefix_lists_the_subtree_in_code_order(client: httpx.AsyncClient) -> None:
    # GIVEN the tree, WHEN searching for the first digits of a grid's code
    await build_tree(micro_grids=2)
    _, doc = await page(client, "/grids/search?q=330482001005")

    # THEN the community (an exact match) comes first, then everything below it
    hits = doc.find("ol", class_="result-list").find_all("li")
    assert [hit.find("code").text for hit in hits] == [
        "330482001005",
        "330482001005001",
        "33048200100500101",
        "33048200100500102",
    ]
    assert hits[2].find(class_="result__trail").text == "当湖街道 › 南河头社区 › 第1网格"


async def test_search_pages_through_long_result_lists(client: httpx.AsyncClient) -> None:
    # GIVEN a grid with 55 micro-grids: 56 cells under its code
    await build_tree(micro_grids=55)

    # WHEN searching its code, THEN the first 50 show with a link to the next page
    _, first = await page(client, "/grids/search?q=330482001005001")
    assert len(first.find("ol", class_="result-list").find_all("li")) == 50
    assert first.find(role="status").text == "找到 56 个与“330482001005001”匹配的网格单元"
    next_link = first.find("nav", aria_label="分页").find("a", class_="pager__next")
    assert next_link.text == "下一页"

    # WHEN following it, THEN the last 6 show, with a way back and no further page
    _, second = await page(client, next_link.attrs["href"])
    codes = second.find("ol", class_="result-list").texts("code")
    assert codes == [f"33048200100500{n}" for n in range(150, 156)]
    pager = second.find("nav", aria_label="分页")
    assert pager.texts("a") == ["回到第一页"]


async def test_an_empty_search_shows_the_form_and_a_hint(client: httpx.AsyncClient) -> None:
    await build_tree()

    response, doc = await page(client, "/grids/search?q=+")

    assert response.status_code == 200
    assert doc.find("label", for_="grid-search").text == "按名称或编码搜索"
    assert doc.find("div", id="results").text == "请输入名称或编码开始搜索。"


async def test_a_search_without_matches_says_so(client: httpx.AsyncClient) -> None:
    await build_tree()

    _, doc = await page(client, "/grids/search?q=不存在的社区")

    assert doc.find(role="status").text == "没有找到与“不存在的社区”匹配的网格单元。"


async def test_live_search_returns_only_the_results(client: httpx.AsyncClient) -> None:
    # GIVEN the tree, WHEN htmx refreshes the results as the user types
    await build_tree()
    response, doc = await page(client, "/grids/search?q=胜利", **LIVE_SEARCH)

    # THEN only the results come back: the form (and the user's cursor in it) stays put
    assert not doc.find_all("form")
    assert doc.find("li", class_="result").find("a").text == "胜利村"
    assert "HX-Request" in response.headers["vary"]


async def test_search_input_updates_results_live(client: httpx.AsyncClient) -> None:
    _, doc = await page(client, "/grids/search")

    field = doc.find("input", id="grid-search")
    assert field.attrs["hx-get"] == "/grids/search"
    assert field.attrs["hx-target"] == "#results"
    assert field.attrs["hx-trigger"] == "input changed delay:300ms"


# ---------- errors ----------


@pytest.mark.parametrize("code", ["330482999", "abc", "3304820010050010101"])
async def test_an_unknown_code_is_a_chinese_404_page(client: httpx.AsyncClient, code: str) -> None:
    # GIVEN the tree, WHEN a code that is not in it (or not a code at all) is opened
    await build_tree()
    response, doc = await page(client, f"/grids/{code}")

    # THEN the page says, in Chinese, that it does not exist
    assert response.status_code == 404
    assert doc.find("html", lang="zh-CN")
    assert main_heading(doc) == "页面不存在"
    assert doc.find("p", class_="error-page__message").text == f"没有编码为 {code} 的网格单元。"


async def test_a_404_in_an_htmx_swap_is_the_panel_alone(client: httpx.AsyncClient) -> None:
    response, doc = await page(client, "/grids/330482999", **HTMX)

    assert response.status_code == 404
    assert not doc.find_all("html")
    assert main_heading(doc) == "页面不存在"


async def test_an_unknown_path_is_a_chinese_404_page(client: httpx.AsyncClient) -> None:
    response, doc = await page(client, "/no-such-page")

    assert response.status_code == 404
    assert main_heading(doc) == "页面不存在"


async def test_a_wrong_method_keeps_its_status_and_allow_header(client: httpx.AsyncClient) -> None:
    response = await client.post("/grids")

    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD"}
    assert main_heading(parse(response.text)) == "无法处理该请求"


async def get_raising(error: Exception) -> httpx.Response:
    """GET a tiny app, with the web error handlers, whose only route raises `error`."""

    async def raising(request: Request) -> Response:
        raise error

    app = Starlette(routes=[Route("/", raising)], exception_handlers=exception_handlers())
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/")


async def test_a_server_error_is_a_chinese_500_page() -> None:
    # GIVEN a route that fails unexpectedly, WHEN it is requested
    response = await get_raising(RuntimeError("boom"))

    # THEN the user sees a Chinese error page, not a traceback
    assert response.status_code == 500
    assert main_heading(parse(response.text)) == "服务器出错了"
    assert "boom" not in response.text


@pytest.mark.parametrize(
    ("error", "status", "heading"),
    [
        (NotFound("没有这个单元。"), 404, "页面不存在"),
        (PermissionDenied("没有修改该网格单元的权限"), 403, "没有访问权限"),
        (Unauthenticated(), 401, "请先登录"),
        (RateLimited(retry_after=30), 429, "请求过于频繁"),
        (ValidationError(ErrorCode.INVALID_NAME, "名称须为 1–100 个字符", ["name"]), 400, "无法处理该请求"),
    ],
)
async def test_a_refused_use_case_is_a_page_in_the_domains_words(
    error: DomainError, status: int, heading: str
) -> None:
    # GIVEN a route whose use case refuses, WHEN it is requested
    response = await get_raising(error)

    # THEN the page has the matching status, and says why in the domain's own message
    doc = parse(response.text)
    assert response.status_code == status
    assert main_heading(doc) == heading
    assert doc.find("p", class_="error-page__message").text == error.message


async def test_a_rate_limited_page_says_when_to_retry() -> None:
    response = await get_raising(RateLimited(retry_after=30))

    assert response.headers["retry-after"] == "30"


# ---------- cost and policy ----------


async def test_a_cell_page_costs_the_same_statements_for_3_or_30_children(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    # GIVEN two grids, with 3 and 30 micro-grids
    tree = await build_tree(micro_grids=3)
    big = await cell(GridKind.GRID, "330482001005002", "第2网格", tree.community)
    await add_micro_grids(big, 30)

    counts = []
    for grid, children in ((tree.grid, 3), (big, 30)):
        # WHEN each grid's page is rendered
        sql_log.reset()
        _, doc = await page(client, f"/grids/{grid.code}")
        counts.append(sql_log.count)
        assert len(table_rows(doc)) == children

    # THEN both take the same, fixed number of SQL statements
    assert counts == [CELL_PAGE_STATEMENTS, CELL_PAGE_STATEMENTS]


async def test_grid_browser_and_search_cost_a_fixed_number_of_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    # GIVEN the tree with 30 micro-grids
    await build_tree(micro_grids=30)

    # WHEN the grid browser is rendered: city, towns, subtree counts of the city and of the towns
    sql_log.reset()
    await client.get("/grids")
    assert sql_log.count == 4

    # WHEN a search lists 32 cells: the page, the total and every ancestor in one batch
    sql_log.reset()
    await client.get("/grids/search?q=330482001005")
    assert sql_log.count == 3


@pytest.mark.parametrize(
    "url", ["/", "/grids", "/grids/330482001", "/grids/330482001005001", "/grids/search?q=南河头", "/grids/0"]
)
async def test_pages_carry_no_inline_script_or_style(client: httpx.AsyncClient, url: str) -> None:
    # GIVEN the tree, WHEN any page is opened
    await build_tree()
    response, doc = await page(client, url)

    # THEN it runs under the strict CSP: scripts only from files, no inline styles
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert all(script.attrs.get("src", "").startswith("/static/") for script in doc.find_all("script"))
    assert not doc.find_all("style")
    assert not doc.find_all(style=True)
