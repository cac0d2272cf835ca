"""Reading form input, and placing a domain error beside the input it is about."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain import input as user_input
from domain.errors import DomainError, every_error

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
    """`{input name: message}` for every error the refusal carries (`ValidationErrors` carries
    several; the first per input is kept). An error's field path names the input (`aliases` maps
    the domain's names, such as `cellId`, to the form's); any other error belongs to the form."""
    found: dict[str, str] = {}
    for one in every_error(error):
        name = one.field[-1] if one.field else FORM
        name = (aliases or {}).get(name, name)
        found.setdefault(name if name in inputs else FORM, one.message)
    return found


async def refuse_nul(request: Request) -> None:
    """`domain.input.NulCharacter` (a 400 page saying why) when a query parameter, path
    parameter, form field or upload's file name carries a NUL, before any route sees it."""
    values: list[str] = [value for _, value in request.query_params.multi_items()]
    values += [value for value in request.path_params.values() if isinstance(value, str)]
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        for _, value in (await request.form()).multi_items():
            values.append(value if isinstance(value, str) else value.filename or "")
    user_input.refuse_nul(values)


def guarded(route: Route) -> Route:
    """The same route, refusing input no page may pass to the database (see `refuse_nul`)."""
    endpoint: Callable[[Request], Awaitable[Response]] = route.endpoint

    async def checked(request: Request) -> Response:
        await refuse_nul(request)
        return await endpoint(request)

    return Route(route.path, checked, methods=list(route.methods or ()), name=route.name)
