"""X-Forwarded-For / X-Forwarded-Proto are believed only from LINZHI_TRUSTED_PROXIES: the client
address (audit rows, rate-limit keys) and the scheme (HSTS, `__Host-` cookies) come from them
only when the TCP peer is a configured proxy."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from api.app import create_app
from api.proxies import forwarded_client, parse_networks
from api.settings import ConfigurationError, Settings
from domain.accounts.config import policy
from domain.audit.models import AuditEntry
from tests.web.session import Browser

pytestmark = pytest.mark.usefixtures("db")
Client = Callable[..., httpx.AsyncClient]


@pytest.fixture
def client_from() -> Client:
    """A client whose TCP peer address is `peer`, to an app trusting `trusted` proxies."""

    def make(peer: str, trusted: str = "", scheme: str = "http") -> httpx.AsyncClient:
        settings = Settings.for_tests().with_(trusted_proxies=parse_networks(trusted))
        transport = httpx.ASGITransport(app=create_app(settings), client=(peer, 40000))
        return httpx.AsyncClient(transport=transport, base_url=f"{scheme}://test")

    return make


async def _failed_sign_in_ip(client: httpx.AsyncClient, forwarded_for: str | None) -> str | None:
    """Fail a sign-in and return the ip its audit row recorded."""
    headers = {"x-forwarded-for": forwarded_for} if forwarded_for else {}
    browser = Browser(client)
    await browser.open("/signin")
    response = await browser.submit("/signin", {"identifier": "nobody", "password": "x"}, headers=headers)
    assert response.status_code == 422, response.text
    row = await AuditEntry.filter(action="auth.sign_in_failed").order_by("-seq").first()
    assert row is not None
    return row.ip


async def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(client_from: Client) -> None:
    # GIVEN the default configuration (no trusted proxy), WHEN a client claims another address
    async with client_from("203.0.113.9") as client:
        ip = await _failed_sign_in_ip(client, "198.51.100.7")
    # THEN the audit row records the address it really came from
    assert ip == "203.0.113.9"


async def test_a_peer_outside_the_trusted_list_is_not_believed(client_from: Client) -> None:
    async with client_from("203.0.113.9", trusted="10.0.0.0/8") as client:
        assert await _failed_sign_in_ip(client, "198.51.100.7") == "203.0.113.9"


async def test_from_a_trusted_proxy_the_client_address_is_used(client_from: Client) -> None:
    async with client_from("10.0.0.5", trusted="10.0.0.0/8, 192.0.2.1") as client:
        assert await _failed_sign_in_ip(client, "198.51.100.7") == "198.51.100.7"
        # a client's own X-Forwarded-For is kept to the left by the proxy: the right-most
        # address that is not a trusted proxy is the one the proxy saw
        assert await _failed_sign_in_ip(client, "6.6.6.6, 198.51.100.8, 192.0.2.1") == "198.51.100.8"
        # without the header the proxy itself is the client
        assert await _failed_sign_in_ip(client, None) == "10.0.0.5"


async def test_spoofed_addresses_do_not_escape_the_sign_in_rate_limit(client_from: Client) -> None:
    # GIVEN an attacker that is not a trusted proxy, sending a new X-Forwarded-For each attempt
    limit = policy().sign_in_limit
    async with client_from("203.0.113.9", trusted="10.0.0.0/8") as client:
        browser = Browser(client)
        await browser.open("/signin")
        statuses = []
        for attempt in range(limit + 1):
            headers = {"x-forwarded-for": f"198.51.100.{attempt + 1}"}
            response = await browser.submit(
                "/signin", {"identifier": "nobody", "password": "x"}, headers=headers
            )
            statuses.append(response.status_code)
    # THEN all attempts count against the one real address, and the one over the limit is refused
    assert statuses == [422] * limit + [429]


async def test_clients_behind_a_trusted_proxy_have_their_own_rate_limits(client_from: Client) -> None:
    limit = policy().sign_in_limit
    async with client_from("10.0.0.5", trusted="10.0.0.5") as proxy:
        browser = Browser(proxy)
        await browser.open("/signin")
        form = {"identifier": "nobody", "password": "x"}
        for _ in range(limit):
            await browser.submit("/signin", form, headers={"x-forwarded-for": "198.51.100.1"})
        over = await browser.submit("/signin", form, headers={"x-forwarded-for": "198.51.100.1"})
        other = await browser.submit("/signin", form, headers={"x-forwarded-for": "198.51.100.2"})
    assert (over.status_code, other.status_code) == (429, 422)


async def test_forwarded_proto_counts_only_from_a_trusted_proxy(client_from: Client) -> None:
    proto = {"x-forwarded-proto": "https"}
    async with client_from("10.0.0.5", trusted="10.0.0.5") as proxied:
        trusted = await proxied.get("/signin", headers=proto)
    async with client_from("203.0.113.9", trusted="10.0.0.5") as direct:
        spoofed = await direct.get("/signin", headers=proto)
    # behind the proxy the browser spoke https: HSTS and the `__Host-` cookie
    assert "strict-transport-security" in trusted.headers
    assert trusted.headers["set-cookie"].startswith("__Host-linzhi_csrf=")
    # a direct http client claiming https gets neither (a `__Host-` cookie would need https)
    assert "strict-transport-security" not in spoofed.headers
    assert spoofed.headers["set-cookie"].startswith("linzhi_csrf=")


def test_the_right_most_untrusted_address_wins() -> None:
    trusted = parse_networks("10.0.0.0/8,::1")
    assert forwarded_client("10.0.0.1", ["1.1.1.1, 2.2.2.2"], trusted) == "2.2.2.2"
    assert forwarded_client("10.0.0.1", ["1.1.1.1", "2.2.2.2, 10.9.9.9"], trusted) == "2.2.2.2"
    assert forwarded_client("10.0.0.1", ["not-an-ip, 10.2.2.2"], trusted) == "10.2.2.2"
    assert forwarded_client("10.0.0.1", ["2001:db8::1"], trusted) == "2001:db8::1"
    assert forwarded_client("10.0.0.1", [], trusted) == "10.0.0.1"
    assert forwarded_client("192.0.2.1", ["1.1.1.1"], trusted) == "192.0.2.1"
    assert forwarded_client("::1", ["1.1.1.1"], ()) == "::1"


def test_a_bad_trusted_proxy_entry_stops_the_server_from_starting() -> None:
    with pytest.raises(ConfigurationError, match="not-an-ip"):
        Settings.from_env({"LINZHI_TRUSTED_PROXIES": "10.0.0.1, not-an-ip"})
    parsed = Settings.from_env({"LINZHI_TRUSTED_PROXIES": "10.0.0.1, 10.1.0.0/16"}).trusted_proxies
    assert [str(n) for n in parsed] == ["10.0.0.1/32", "10.1.0.0/16"]
