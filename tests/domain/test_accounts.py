"""Accounts: passwords, lockout, sessions, tokens, roles and unmasking, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.access import ANONYMOUS, Actor, Role
from domain.accounts import passwords, service
from domain.accounts.models import ApiToken, RoleAssignment, Session, User
from domain.audit.models import AuditEntry
from domain.errors import DomainError, ErrorCode, NotFound, PermissionDenied, ValidationError
from domain.people.models import Person
from tests.accounts import PASSWORD, actor_of, make_user
from tests.factories import build_tree

pytestmark = pytest.mark.usefixtures("db")


@pytest.mark.parametrize("weak", ["Ab1!", "abcdefgh", "abcdefg1", "ABCDEFG1"])
def test_weak_passwords_are_refused(weak: str) -> None:
    with pytest.raises(ValidationError) as raised:
        passwords.check_policy(weak)
    assert raised.value.code is ErrorCode.WEAK_PASSWORD


@pytest.mark.parametrize("strong", ["abcdefg1A", "abcdefg1!", "ABCDEFG1!", "平湖abc123"])
def test_three_of_four_classes_pass(strong: str) -> None:
    passwords.check_policy(strong)


def test_passwords_are_stored_as_argon2id() -> None:
    hashed = passwords.hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, PASSWORD)
    assert not passwords.verify_password(hashed, PASSWORD + "x")
    assert not passwords.verify_password(None, PASSWORD)


async def test_sign_in_by_username_or_mobile_starts_a_session() -> None:
    user = await make_user("zhang.wei", mobile="13812341234")
    by_name = await service.sign_in(actor=ANONYMOUS, identifier="zhang.wei", password=PASSWORD)
    by_mobile = await service.sign_in(actor=ANONYMOUS, identifier="13812341234", password=PASSWORD)
    assert by_name.user.id == by_mobile.user.id == user.id
    assert by_name.session_secret != by_mobile.session_secret
    actor = await service.actor_for_session(by_name.session_secret)
    assert actor is not None
    assert actor.user_id == user.id
    assert await Session.filter(user_id=user.id).count() == 2
    stored = await Session.filter(user_id=user.id).values_list("secret_hash", flat=True)
    assert by_name.session_secret not in stored


async def test_wrong_password_and_unknown_user_say_the_same() -> None:
    await make_user("li.na")
    for identifier in ("li.na", "nobody"):
        with pytest.raises(DomainError) as raised:
            await service.sign_in(actor=ANONYMOUS, identifier=identifier, password="Wrong-pass1")
        assert raised.value.code is ErrorCode.BAD_CREDENTIALS
    assert await AuditEntry.filter(action="auth.sign_in_failed").count() == 2


async def test_five_failures_lock_the_account_for_fifteen_minutes() -> None:
    user = await make_user("wang.fang")
    for _ in range(4):
        with pytest.raises(DomainError) as raised:
            await service.sign_in(actor=ANONYMOUS, identifier="wang.fang", password="Wrong-pass1")
        assert raised.value.code is ErrorCode.BAD_CREDENTIALS
    with pytest.raises(DomainError) as fifth:
        await service.sign_in(actor=ANONYMOUS, identifier="wang.fang", password="Wrong-pass1")
    assert fifth.value.code is ErrorCode.ACCOUNT_LOCKED
    assert "15 分钟" in fifth.value.message
    with pytest.raises(DomainError) as even_right:
        await service.sign_in(actor=ANONYMOUS, identifier="wang.fang", password=PASSWORD)
    assert even_right.value.code is ErrorCode.ACCOUNT_LOCKED
    await User.filter(id=user.id).update(locked_until=datetime.now(UTC) - timedelta(seconds=1))
    assert (
        await service.sign_in(actor=ANONYMOUS, identifier="wang.fang", password=PASSWORD)
    ).user.id == user.id


async def test_a_new_sign_in_ends_the_previous_session_of_the_browser() -> None:
    await make_user("chen.jie")
    first = await service.sign_in(actor=ANONYMOUS, identifier="chen.jie", password=PASSWORD)
    second = await service.sign_in(actor=first.actor, identifier="chen.jie", password=PASSWORD)
    assert await service.actor_for_session(first.session_secret) is None
    assert await service.actor_for_session(second.session_secret) is not None


async def test_sessions_expire_when_idle_or_too_old_and_end_at_sign_out() -> None:
    await make_user("zhao.lei")
    signed = await service.sign_in(actor=ANONYMOUS, identifier="zhao.lei", password=PASSWORD)
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    await Session.all().update(last_seen_at=long_ago)
    assert await service.actor_for_session(signed.session_secret) is None
    await Session.all().update(last_seen_at=datetime.now(UTC), expires_at=datetime.now(UTC))
    assert await service.actor_for_session(signed.session_secret) is None
    fresh = await service.sign_in(actor=ANONYMOUS, identifier="zhao.lei", password=PASSWORD)
    await service.sign_out(actor=fresh.actor)
    assert await service.actor_for_session(fresh.session_secret) is None


async def test_changing_the_password_ends_other_sessions() -> None:
    await make_user("sun.li")
    here = await service.sign_in(actor=ANONYMOUS, identifier="sun.li", password=PASSWORD)
    elsewhere = await service.sign_in(actor=ANONYMOUS, identifier="sun.li", password=PASSWORD)
    with pytest.raises(ValidationError):
        await service.change_password(actor=here.actor, current="wrong", new="Another-pass2")
    await service.change_password(actor=here.actor, current=PASSWORD, new="Another-pass2")
    assert await service.actor_for_session(here.session_secret) is not None
    assert await service.actor_for_session(elsewhere.session_secret) is None
    assert (await service.sign_in(actor=ANONYMOUS, identifier="sun.li", password="Another-pass2")).user


async def test_tokens_are_shown_once_stored_hashed_and_carry_scopes() -> None:
    user = await make_user("app.dev")
    actor = await actor_of(user)
    issued = await service.create_token(actor=actor, name="数据看板", scopes=["write:grids"])
    assert issued.secret.startswith("lz_")
    assert issued.token.scopes == ["read", "write:grids"]
    assert issued.secret not in {issued.token.secret_hash, issued.token.prefix}
    check = await service.actor_for_token(issued.secret)
    assert check.actor is not None
    assert check.actor.token_scopes == frozenset({"read", "write:grids"})
    assert (await ApiToken.get(id=issued.token.id)).last_used_at is not None


async def test_revoked_expired_and_unknown_tokens_are_refused_with_a_reason() -> None:
    user = await make_user("app.two")
    actor = await actor_of(user)
    revoked = await service.create_token(actor=actor, name="旧令牌")
    await service.revoke_token(actor=actor, token_id=revoked.token.id)
    expired = await service.create_token(actor=actor, name="过期令牌")
    await ApiToken.filter(id=expired.token.id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert (await service.actor_for_token(revoked.secret)).reason == "令牌已被撤销"
    assert (await service.actor_for_token(expired.secret)).reason == "令牌已过期"
    assert (await service.actor_for_token("lz_nonsense")).reason == "令牌无效"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"scopes": ["write:everything"]}, ErrorCode.INVALID_SCOPE),
        ({"expires_in_days": 0}, ErrorCode.INVALID_EXPIRY),
        ({"expires_in_days": 400}, ErrorCode.INVALID_EXPIRY),
        ({"name": " "}, ErrorCode.INVALID_NAME),
    ],
)
async def test_bad_token_requests_create_nothing(kwargs: dict[str, object], code: ErrorCode) -> None:
    actor = await actor_of(await make_user("app.three"))
    arguments: dict[str, object] = {"name": "令牌", **kwargs}
    with pytest.raises(ValidationError) as raised:
        await service.create_token(actor=actor, **arguments)  # type: ignore[arg-type]
    assert raised.value.code is code
    assert await ApiToken.all().count() == 0


async def test_a_token_cannot_make_tokens_without_the_accounts_scope() -> None:
    actor = await actor_of(await make_user("app.four"), scopes=frozenset({"read"}))
    with pytest.raises(PermissionDenied):
        await service.create_token(actor=actor, name="再生令牌")


async def test_someone_elses_token_looks_not_found() -> None:
    owner = await actor_of(await make_user("owner.one"))
    other = await actor_of(await make_user("other.one"))
    issued = await service.create_token(actor=owner, name="私有")
    with pytest.raises(NotFound):
        await service.revoke_token(actor=other, token_id=issued.token.id)
    assert (await ApiToken.get(id=issued.token.id)).revoked_at is None


async def test_bureau_staff_grant_ordinary_roles_but_not_admin() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    bureau = await actor_of(await make_user("bureau.one", Role.BUREAU_STAFF))
    target = await make_user("target.one")
    await service.grant_role(actor=bureau, user_id=target.id, role=Role.GRID_STAFF, cell_id=tree.town.id)
    with pytest.raises(PermissionDenied):
        await service.grant_role(actor=bureau, user_id=target.id, role=Role.ADMIN)
    roles = await RoleAssignment.filter(user_id=target.id).values_list("role", flat=True)
    assert list(roles) == [Role.GRID_STAFF]


async def test_grid_staff_must_be_scoped_and_the_scope_limits_them() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    with pytest.raises(ValidationError):
        await make_user("grid.unscoped", Role.GRID_STAFF)
    staff = await actor_of(await make_user("grid.one", Role.GRID_STAFF, cell=tree.community))
    assert staff.has_role_over(tree.micro_grids[0].path, Role.GRID_STAFF)
    assert not staff.has_role_over(tree.village.path, Role.GRID_STAFF)


async def test_residents_cannot_manage_users() -> None:
    resident = await actor_of(await make_user("resident.one", Role.RESIDENT))
    with pytest.raises(PermissionDenied):
        await service.create_user(actor=resident, name="某人", username="someone", password=PASSWORD)
    assert not await User.filter(username="someone").exists()


async def test_unmasking_needs_permission_and_is_audited() -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    head = await Person.create(name="周建国", mobile="13900001111")
    await tree.grids[0].__class__.filter(id=tree.grids[0].id).update(head_id=head.id)
    in_scope = await actor_of(await make_user("grid.two", Role.GRID_STAFF, cell=tree.community))
    out_of_scope = await actor_of(await make_user("grid.three", Role.GRID_STAFF, cell=tree.village))
    person = await service.unmask_person(actor=in_scope, person_id=head.id, reason="核实网格长联系方式")
    assert person.mobile == "13900001111"
    with pytest.raises(PermissionDenied):
        await service.unmask_person(actor=out_of_scope, person_id=head.id, reason="好奇")
    entries = await AuditEntry.filter(action="person.unmask").values_list("actor_label", flat=True)
    assert list(entries) == ["grid.two"]


async def test_anonymous_actors_cannot_unmask() -> None:
    from domain.errors import Unauthenticated

    head = await Person.create(name="周建国", mobile="13900001111")
    with pytest.raises(Unauthenticated):
        await service.unmask_person(actor=Actor(), person_id=head.id, reason="看看")
