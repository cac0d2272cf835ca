"""Starlette routes, one module per domain.

Row ids in paths use the `id` convertor: 1 to 9 digits, so a longer number is an ordinary 404
instead of a value PostgreSQL's integer columns cannot hold."""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor


class IdConvertor(Convertor[int]):
    regex = "[1-9][0-9]{0,8}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", IdConvertor())
