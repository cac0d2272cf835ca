"""Account use cases: sign-in with lockout, sessions, API tokens, roles, and the one function
pair that turns a session cookie or a bearer token into the request's Actor."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.access import ALL_SCOPES, READ, Actor, Grant, Role
from domain.accounts import passwords, policy, queries
from domain.accounts.config import policy as account_policy
from domain.accounts.models import ApiToken, RoleAssignment, Session, TokenStatus, User
from domain.audit.service import record
from domain.errors import DomainError, ErrorCode, NotFound, PermissionDenied, ValidationError
from domain.grids.models import GridCell
from domain.people.models import Person
from domain.people.validation import normalise_mobile, normalise_person_name

TOKEN_PREFIX = "lz_"
REFUSALS = {TokenStatus.REVOKED: "令牌已被撤销", TokenStatus.EXPIRED: "令牌已过期"}


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- the Actor --------------------------------------------------------------------------------


def _actor(user: User, grants: list[Grant], **extra: object) -> Actor:
    return Actor(
        user_id=user.id,
        person_id=user.person_id,
        display_name=user.username,
        grants=tuple(grants),
        **extra,  # type: ignore[arg-type]
    )


async def actor_for_session(secret: str | None) -> Actor | None:
    """The signed-in user of a session cookie, or None when it is unknown, revoked or expired."""
    if not secret:
        return None
    session = await Session.get_or_none(secret_hash=_digest(secret)).select_related("user")
    now = _now()
    if session is None or session.revoked_at is not None or not session.user.is_active:
        return None
    if now >= session.expires_at or now >= session.last_seen_at + account_policy().session_idle:
        return None
    if now - session.last_seen_at >= account_policy().touch_interval:
        await Session.filter(id=session.id).update(last_seen_at=now)
    grants = (await queries.active_grants([session.user_id])).get(session.user_id, [])
    return _actor(session.user, grants, session_id=secret)


@dataclass(frozen=True)
class TokenCheck:
    actor: Actor | None
    reason: str | None = None


async def actor_for_token(secret: str) -> TokenCheck:
    """The actor a bearer token acts as, or why it is refused (unknown, revoked, expired)."""
    token = await ApiToken.get_or_none(secret_hash=_digest(secret)).select_related("user")
    now = _now()
    if token is None:
        return TokenCheck(None, "令牌无效")
    status = token.status_at(now)
    if status is not TokenStatus.ACTIVE:
        return TokenCheck(None, REFUSALS[status])
    if not token.user.is_active:
        return TokenCheck(None, "令牌所属账号已停用")
    if token.last_used_at is None or now - token.last_used_at >= account_policy().touch_interval:
        await ApiToken.filter(id=token.id).update(last_used_at=now)
    grants = (await queries.active_grants([token.user_id])).get(token.user_id, [])
    actor = _actor(token.user, grants, token_id=token.id, token_scopes=frozenset(token.scopes))
    return TokenCheck(actor)


# --- sign-in ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    user: User
    session_secret: str
    actor: Actor


async def sign_in(*, actor: Actor, identifier: str, password: str, user_agent: str | None = None) -> SignedIn:
    """Check the password; five failures lock the account. A new session replaces `actor`'s."""
    user = await queries.user_by_identifier(identifier)
    now = _now()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        await record(actor, "auth.sign_in_refused", "User", user.id, identifier=identifier, reason="locked")
        raise _locked(user.locked_until - now)
    if user is None or not user.is_active or not passwords.verify_password(user.password_hash, password):
        await _count_failure(actor, user, identifier)
        raise DomainError(ErrorCode.BAD_CREDENTIALS, "用户名或密码错误", ["password"])
    if actor.session_id:
        await _end_session(actor.session_id)
    return await _start_session(actor, user, user_agent)


def _locked(remaining: timedelta) -> DomainError:
    minutes = max(1, -(-int(remaining.total_seconds()) // 60))
    return DomainError(
        ErrorCode.ACCOUNT_LOCKED,
        f"密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试",
        ["identifier"],
    )


async def _count_failure(actor: Actor, user: User | None, identifier: str) -> None:
    """Count a failed attempt; the one that reaches the limit locks the account."""
    rules = account_policy()
    locked = False
    async with in_transaction():
        if user is not None:
            await User.filter(id=user.id).update(failed_attempts=F("failed_attempts") + 1)
            attempts = (await User.get(id=user.id)).failed_attempts
            locked = attempts >= rules.lockout_attempts
            if locked:
                until = _now() + rules.lockout_duration
                await User.filter(id=user.id).update(locked_until=until, failed_attempts=0)
                await record(actor, "auth.locked", "User", user.id, attempts=attempts)
        user_id = user.id if user else None
        await record(actor, "auth.sign_in_failed", "User", user_id, identifier=identifier[:40])
    if locked:
        raise _locked(rules.lockout_duration)


async def _start_session(actor: Actor, user: User, user_agent: str | None) -> SignedIn:
    secret = secrets.token_urlsafe(32)
    now = _now()
    async with in_transaction():
        await Session.create(
            secret_hash=_digest(secret),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + account_policy().session_absolute,
            ip=actor.ip,
            user_agent=(user_agent or "")[:200] or None,
        )
        await User.filter(id=user.id).update(failed_attempts=0, locked_until=None, last_sign_in_at=now)
        grants = (await queries.active_grants([user.id])).get(user.id, [])
        signed_in = _actor(user, grants, session_id=secret, request_id=actor.request_id, ip=actor.ip)
        await record(signed_in, "auth.sign_in", "User", user.id)
    return SignedIn(user, secret, signed_in)


async def _end_session(secret: str) -> None:
    await Session.filter(secret_hash=_digest(secret), revoked_at__isnull=True).update(revoked_at=_now())


async def sign_out(*, actor: Actor) -> None:
    if actor.session_id is None:
        return
    async with in_transaction():
        await _end_session(actor.session_id)
        await record(actor, "auth.sign_out", "User", actor.user_id)


async def change_password(*, actor: Actor, current: str, new: str) -> None:
    """Needs the current password; ends every other session of the user."""
    policy.require_signed_in(actor)
    policy.require_scope(actor, "write:accounts")
    user = await queries.user_by_id(actor.user_id or 0)
    if not passwords.verify_password(user.password_hash, current):
        raise ValidationError(ErrorCode.BAD_CREDENTIALS, "当前密码不正确", ["current"])
    passwords.check_policy(new, "new")
    if new == current:
        raise ValidationError(ErrorCode.WEAK_PASSWORD, "新密码不能与当前密码相同", ["new"])
    async with in_transaction():
        new_hash = passwords.hash_password(new)
        await User.filter(id=user.id).update(password_hash=new_hash, password_changed_at=_now())
        others = Session.filter(user_id=user.id, revoked_at__isnull=True)
        if actor.session_id:
            others = others.exclude(secret_hash=_digest(actor.session_id))
        await others.update(revoked_at=_now())
        await record(actor, "user.change_password", "User", user.id)


# --- users and roles --------------------------------------------------------------------------


async def create_user(
    *,
    actor: Actor,
    name: str,
    username: str,
    password: str | None,
    mobile: str | None = None,
    is_app: bool = False,
    is_demo: bool = False,
) -> User:
    """A person and their account. App accounts have no password (tokens only)."""
    policy.require_manage_users(actor)
    clean_name = normalise_person_name(name)
    clean_username = _check_username(username)
    clean_mobile = normalise_mobile(mobile) if mobile else None
    if password is not None:
        passwords.check_policy(password)
    elif not is_app:
        raise ValidationError(ErrorCode.WEAK_PASSWORD, "请设置密码", ["password"])
    if await User.filter(username=clean_username).exists():
        raise ValidationError(ErrorCode.DUPLICATE_USERNAME, "用户名已被使用", ["username"])
    async with in_transaction():
        person = await Person.create(name=clean_name, mobile=clean_mobile, is_demo=is_demo)
        user = await User.create(
            person_id=person.id,
            username=clean_username,
            password_hash=passwords.hash_password(password) if password else None,
            is_app=is_app,
            is_demo=is_demo,
        )
        await record(actor, "user.create", "User", user.id, username=clean_username, app=is_app)
    user.person = person
    return user


def _check_username(raw: str) -> str:
    username = raw.strip()
    if not (3 <= len(username) <= 40) or not all(c.isalnum() or c in "._-" for c in username):
        raise ValidationError(ErrorCode.INVALID, "用户名须为 3–40 位字母、数字或 . _ -", ["username"])
    if username.isdigit():
        raise ValidationError(ErrorCode.INVALID, "用户名不能全为数字（避免与手机号混淆）", ["username"])
    return username


async def set_user_active(*, actor: Actor, user_id: int, active: bool) -> User:
    """Disable (ending every session and token use) or re-enable an account; enabling unlocks."""
    policy.require_manage_users(actor)
    user = await queries.user_by_id(user_id)
    if user.id == actor.user_id and not active:
        raise ValidationError(ErrorCode.INVALID, "不能停用自己的账号", ["userId"])
    async with in_transaction():
        await User.filter(id=user.id).update(is_active=active, failed_attempts=0, locked_until=None)
        if not active:
            await Session.filter(user_id=user.id, revoked_at__isnull=True).update(revoked_at=_now())
        await record(actor, "user.activate" if active else "user.deactivate", "User", user.id)
    return await queries.user_by_id(user.id)


async def disable_demo_accounts(*, actor: Actor) -> list[str]:
    """Disable every enabled demo account (each audited), so that production may start; returns
    their usernames."""
    policy.require_manage_users(actor)
    usernames = await queries.active_demo_usernames()
    for user in await User.filter(username__in=usernames).order_by("username"):
        await set_user_active(actor=actor, user_id=user.id, active=False)
    return usernames


async def grant_role(
    *, actor: Actor, user_id: int, role: Role, cell_id: int | None = None, organisation_id: int | None = None
) -> RoleAssignment:
    policy.require_grant(actor, role)
    user = await queries.user_by_id(user_id)
    if role is Role.GRID_STAFF and cell_id is None:
        raise ValidationError(ErrorCode.INVALID, "网格员角色必须限定到一个网格范围", ["cellId"])
    cell = await GridCell.get_or_none(id=cell_id) if cell_id is not None else None
    if cell_id is not None and cell is None:
        raise NotFound("网格单元不存在", ["cellId"])
    async with in_transaction():
        assignment = await RoleAssignment.create(
            user_id=user.id,
            role=role,
            cell_id=cell_id,
            organisation_id=organisation_id,
            granted_by_id=actor.user_id,
        )
        await record(
            actor,
            "role.grant",
            "User",
            user.id,
            role=role.value,
            cell=cell.code if cell else None,
            organisation_id=organisation_id,
        )
    assignment.cell = cell
    return assignment


async def revoke_role(*, actor: Actor, assignment_id: int) -> RoleAssignment:
    assignment = await queries.assignment_by_id(assignment_id)
    policy.require_grant(actor, assignment.role)
    if assignment.revoked_at is not None:
        return assignment
    async with in_transaction():
        assignment.revoked_at = _now()
        await assignment.save(update_fields=["revoked_at"])
        await record(actor, "role.revoke", "User", assignment.user_id, role=assignment.role.value)
    return assignment


# --- API tokens -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


async def create_token(
    *,
    actor: Actor,
    name: str,
    scopes: list[str] | None = None,
    expires_in_days: int = 90,
    for_user_id: int | None = None,
) -> IssuedToken:
    """A token for yourself, or (ADMIN only) for an app account."""
    policy.require_signed_in(actor)
    policy.require_scope(actor, "write:accounts")
    owner_id = actor.user_id if for_user_id is None else for_user_id
    if owner_id != actor.user_id:
        owner = await queries.user_by_id(owner_id or 0)
        if not (owner.is_app and policy.can_create_app_tokens(actor)):
            raise NotFound("用户不存在", ["forUserId"])
    clean_name, clean_scopes = _token_name(name), _token_scopes(scopes)
    lifetime = timedelta(days=expires_in_days)
    if not timedelta(days=1) <= lifetime <= account_policy().token_max_lifetime:
        raise ValidationError(ErrorCode.INVALID_EXPIRY, "有效期须在 1 到 366 天之间", ["expiresInDays"])
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with in_transaction():
        token = await ApiToken.create(
            user_id=owner_id,
            name=clean_name,
            prefix=secret[:10],
            secret_hash=_digest(secret),
            scopes=clean_scopes,
            expires_at=_now() + lifetime,
        )
        await record(actor, "token.create", "ApiToken", token.id, name=clean_name, scopes=clean_scopes)
    return IssuedToken(token, secret)


def _token_name(raw: str) -> str:
    name = raw.strip()
    if not 1 <= len(name) <= 60:
        raise ValidationError(ErrorCode.INVALID_NAME, "令牌名称须为 1–60 个字符", ["name"])
    return name


def _token_scopes(scopes: list[str] | None) -> list[str]:
    chosen = sorted(set(scopes or [READ]) | {READ})
    unknown = [s for s in chosen if s not in ALL_SCOPES]
    if unknown:
        raise ValidationError(ErrorCode.INVALID_SCOPE, f"未知的权限范围：{'、'.join(unknown)}", ["scopes"])
    return chosen


async def revoke_token(*, actor: Actor, token_id: int) -> ApiToken:
    token = await queries.token_by_id(token_id)
    policy.require_own_token(actor, token)
    if token.revoked_at is None:
        async with in_transaction():
            token.revoked_at = _now()
            await token.save(update_fields=["revoked_at"])
            await record(actor, "token.revoke", "ApiToken", token.id, name=token.name)
    return token


# --- personal data ----------------------------------------------------------------------------


async def unmask_person(*, actor: Actor, person_id: int, reason: str) -> Person:
    """The unmasked person, for an actor allowed to see it; every unmask is audited."""
    policy.require_signed_in(actor)
    person = await queries.person_by_id(person_id)
    if not policy.can_unmask(actor, await queries.cell_paths_headed_by(person.id)):
        raise PermissionDenied("没有查看完整个人信息的权限")
    clean_reason = reason.strip()
    if not 2 <= len(clean_reason) <= 200:
        raise ValidationError(ErrorCode.INVALID, "请填写查看原因（2–200 字）", ["reason"])
    await record(actor, "person.unmask", "Person", person.id, reason=clean_reason)
    return person


SYSTEM = Actor(display_name="命令行", grants=(Grant(Role.ADMIN),), system=True)


@dataclass(frozen=True)
class Authentication:
    """The outcome of reading a request's credentials: an actor, or a refusal to explain."""

    actor: Actor
    refused: str | None = None
    by_cookie: bool = False


async def authenticate(
    *, session_secret: str | None, bearer: str | None, request_id: str | None, ip: str | None
) -> Authentication:
    """The one way both adapters learn who is acting. A bearer token wins over a cookie; a bad
    token is refused outright (the client meant to authenticate), a stale cookie is anonymous."""
    anonymous = Actor(request_id=request_id, ip=ip)
    if bearer is not None:
        check = await actor_for_token(bearer)
        if check.actor is None:
            return Authentication(anonymous, refused=check.reason)
        return Authentication(check.actor.with_request(request_id=request_id, ip=ip))
    actor = await actor_for_session(session_secret)
    if actor is None:
        return Authentication(anonymous)
    return Authentication(actor.with_request(request_id=request_id, ip=ip), by_cookie=True)
