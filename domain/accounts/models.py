from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from domain.access import Role

if TYPE_CHECKING:
    from domain.grids.models import GridCell
    from domain.organisations.models import Organisation
    from domain.people.models import Person


class User(Model):
    """A sign-in account, always of a Person. App accounts (for third-party apps) sign in with
    tokens only and have no password.

    Pages greet the account by its person's name; the audit log names it by `username`, an
    identifier that neither changes nor is shared (a person's name may be both).

    `mobile` is the sign-in mobile: the person's mobile when the account was created or last
    edited, unique among accounts (NULLs allowed), so that signing in by mobile reaches exactly
    one account. `must_change_password` is set by an administrator's password reset: a session
    of such an account may only change its password (see `service.authenticate`)."""

    id = fields.IntField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="users", on_delete=fields.RESTRICT
    )
    username = fields.CharField(max_length=40, unique=True)
    mobile = fields.CharField(max_length=11, null=True, unique=True)
    password_hash = fields.CharField(max_length=200, null=True)
    must_change_password = fields.BooleanField(default=False, db_default=False)
    is_active = fields.BooleanField(default=True)
    is_app = fields.BooleanField(default=False)
    is_demo = fields.BooleanField(default=False)
    failed_attempts = fields.SmallIntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    password_changed_at = fields.DatetimeField(null=True)
    last_sign_in_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    person_id: int

    class Meta:
        table = "app_user"


class Session(Model):
    """A signed-in browser. The cookie holds a random secret, and only its SHA-256 is stored."""

    id = fields.IntField(primary_key=True)
    secret_hash = fields.CharField(max_length=64, unique=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    ip = fields.CharField(max_length=45, null=True)
    user_agent = fields.CharField(max_length=200, null=True)

    user_id: int

    class Meta:
        table = "user_session"


class TokenStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return {"active": "有效", "revoked": "已撤销", "expired": "已过期"}[self.value]


class ApiToken(Model):
    """A bearer token for third-party apps. The secret is shown once, and only its SHA-256 is kept.
    `prefix` (the first characters) lets people tell their tokens apart."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="tokens", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=60)
    prefix = fields.CharField(max_length=16)
    secret_hash = fields.CharField(max_length=64, unique=True)
    scopes = fields.JSONField[list[str]]()
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "api_token"
        indexes = [Index(fields=["user_id", "created_at"], name="api_token_user_idx")]

    def status_at(self, now: datetime) -> TokenStatus:
        """Revocation wins over expiry; the one rule both sign-in by token and the pages use."""
        if self.revoked_at is not None:
            return TokenStatus.REVOKED
        return TokenStatus.EXPIRED if now >= self.expires_at else TokenStatus.ACTIVE


class RoleAssignment(Model):
    """A role of a user, optionally scoped to a grid subtree or an organisation."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="role_assignments", on_delete=fields.CASCADE
    )
    role = fields.CharEnumField(Role, max_length=16)
    cell: fields.ForeignKeyNullableRelation[GridCell] = fields.ForeignKeyField(
        "models.GridCell", related_name="role_assignments", null=True, on_delete=fields.RESTRICT
    )
    organisation: fields.ForeignKeyNullableRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="role_assignments", null=True, on_delete=fields.RESTRICT
    )
    granted_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="granted_roles", null=True, on_delete=fields.SET_NULL
    )
    granted_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    user_id: int
    cell_id: int | None
    organisation_id: int | None

    class Meta:
        table = "role_assignment"
        indexes = [Index(fields=["user_id", "revoked_at"], name="role_assignment_user_idx")]


class RateCounter(Model):
    """A fixed-window counter shared by every worker process (rate limits)."""

    key = fields.CharField(max_length=120)
    window_no = fields.BigIntField()
    count = fields.IntField(default=0)

    class Meta:
        table = "rate_counter"
        unique_together = (("key", "window_no"),)
