"""Check-in codes: generation, comparison, the brake on guessing, and the QR of the check-in URL.

A code is 6 random digits, valid for minutes. Guessing is braked per leader and per code: after
`MAX_ATTEMPTS` code attempts with one code, that leader's further attempts at that session are
refused until the facilitator opens a new code. The counter lives in the shared `rate_counter`
table (through `domain.ratelimit`), so it holds across worker processes. The counter belongs to
the open code: its key carries the code's expiry instant, and its window is pinned to that instant
(a one-second window with `now` set to the expiry), so the count neither resets halfway through
the open period, as a clock-aligned window would, nor carries over to the next code; housekeeping
may purge it once the code has expired.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import segno

from domain import ratelimit
from domain.errors import DomainError, RateLimited
from domain.leaders.errors import LeaderCode

CODE_DIGITS = 6
MAX_ATTEMPTS = 5


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_matches(given: str, expected: str) -> bool:
    """Constant-time comparison; spaces a phone keyboard adds are ignored."""
    return secrets.compare_digest("".join(given.split()).encode(), expected.encode())


async def count_attempt(session_id: int, leader_id: int, code_until: datetime) -> None:
    """Count one code attempt; refuse it once this leader has used up the attempts for this code.

    Runs outside the caller's transaction on purpose: a wrong code rolls the check-in back, and
    the count must stay."""
    try:
        await ratelimit.hit(
            f"check-in:{session_id}:{leader_id}:{code_until.timestamp():.6f}",
            limit=MAX_ATTEMPTS,
            window_seconds=1,
            now=code_until.timestamp(),
        )
    except RateLimited as exc:
        raise DomainError(
            LeaderCode.TOO_MANY_ATTEMPTS, "签到码错误次数过多，请主持人重新生成签到码", ["code"]
        ) from exc


def checkin_qr_svg(url: str) -> str:
    """An inline SVG QR code of `url`, sized by CSS (viewBox, no width/height, no styles)."""
    qr = segno.make(url, error="m")
    return str(qr.svg_inline(omitsize=True, svgclass="check-in-qr", lineclass=None, title="签到二维码"))
