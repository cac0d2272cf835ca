"""The access log line Linzhi writes is the line uvicorn's own formatter writes (the independent
expectation here), for every status, known or not, and any request line."""

from __future__ import annotations

import logging

import pytest
from uvicorn.logging import AccessFormatter

from api.access_log import LOG_CONFIG, AccessLineFormatter

UVICORN = AccessFormatter(
    '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False
)


def record(level: int, args: tuple[object, ...], msg: str = '%s - "%s %s HTTP/%s" %d') -> logging.LogRecord:
    return logging.LogRecord("uvicorn.access", level, __file__, 1, msg, args, None)


@pytest.mark.parametrize("status", [200, 204, 304, 400, 404, 413, 429, 500, 503, 599, 299])
@pytest.mark.parametrize(
    ("client", "path"),
    [("127.0.0.1:51234", "/graphql"), ("[::1]:8000", "/grids?town=%E5%B9%B3%E6%B9%96&q=a%22b"), ("", "/")],
)
def test_the_line_is_uvicorns(status: int, client: str, path: str) -> None:
    for level in (logging.INFO, logging.WARNING):
        line = record(level, (client, "POST", path, "1.1", status))
        assert AccessLineFormatter().format(line) == UVICORN.format(line)


def test_another_record_on_the_access_logger_is_written_as_its_message() -> None:
    assert AccessLineFormatter().format(record(logging.INFO, (), "plain words")) == "plain words"


def test_serve_configures_it_for_the_access_log_only() -> None:
    assert LOG_CONFIG["formatters"]["access"] == {"()": "api.access_log.AccessLineFormatter"}
    assert LOG_CONFIG["handlers"]["access"]["formatter"] == "access"
    assert LOG_CONFIG["formatters"]["default"]["()"] == "uvicorn.logging.DefaultFormatter"
