"""The server's periodic audit anchor (docs/security.md, "Parallel chains").

Rows written since the newest anchor can be cut from the end of their chain without a trace in
the chain itself. Every `LINZHI_AUDIT_ANCHOR_MINUTES` each worker asks for an anchor
(`domain.audit.anchors.periodic`: written only when some chain has moved since the newest one,
decided under the chains' locks, so several workers write one) and publishes what it got outside
the database: a log line (the service's journal) and, when configured, a line appended to
`LINZHI_AUDIT_ANCHOR_FILE`, the format `linzhi audit verify --anchor FILE` reads."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from domain.audit import anchors

log = logging.getLogger("linzhi.audit")


async def anchor_once(path: Path | None) -> anchors.Anchor | None:
    """One periodic anchor, published; None when nothing moved since the newest anchor."""
    anchor = await anchors.periodic()
    if anchor is None:
        return None
    token = anchor.token()
    log.info("审计锚点 / audit anchor %s", token)
    if path is not None:
        await asyncio.to_thread(_append_line, path, token)
    return anchor


def _append_line(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(line + "\n")


async def anchor_every(seconds: float, path: Path | None) -> None:
    """`anchor_once` every `seconds`, for the server's lifetime; a failure is logged, not fatal
    (the database may be away for a while: the next round tries again)."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await anchor_once(path)
        except Exception:
            log.exception("periodic audit anchor failed")
