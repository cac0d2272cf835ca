"""Account use cases: sign-in with lockout, sessions, API tokens, roles, and the one function
pair that turns a session cookie or a bearer token into the request's Actor."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.access import (
    ALL_SCOPES,
    READ,
    UNMASK_PEOPLE,
    Actor,
    Grant,
    Role,
    require_scope,
    require_signed_in,
)
from domain.accounts import passwords, policy, queries
from domain.accounts.config import is_production
from domain.accounts.config import policy as account_policy
from domain.accounts.models import ApiToken, RoleAssignment, Session, TokenStatus, User
from domain.audit.service import record
from domain.errors import (
    DomainError,
    ErrorCode,
    NotFound,
    PermissionDenied,
    ValidationError,
    ValidationErrors,
)
from domain.grids.models import GridCell
from domain.input import Errors
from domain.organisations.models import Organisation, OrgStatus
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
    """The account's actor (its person loaded): labelled by username in the audit log, greeted by
    the person's name. After an administrator's password reset it holds no role, by session or
    token, until the account changes its password."""
    return Actor(
        user_id=user.id,
        person_id=user.person_id,
        display_name=user.username,
        name=user.person.name,
        is_demo=user.is_demo,
        must_change_password=user.must_change_password,
        grants=() if user.must_change_password else tuple(grants),
        **extra,  # type: ignore[arg-type]
    )


async def actor_for_session(secret: str | None) -> Actor | None:
    """The signed-in user of a session cookie, or None when it is unknown, revoked or expired."""
    if not secret:
        return None
    session = await Session.get_or_none(secret_hash=_digest(secret)).select_related("user__person")
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
    token = await ApiToken.get_or_none(secret_hash=_digest(secret)).select_related("user__person")
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
    """Check the password; five failures lock the account. A new session replaces `actor`'s.

    Each attempt on a known account claims an attempt slot *before* its password is checked (see
    `_claim_attempt`), so however many requests arrive at once, at most `lockout_attempts` wrong
    passwords are checked per lockout window, and a locked account refuses even the right one.
    An unknown identifier runs the same statements and is checked against a dummy hash of the
    same parameters, so it costs the same time. Nothing typed is written to the audit log: the
    user's ID when known, else a marker.
    """
    ident = _check_sign_in_input(identifier, password)
    user = await queries.user_by_identifier(ident)
    slot = await _claim_attempt(user.id if user else None)
    if isinstance(slot, datetime):
        await record(actor, "auth.sign_in_refused", "User", user.id if user else None, reason="locked")
        raise _locked(slot - _now())
    right = await asyncio.to_thread(passwords.verify_password, user.password_hash if user else None, password)
    refusal = "unknown_account" if user is None else _refusal(user, right=right)
    if refusal is not None:
        async with in_transaction():
            if user is None:  # nothing typed is kept: it may be a password typed in the wrong box
                await record(actor, "auth.sign_in_failed", "User", None, account="unknown")
            else:
                await record(
                    actor, "auth.sign_in_failed", "User", user.id, reason=refusal, attempt=slot.attempt
                )
            if slot.locks:
                await record(actor, "auth.locked", "User", user.id if user else None, attempts=slot.attempt)
        if slot.locks:
            raise _locked(account_policy().lockout_duration)
        raise _bad_credentials()
    assert user is not None
    if actor.session_id:
        await _end_session(actor.session_id)
    return await _start_session(actor, user, user_agent)


MAX_IDENTIFIER = 40  # usernames are at most 40 characters, mobile numbers 11 digits


def _check_sign_in_input(identifier: str, password: str) -> str:
    """What no account can match is a client error, refused before any lookup or hash (both
    inputs' errors at once)."""
    errors = Errors()
    ident = errors.check(lambda: _check_identifier(identifier))
    if not password:
        errors.add(ErrorCode.INVALID, "请输入密码", "password")
    elif len(password) > passwords.MAX_LENGTH or "\x00" in password:
        errors.add(
            ErrorCode.INVALID, f"密码不能超过 {passwords.MAX_LENGTH} 个字符，也不能含空字符", "password"
        )
    errors.raise_any()
    return ident or ""


def _check_identifier(identifier: str) -> str:
    ident = identifier.strip()
    if not ident:
        raise ValidationError(ErrorCode.INVALID, "请输入用户名或手机号", ["identifier"])
    if len(ident) > MAX_IDENTIFIER:
        raise ValidationError(
            ErrorCode.INVALID, f"用户名或手机号不能超过 {MAX_IDENTIFIER} 个字符", ["identifier"]
        )
    if not ident.isprintable():
        raise ValidationError(ErrorCode.INVALID, "用户名或手机号含有无效字符", ["identifier"])
    return ident


def _refusal(user: User, *, right: bool) -> str | None:
    """Why a checked attempt fails (for the audit log), or None when it signs in."""
    if not right:
        return "wrong_password"
    if not user.is_active:
        return "disabled"
    if user.is_demo and is_production():
        return "demo_in_production"
    return None


def _bad_credentials() -> DomainError:
    return DomainError(ErrorCode.BAD_CREDENTIALS, "用户名或密码错误", ["password"])


def _locked(remaining: timedelta) -> DomainError:
    minutes = max(1, -(-int(remaining.total_seconds()) // 60))
    return DomainError(
        ErrorCode.ACCOUNT_LOCKED,
        f"密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试",
        ["identifier"],
    )


@dataclass(frozen=True)
class _Slot:
    attempt: int  # 1 .. lockout_attempts
    locks: bool  # the last slot: the account is locked from now on unless this password is right


async def _claim_attempt(user_id: int | None) -> _Slot | datetime:
    """Count this attempt as a failure before its password is checked, under the user row's lock
    (SELECT ... FOR UPDATE on PostgreSQL; SQLite runs one write transaction at a time). The slot
    that reaches the limit locks the account at once, so concurrent attempts find it locked.
    A right password then clears the count (`_start_session`). Returns the lock's end instead
    when the account is locked. For an unknown account (None) the same statements run and touch
    no row, so that it costs the same time as a known one."""
    rules = account_policy()
    now = _now()
    async with in_transaction():
        row = await User.select_for_update().get_or_none(id=user_id or 0)
        if row is None:
            await User.filter(id=0).update(failed_attempts=0)
            return _Slot(0, locks=False)
        if row.locked_until is not None and row.locked_until > now:
            return row.locked_until
        attempt = row.failed_attempts + 1
        if attempt >= rules.lockout_attempts:
            await User.filter(id=row.id).update(failed_attempts=0, locked_until=now + rules.lockout_duration)
            return _Slot(attempt, locks=True)
        await User.filter(id=row.id).update(failed_attempts=attempt, locked_until=None)
        return _Slot(attempt, locks=False)


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
    """Needs the current (or temporary) password and a browser session; ends every other session
    of the user, and ends the wait for a change after an administrator's reset."""
    policy.require_session(actor)
    user = await queries.user_by_id(actor.user_id or 0)
    errors = Errors()
    if not passwords.verify_password(user.password_hash, current):
        errors.add(ErrorCode.BAD_CREDENTIALS, "当前密码不正确", "current")
    errors.check(lambda: passwords.check_policy(new, "new"))
    if new == current and not errors.errors:
        errors.add(ErrorCode.WEAK_PASSWORD, "新密码不能与当前密码相同", "new")
    errors.raise_any()
    async with in_transaction():
        new_hash = passwords.hash_password(new)
        await User.filter(id=user.id).update(
            password_hash=new_hash, password_changed_at=_now(), must_change_password=False
        )
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
    """A person and their account. App accounts have no password (tokens only). Production
    refuses new demo accounts: their password is public. A username or mobile another account
    has is refused, also when two requests race for it (the unique indexes decide)."""
    policy.require_manage_users(actor)
    if is_demo and is_production():
        raise PermissionDenied("生产环境中不能创建演示账号")
    errors = Errors()
    clean_name = errors.check(lambda: normalise_person_name(name))
    clean_username = errors.check(lambda: _check_username(username))
    clean_mobile = errors.check(lambda: normalise_mobile(mobile)) if mobile else None
    if password is not None:
        errors.check(lambda: passwords.check_policy(password))
    elif not is_app:
        errors.add(ErrorCode.WEAK_PASSWORD, "请设置密码", "password")
    errors.errors.extend(await _taken(clean_username, clean_mobile))
    errors.raise_any()
    assert clean_name is not None
    assert clean_username is not None
    try:
        async with in_transaction():
            person = await Person.create(name=clean_name, mobile=clean_mobile, is_demo=is_demo)
            user = await User.create(
                person_id=person.id,
                username=clean_username,
                mobile=clean_mobile,
                password_hash=passwords.hash_password(password) if password else None,
                is_app=is_app,
                is_demo=is_demo,
            )
            await record(actor, "user.create", "User", user.id, username=clean_username, app=is_app)
    except IntegrityError:
        await _refuse_taken(clean_username, clean_mobile)
        raise
    user.person = person
    return user


async def _taken(username: str | None, mobile: str | None, *, user_id: int = 0) -> list[DomainError]:
    """A username or sign-in mobile that another account than `user_id` already has."""
    others = User.exclude(id=user_id)
    found: list[DomainError] = []
    if username is not None and await others.filter(username=username).exists():
        found.append(ValidationError(ErrorCode.DUPLICATE_USERNAME, "用户名已被使用", ["username"]))
    if mobile is not None and await others.filter(mobile=mobile).exists():
        found.append(ValidationError(ErrorCode.DUPLICATE_MOBILE, "该手机号已被其他账号使用", ["mobile"]))
    return found


async def _refuse_taken(username: str | None, mobile: str | None, *, user_id: int = 0) -> None:
    taken = await _taken(username, mobile, user_id=user_id)
    if taken:
        raise ValidationErrors(taken)


def _check_username(raw: str) -> str:
    username = raw.strip()
    if not (3 <= len(username) <= 40) or not all(c.isalnum() or c in "._-" for c in username):
        raise ValidationError(ErrorCode.INVALID, "用户名须为 3–40 位字母、数字或 . _ -", ["username"])
    if username.isdigit():
        raise ValidationError(ErrorCode.INVALID, "用户名不能全为数字（避免与手机号混淆）", ["username"])
    return username


async def set_user_active(*, actor: Actor, user_id: int, active: bool) -> User:
    """Disable (ending every session and token use) or re-enable an account; enabling unlocks.
    Only an ADMIN manages an ADMIN's account; production never enables a demo account."""
    user = await _managed(actor, user_id)
    if user.id == actor.user_id and not active:
        raise ValidationError(ErrorCode.INVALID, "不能停用自己的账号", ["userId"])
    if active and user.is_demo and is_production():
        raise PermissionDenied("生产环境中不能启用演示账号（其密码是公开的）")
    async with in_transaction():
        await User.filter(id=user.id).update(is_active=active, failed_attempts=0, locked_until=None)
        if not active:
            await Session.filter(user_id=user.id, revoked_at__isnull=True).update(revoked_at=_now())
        await record(actor, "user.activate" if active else "user.deactivate", "User", user.id)
    return await queries.user_by_id(user.id)


async def update_user(
    *, actor: Actor, user_id: int, name: str, mobile: str | None = None, clear_mobile: bool = False
) -> User:
    """Correct an account's person's name and mobile. The mobile is also the account's sign-in
    mobile, so one another account has is refused (also when two requests race for it). No
    `mobile` keeps the current one, and makes it the sign-in mobile again when it was not (see
    `queries.check_mobiles`); `clear_mobile` removes it."""
    user = await _managed(actor, user_id)
    clean_name = normalise_person_name(name)
    if clear_mobile:
        clean_mobile = None
    else:
        clean_mobile = normalise_mobile(mobile) if mobile else (user.person.mobile or None)
    await _refuse_taken(None, clean_mobile, user_id=user.id)
    try:
        async with in_transaction():
            await User.filter(id=user.id).update(mobile=clean_mobile)
            await Person.filter(id=user.person_id).update(name=clean_name, mobile=clean_mobile)
            await record(actor, "user.update", "User", user.id, mobile_changed=clean_mobile != user.mobile)
    except IntegrityError:
        await _refuse_taken(None, clean_mobile, user_id=user.id)
        raise
    return await queries.user_by_id(user.id)


async def _managed(actor: Actor, user_id: int) -> User:
    """The account, when `actor` may manage it (separation of duties, browser session only)."""
    policy.require_manage_users(actor)
    user = await queries.user_by_id(user_id)
    policy.require_manage_account(actor, await queries.roles_of(user.id))
    return user


TEMPORARY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"  # no 0/O, 1/l/I


def temporary_password() -> str:
    """Three groups of four easily read characters, e.g. `Kf7q-Mx3a-Pw9d`: 68 random bits, and it
    meets the password policy (the dashes are symbols; one group of each kind is required)."""
    while True:
        groups = ["".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(4)) for _ in range(3)]
        candidate = "-".join(groups)
        if any(c.isupper() for c in candidate) and any(c.isdigit() for c in candidate):
            return candidate


async def reset_password(*, actor: Actor, user_id: int) -> str:
    """Give an account a temporary password, returned once (only its hash is kept): the account
    must change it at its next sign-in. Ends every session of the account and clears its lockout;
    its API tokens stay (they never depended on the password). Not for your own account (change
    it on 我的账号) nor for app accounts (they have no password)."""
    user = await _managed(actor, user_id)
    if user.id == actor.user_id:
        raise ValidationError(ErrorCode.INVALID, "请在“我的账号”中修改自己的密码", ["userId"])
    if user.is_app:
        raise ValidationError(ErrorCode.INVALID, "应用账号没有密码，只用令牌访问", ["userId"])
    temporary = temporary_password()
    async with in_transaction():
        await User.filter(id=user.id).update(
            password_hash=passwords.hash_password(temporary),
            must_change_password=True,
            password_changed_at=_now(),
            failed_attempts=0,
            locked_until=None,
        )
        await Session.filter(user_id=user.id, revoked_at__isnull=True).update(revoked_at=_now())
        await record(actor, "user.reset_password", "User", user.id)
    return temporary


async def unlock_user(*, actor: Actor, user_id: int) -> bool:
    """End a sign-in lockout now rather than when it expires, and restart the count of wrong
    passwords; audited. False (nothing written) when the account is not locked."""
    user = await _managed(actor, user_id)
    async with in_transaction():
        row = await User.select_for_update().get(id=user.id)
        if row.locked_until is None or row.locked_until <= _now():
            return False
        await User.filter(id=user.id).update(failed_attempts=0, locked_until=None)
        await record(actor, "user.unlock", "User", user.id)
    return True


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
    organisation = await _grantable_organisation(role, organisation_id)
    async with in_transaction():
        # The user's row is locked while their roles are checked and the grant is written, so two
        # concurrent grants (ADMIN and a data role) cannot both pass the separation-of-duties check.
        await User.select_for_update().get(id=user.id)
        held = await queries.roles_of(user.id)
        policy.require_manage_account(actor, held)
        policy.require_compatible(held, role)
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
            organisation=organisation.name if organisation else None,
        )
    assignment.cell = cell
    return assignment


async def _grantable_organisation(role: Role, organisation_id: int | None) -> Organisation | None:
    """An organisation scopes only an organiser, and only to an organisation still on the register."""
    if organisation_id is None:
        return None
    if role is not Role.ORGANISER:
        raise ValidationError(ErrorCode.NOT_FOR_TYPE, "只有组织者角色可以限定到社会组织", ["organisationId"])
    organisation = await Organisation.get_or_none(id=organisation_id)
    if organisation is None:
        raise NotFound("社会组织不存在", ["organisationId"])
    if organisation.status is OrgStatus.DEREGISTERED:
        raise ValidationError(ErrorCode.RETIRED, "该社会组织已注销", ["organisationId"])
    return organisation


async def revoke_role(*, actor: Actor, assignment_id: int) -> RoleAssignment:
    assignment = await queries.assignment_by_id(assignment_id)
    policy.require_grant(actor, assignment.role)
    policy.require_manage_account(actor, await queries.roles_of(assignment.user_id))
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
    """A token for yourself, or (ADMIN only) for an app account. Only from a browser session:
    a token never mints a token (and could never give one scopes beyond its own)."""
    policy.require_session(actor)
    owner_id = actor.user_id if for_user_id is None else for_user_id
    if owner_id != actor.user_id:
        owner = await queries.user_by_id(owner_id or 0)
        if not (owner.is_app and policy.can_create_app_tokens(actor)):
            raise NotFound("用户不存在", ["forUserId"])
    errors = Errors()
    clean_name, clean_scopes = (
        errors.check(lambda: _token_name(name)),
        errors.check(lambda: _token_scopes(scopes)),
    )
    lifetime = timedelta(days=expires_in_days)
    if not timedelta(days=1) <= lifetime <= account_policy().token_max_lifetime:
        errors.add(ErrorCode.INVALID_EXPIRY, "有效期须在 1 到 366 天之间", "expiresInDays")
    errors.raise_any()
    assert clean_name is not None
    assert clean_scopes is not None
    if actor.token_scopes is not None and not set(clean_scopes) <= actor.token_scopes:
        raise PermissionDenied("令牌不能创建权限范围超出自身的令牌")
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
    """The unmasked person, for an actor allowed to see it; every unmask is audited. A token
    needs the `unmask:people` scope."""
    require_signed_in(actor)
    require_scope(actor, UNMASK_PEOPLE)
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
