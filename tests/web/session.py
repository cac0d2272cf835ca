"""A browser for page tests: a cookie jar, and the CSRF token read from a page's form, as a user's
browser would submit it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.accounts import PASSWORD
from tests.web.html import Element, parse

BASE_URL = "http://test"


def new_client() -> httpx.AsyncClient:
    """Another browser on the same database (an app instance of its own, as a second worker)."""
    from api.app import create_app
    from api.settings import Settings

    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(Settings.for_tests())), base_url=BASE_URL
    )


def form_token(doc: Element) -> str:
    return doc.find("input", name="csrf_token").attrs["value"]


@dataclass
class Browser:
    client: httpx.AsyncClient
    token: str = ""
    last: httpx.Response | None = None
    """The answer to the last form post."""

    async def open(self, url: str) -> tuple[httpx.Response, Element]:
        """GET a page; remember the CSRF token of its forms, as the next form post will send it."""
        response = await self.client.get(url)
        doc = parse(response.text)
        tokens = doc.find_all("input", name="csrf_token")
        if tokens:
            self.token = tokens[0].attrs["value"]
        return response, doc

    async def submit(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        """POST a form with the page's token."""
        response = await self.client.post(url, data={"csrf_token": self.token, **(data or {})}, **kwargs)
        self.last = response
        return response

    async def sign_in(self, identifier: str, password: str = PASSWORD, next_url: str = "") -> httpx.Response:
        await self.open(f"/signin?next={next_url}" if next_url else "/signin")
        form = {"identifier": identifier, "password": password} | ({"next": next_url} if next_url else {})
        return await self.submit("/signin", form)

    @property
    def session_cookie(self) -> str | None:
        return self.client.cookies.get("linzhi_session")


async def signed_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> Browser:
    browser = Browser(client)
    response = await browser.sign_in(username, password)
    assert response.status_code == 303, response.text
    return browser
