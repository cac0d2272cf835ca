"""X-Forwarded-For and X-Forwarded-Proto, believed only from the proxies the operator names.

`LINZHI_TRUSTED_PROXIES` lists their addresses or networks (comma-separated IPs/CIDRs; none by
default). When the TCP peer is one of them, the client is the right-most X-Forwarded-For address
that is not itself a trusted proxy — everything to its left was written by the client and may be
anything — and the scheme is the right-most X-Forwarded-Proto value (what the nearest proxy saw).
From any other peer both headers are ignored: the peer is the client, and the scheme is the
connection's own. uvicorn's own proxy-header handling is off (`linzhi serve` passes
`proxy_headers=False`), so this is the only place that decides.

The result is written into the ASGI scope (`client`, `scheme`), so the rate limits, the audit
rows' `ip`, `request.url.scheme` (cookie names and flags, HSTS) and absolute URLs all follow it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(raw: str) -> tuple[Network, ...]:
    """`10.0.0.1, 10.1.0.0/16, ::1` → networks; a bad entry raises ValueError naming it."""
    networks = []
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as error:
            raise ValueError(f"不是 IP 地址或网段：{entry!r}") from error
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    parsed = _address(address)
    return parsed is not None and any(parsed in network for network in trusted)


def forwarded_client(peer: str, forwarded_for: Iterable[str], trusted: Sequence[Network]) -> str:
    """The client address of a request that came from `peer` with these X-Forwarded-For values."""
    if not is_trusted(peer, trusted):
        return peer
    client = peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",")]
    for hop in reversed(hops):
        if _address(hop) is None:
            break  # not an address: no trusted proxy wrote it; keep the last trusted hop
        client = str(_address(hop))
        if not is_trusted(client, trusted):
            break
    return client


class ForwardedHeaders:
    def __init__(self, app: ASGIApp, trusted: Sequence[Network] = ()) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] in {"http", "websocket"} and self.trusted and client:
            peer = str(client[0])
            if is_trusted(peer, self.trusted):
                headers = scope.get("headers", ())
                forwarded = [v.decode("latin-1") for k, v in headers if k == b"x-forwarded-for"]
                scope["client"] = (forwarded_client(peer, forwarded, self.trusted), 0)
                protos = [v.decode("latin-1") for k, v in headers if k == b"x-forwarded-proto"]
                proto = protos[-1].split(",")[-1].strip().lower() if protos else ""
                if proto in {"http", "https"}:
                    scope["scheme"] = (
                        proto if scope["type"] == "http" else {"http": "ws", "https": "wss"}[proto]
                    )
        await self.app(scope, receive, send)
