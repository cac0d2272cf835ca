"""All configuration, read from LINZHI_* environment variables with safe local defaults."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from api.proxies import Network, parse_networks
from domain.audit import keys as keyring_rules
from domain.db import DEFAULT_DATABASE_URL
from domain.ratelimit import parse_rule


class ConfigurationError(RuntimeError):
    pass


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


Getter = Callable[[str], str | None]


def _positive(kind: type[float] | type[int], name: str, get: Getter, default: float) -> Any:
    value = get(name)
    if value is None:
        return default
    try:
        number = kind(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise ConfigurationError(f"LINZHI_{name} 须为正数：{value}")
    return number


def _rate(name: str, get: Getter, default: str | None) -> str | None:
    value = get(name)
    if value is None:
        return default
    try:
        parse_rule(value)
    except ValueError as error:
        raise ConfigurationError(f"LINZHI_{name} 须为“次数/秒数”或 off：{value}") from error
    return value


def _audit_keys(
    many: str | None, one: str | None, secret_key: str | None, *, production: bool
) -> tuple[tuple[str, str], ...]:
    """LINZHI_AUDIT_KEYS (`id:key,id:key`, oldest first) or LINZHI_AUDIT_KEY (one key, id "1");
    required in production; in development a key derived from LINZHI_SECRET_KEY, or a fixed one."""
    if many and one:
        raise ConfigurationError("LINZHI_AUDIT_KEYS 与 LINZHI_AUDIT_KEY 只能设置一个")
    try:
        if many:
            pairs = keyring_rules.parse_keys(many)
        elif one:
            pairs = [(keyring_rules.SINGLE_KEY_ID, one)]
        elif production:
            raise ConfigurationError(
                "LINZHI_AUDIT_KEY（或 LINZHI_AUDIT_KEYS）必须在生产环境 (LINZHI_ENV=production) 中设置"
            )
        else:
            pairs = keyring_rules.development_keys(secret_key)
        if many or one:
            keyring_rules.check_strength(pairs)
        keyring_rules.Keyring.of(pairs)
    except keyring_rules.KeyringError as error:
        raise ConfigurationError(f"LINZHI_AUDIT_KEYS：{error}") from error
    return tuple(pairs)


def _anchor(get: Getter, defaults: Settings) -> dict[str, Any]:
    """LINZHI_AUDIT_ANCHOR_MINUTES (0: no periodic anchor) and LINZHI_AUDIT_ANCHOR_FILE (`off`:
    the log only; unset: audit-anchors.jsonl in the data directory)."""
    minutes = get("AUDIT_ANCHOR_MINUTES")
    seconds = defaults.audit_anchor_seconds
    if minutes is not None:
        try:
            seconds = float(minutes) * 60
        except ValueError:
            seconds = -1
        if not seconds >= 0:
            raise ConfigurationError(f"LINZHI_AUDIT_ANCHOR_MINUTES 须为非负数（0 为关闭）：{minutes}")
    path = get("AUDIT_ANCHOR_FILE")
    if path is not None and path.strip().lower() == "off":
        anchor_file = None
    elif path is not None:
        anchor_file = Path(path)
    else:
        anchor_file = Path(get("DATA_DIR") or defaults.data_dir) / "audit-anchors.jsonl"
    return {"audit_anchor_seconds": seconds, "audit_anchor_file": anchor_file}


CACHE_MODES = ("off", "memory", "redis")


def _cache(get: Getter, defaults: Settings) -> dict[str, Any]:
    """LINZHI_CACHE (off, memory, redis), LINZHI_CACHE_URL (redis://; LINZHI_REDIS_URL when
    unset), LINZHI_CACHE_BYTES (the memory store's bound), LINZHI_CACHE_PREFIX."""
    mode = (get("CACHE") or defaults.cache).strip().lower()
    if mode not in CACHE_MODES:
        raise ConfigurationError(f"LINZHI_CACHE 须为 off、memory 或 redis：{mode}")
    url = get("CACHE_URL") or get("REDIS_URL")
    if mode == "redis" and not url:
        raise ConfigurationError("LINZHI_CACHE=redis 须同时设置 LINZHI_CACHE_URL（或 LINZHI_REDIS_URL）")
    return {
        "cache": mode,
        "cache_url": url if mode == "redis" else None,
        "cache_bytes": _positive(int, "CACHE_BYTES", get, defaults.cache_bytes),
        "cache_prefix": get("CACHE_PREFIX") or defaults.cache_prefix,
    }


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    data_dir: Path = Path("data")
    graphiql: bool = True
    introspection: bool = True
    access_log: bool = True
    # Denial of service (docs/security.md): the time and response size of one GraphQL request,
    # and rate limits ("N/seconds" or "off"; the token limit defaults to the account policy's).
    request_timeout: float = 10.0
    max_response_bytes: int = 5 * 1024 * 1024
    redis_url: str | None = None
    redis_prefix: str = "linzhi:rate:"
    rate_limit_anonymous: str | None = "300/60"
    rate_limit_session: str | None = "600/60"
    rate_limit_token: str | None = None
    trusted_proxies: tuple[Network, ...] = ()
    # The result cache of public reads (docs/compiler.md "Result cache"): off, memory (per
    # process, bounded by cache_bytes) or redis (shared by every worker: cache_url, else redis_url).
    cache: str = "memory"
    cache_url: str | None = None
    cache_bytes: int = 64 * 1024 * 1024
    cache_prefix: str = "linzhi:cache:"
    # The periodic audit anchor (api/anchoring.py): every so many seconds (0: off), published to
    # the log and appended to this file (None: the log only).
    audit_anchor_seconds: float = 15 * 60
    audit_anchor_file: Path | None = Path("data") / "audit-anchors.jsonl"
    # (key id, key) pairs, oldest first; the last one hashes new audit rows.
    audit_keys: tuple[tuple[str, str], ...] = field(
        default=tuple(keyring_rules.development_keys(None)), repr=False
    )

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)

        def get(name: str) -> str | None:
            return env.get(f"LINZHI_{name}") or None

        mode = get("ENV") or "development"
        secret = get("SECRET_KEY")
        if mode == "production" and not secret:
            raise ConfigurationError("LINZHI_SECRET_KEY 必须在生产环境 (LINZHI_ENV=production) 中设置")
        production = mode == "production"
        try:
            trusted_proxies = parse_networks(get("TRUSTED_PROXIES") or "")
        except ValueError as error:
            raise ConfigurationError(f"LINZHI_TRUSTED_PROXIES：{error}") from error
        defaults = cls()
        return cls(
            env=mode,
            database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            secret_key=secret or defaults.secret_key,
            host=get("HOST") or defaults.host,
            port=int(get("PORT") or defaults.port),
            workers=int(get("WORKERS") or defaults.workers),
            data_dir=Path(get("DATA_DIR") or defaults.data_dir),
            graphiql=_bool(get("GRAPHIQL"), not production),
            introspection=_bool(get("INTROSPECTION"), not production),
            access_log=_bool(get("ACCESS_LOG"), defaults.access_log),
            request_timeout=_positive(float, "REQUEST_TIMEOUT", get, defaults.request_timeout),
            max_response_bytes=_positive(int, "MAX_RESPONSE_BYTES", get, defaults.max_response_bytes),
            redis_url=get("REDIS_URL"),
            redis_prefix=get("REDIS_PREFIX") or defaults.redis_prefix,
            rate_limit_anonymous=_rate("RATE_LIMIT_ANONYMOUS", get, defaults.rate_limit_anonymous),
            rate_limit_session=_rate("RATE_LIMIT_SESSION", get, defaults.rate_limit_session),
            rate_limit_token=_rate("RATE_LIMIT_TOKEN", get, None),
            trusted_proxies=trusted_proxies,
            **_cache(get, defaults),
            **_anchor(get, defaults),
            audit_keys=_audit_keys(get("AUDIT_KEYS"), get("AUDIT_KEY"), secret, production=production),
        )

    def audit_keyring(self) -> keyring_rules.Keyring:
        return keyring_rules.Keyring.of(self.audit_keys)

    @classmethod
    def for_tests(cls) -> Settings:
        # Anonymous and session limits off: a counter write per request would change the
        # statement counts tests assert; the tests of the limits switch them on.
        return cls(
            env="test",
            database_url="sqlite://:memory:",
            secret_key="test-secret",
            rate_limit_anonymous="off",
            rate_limit_session="off",
            # The result cache reads the table versions on every anonymous read: the statement
            # counts tests assert are without it; the cache's own tests switch it on.
            cache="off",
            # Anchor rows would change the audit rows tests count; the anchor's tests switch it on.
            audit_anchor_seconds=0,
            audit_anchor_file=None,
        )

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]
