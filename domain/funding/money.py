"""Money for people: integer fen shown as 元 with thousands separators, or as 万元 for headline
figures. Plain arithmetic on integers (no float ever touches an amount), so no locale library."""

from __future__ import annotations

FEN_PER_YUAN = 100
FEN_PER_WAN = 1_000_000


def yuan(fen: int) -> str:
    """1234567 -> "12,345.67 元"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole:,}.{cents:02d} 元"


def wan(fen: int) -> str:
    """In 万元, exact to the fen (up to six decimals), no trailing zeros: 2035000_00 -> "203.5万元"."""
    sign = "-" if fen < 0 else ""
    whole, rest = divmod(abs(fen), FEN_PER_WAN)
    decimals = f"{rest:06d}".rstrip("0")
    return f"{sign}{whole:,}{'.' + decimals if decimals else ''}万元"
