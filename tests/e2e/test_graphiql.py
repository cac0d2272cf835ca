"""GraphiQL works on an intranet: every file comes from Linzhi itself (no CDN), the page runs a
query, and the browser reports no error (CSP violations included)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Request, expect

from tests.conftest import LiveServer
from tests.e2e.conftest import ConsoleErrors

pytestmark = pytest.mark.e2e

VENDOR = Path(__file__).resolve().parents[2] / "web" / "static" / "vendor" / "graphiql-3.8.3"
# The Subresource Integrity values strawberry-graphql pins for the same npm releases.
PINNED = {
    "graphiql.min.js": "HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
    "graphiql.min.css": "Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
    "react-18.2.0.production.min.js": "tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8",
    "react-dom-18.2.0.production.min.js": "bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh",
    "plugin-explorer-1.0.2.umd.js": "2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9",
    "plugin-explorer-1.0.2.css": "5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi",
}


def test_the_vendored_files_are_the_published_releases() -> None:
    for name, pinned in PINNED.items():
        digest = base64.b64encode(hashlib.sha384((VENDOR / name).read_bytes()).digest()).decode()
        assert digest == pinned, name


def test_graphiql_loads_from_linzhi_alone_and_runs_a_query(
    live_server: LiveServer, page: Page, console_errors: ConsoleErrors, screenshots: Path
) -> None:
    hosts: set[str] = set()

    def remember(request: Request) -> None:
        if not request.url.startswith("data:"):
            hosts.add(urlsplit(request.url).netloc)

    page.on("request", remember)

    # WHEN a developer opens /graphql in the browser
    page.goto(f"{live_server.url}/graphql")

    # THEN GraphiQL starts with the example query, in Chinese, and runs it
    expect(page.locator(".graphiql-container")).to_be_visible(timeout=20_000)
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    page.locator(".graphiql-execute-button").click()
    expect(page.locator(".result-window")).to_contain_text("南河头社区", timeout=10_000)
    width = (page.viewport_size or {"width": 0})["width"]
    page.screenshot(path=screenshots / f"graphiql-{width}.png")

    # AND nothing was fetched from anywhere but Linzhi, and the console stayed clean
    assert hosts == {urlsplit(live_server.url).netloc}
    assert console_errors.messages == []
