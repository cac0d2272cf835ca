"""Reading form input, and placing a domain error beside the input it is about."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from starlette.datastructures import FormData

from domain.errors import DomainError

FORM = ""  # the key of an error about the whole form rather than one input
MAX_TEXT = 200
MAX_PASSWORD = 1024


def text(form: FormData, name: str, max_length: int = MAX_TEXT) -> str:
    """A text input, cut to `max_length`: a missing or file input reads as empty."""
    value = form.get(name)
    return value[:max_length] if isinstance(value, str) else ""


def texts(form: FormData, name: str) -> list[str]:
    return [value for value in form.getlist(name) if isinstance(value, str)]


def whole_number(raw: str) -> int | None:
    digits = raw.strip()
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 9 else None


def field_errors(
    error: DomainError, inputs: Collection[str], aliases: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`{input name: message}`. The error's field path names the input (`aliases` maps the
    domain's names, such as `cellId`, to the form's); any other error belongs to the form."""
    name = error.field[-1] if error.field else FORM
    name = (aliases or {}).get(name, name)
    return {name if name in inputs else FORM: error.message}
