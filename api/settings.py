"""All configuration, read from LINZHI_* environment variables with safe local defaults."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from api.proxies import Network, parse_networks
from domain.audit import keys as keyring_rules
from domain.db import DEFAULT_DATABASE_URL


class ConfigurationError(RuntimeError):
    pass


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


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
    trusted_proxies: tuple[Network, ...] = ()
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
            trusted_proxies=trusted_proxies,
            audit_keys=_audit_keys(get("AUDIT_KEYS"), get("AUDIT_KEY"), secret, production=production),
        )

    def audit_keyring(self) -> keyring_rules.Keyring:
        return keyring_rules.Keyring.of(self.audit_keys)

    @classmethod
    def for_tests(cls) -> Settings:
        return cls(env="test", database_url="sqlite://:memory:", secret_key="test-secret")

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]
