"""Account administration: the name an account is greeted by, the sign-in mobile unique among
accounts, an administrator's password reset (a temporary password that must be changed) and
unlock. Both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.access import ANONYMOUS, Role
from domain.accounts import passwords, queries, service
from domain.accounts.models import ApiToken, Session, User
from domain.audit.models import AuditEntry
from domain.errors import DomainError, ErrorCode, PermissionDenied, ValidationError
from domain.people.models import Person
from tests.accounts import PASSWORD, actor_of, make_user

pytestmark = pytest.mark.usefixtures("db")

MOBILE = "13812341234"
NEW_PASSWORD = "Dangshan-Road-7"


async def _lock(username: str) -> None:
    for _ in range(5):
        with pytest.raises(DomainError):
            await service.sign_in(actor=ANONYMOUS, identifier=username, password="Wrong-pass-1")


# --- the name an account is greeted by ---------------------------------------------------------


async def test_an_actor_is_greeted_by_its_persons_name_and_audited_by_its_username() -> None:
    await make_user("zhang.wei", name="张伟")
    signed = await service.sign_in(actor=ANONYMOUS, identifier="zhang.wei", password=PASSWORD)
    actor = await service.actor_for_session(signed.session_secret)
    assert actor is not None
    assert (actor.shown_name, actor.display_name, actor.is_demo) == ("张伟", "zhang.wei", False)
    entry = await AuditEntry.get(action="auth.sign_in")
    assert entry.actor_label == "zhang.wei"


async def test_a_demo_account_is_flagged_on_its_actor() -> None:
    user = await service.create_user(
        actor=service.SYSTEM, name="演示用户", username="demo.x", password=PASSWORD, is_demo=True
    )
    signed = await service.sign_in(actor=ANONYMOUS, identifier="demo.x", password=PASSWORD)
    assert signed.actor.is_demo
    assert signed.actor.name == "演示用户"
    assert signed.user.id == user.id


# --- one mobile, one account ---------------------------------------------------------------------


async def test_creating_an_account_with_another_accounts_mobile_is_refused() -> None:
    await make_user("zhang.wei", mobile=MOBILE)
    people = await Person.all().count()
    with pytest.raises(ValidationError) as raised:
        await service.create_user(
            actor=service.SYSTEM, name="李娜", username="li.na", password=PASSWORD, mobile="+86 138-1234-1234"
        )
    assert (raised.value.code, raised.value.field) == (ErrorCode.DUPLICATE_MOBILE, ["mobile"])
    assert not await User.filter(username="li.na").exists()
    assert await Person.all().count() == people
    # AND an account without a mobile, or with another one, is fine
    await make_user("li.na")
    await make_user("wang.fang", mobile="13912345678")


async def test_signing_in_by_mobile_reaches_the_one_account_that_has_it() -> None:
    await make_user("zhang.wei")
    owner = await make_user("li.na", mobile=MOBILE)
    signed = await service.sign_in(actor=ANONYMOUS, identifier=MOBILE, password=PASSWORD)
    assert signed.user.id == owner.id


async def test_two_simultaneous_creates_with_one_mobile_let_exactly_one_through() -> None:
    async def create(n: int) -> str:
        try:
            await service.create_user(
                actor=service.SYSTEM, name=f"同时{n}", username=f"same.{n}", password=PASSWORD, mobile=MOBILE
            )
        except ValidationError as error:
            return error.code.value
        return "created"

    outcomes = await asyncio.gather(*(create(n) for n in range(4)))
    assert sorted(outcomes) == ["DUPLICATE_MOBILE"] * 3 + ["created"]
    assert await User.filter(mobile=MOBILE).count() == 1
    assert await Person.filter(mobile=MOBILE).count() == 1


async def test_editing_an_account_refuses_another_accounts_mobile() -> None:
    bureau = await actor_of(await make_user("bureau.chen", Role.BUREAU_STAFF))
    await make_user("zhang.wei", mobile=MOBILE)
    user = await make_user("li.na", mobile="13912345678", name="李娜")
    with pytest.raises(ValidationError) as raised:
        await service.update_user(actor=bureau, user_id=user.id, name="李娜", mobile=MOBILE)
    assert raised.value.code is ErrorCode.DUPLICATE_MOBILE
    assert (await queries.user_by_id(user.id)).person.mobile == "13912345678"
    # WHEN the name is corrected and the mobile left as it is, THEN both are kept as given
    edited = await service.update_user(actor=bureau, user_id=user.id, name="李丽娜")
    assert (edited.person.name, edited.person.mobile, edited.mobile) == (
        "李丽娜",
        "13912345678",
        "13912345678",
    )
    # AND a new mobile is the new sign-in mobile; the old one reaches nobody
    await service.update_user(actor=bureau, user_id=user.id, name="李丽娜", mobile="13700001111")
    assert (
        await service.sign_in(actor=ANONYMOUS, identifier="13700001111", password=PASSWORD)
    ).user.id == user.id
    with pytest.raises(DomainError):
        await service.sign_in(actor=ANONYMOUS, identifier="13912345678", password=PASSWORD)
    # AND clearing it leaves the account without one
    cleared = await service.update_user(actor=bureau, user_id=user.id, name="李丽娜", clear_mobile=True)
    assert (cleared.mobile, cleared.person.mobile) == (None, None)
    assert await AuditEntry.filter(action="user.update").count() == 3


async def test_only_an_admin_edits_an_admins_account() -> None:
    bureau = await actor_of(await make_user("bureau.chen", Role.BUREAU_STAFF))
    admin = await make_user("admin.li", Role.ADMIN, name="李管理")
    with pytest.raises(PermissionDenied):
        await service.update_user(actor=bureau, user_id=admin.id, name="别人")
    assert (await queries.user_by_id(admin.id)).person.name == "李管理"


async def test_accounts_sharing_a_mobile_are_listed_by_the_check() -> None:
    # GIVEN two accounts whose people have one mobile (as before the rule), and one account
    # whose sign-in mobile was left empty for it
    first = await make_user("zhang.wei", mobile=MOBILE)
    second = await make_user("li.na")
    third = await make_user("wang.fang")
    assert (await queries.check_mobiles()).clean
    await Person.filter(id=second.person_id).update(mobile=MOBILE)
    await Person.filter(id=third.person_id).update(mobile="13900002222")
    # THEN the check names them
    check = await queries.check_mobiles()
    assert check.clashes == [queries.MobileClash(MOBILE, ["li.na", "zhang.wei"])]
    assert check.unsynced == ["wang.fang"]
    # WHEN the administrator gives one a new number and re-saves the other's
    bureau = await actor_of(await make_user("bureau.chen", Role.BUREAU_STAFF))
    await User.filter(id=first.id).update(mobile=None)  # as migration 0011 left it
    await service.update_user(actor=bureau, user_id=second.id, name="李娜", mobile="13700001111")
    await service.update_user(actor=bureau, user_id=first.id, name="张伟")
    await service.update_user(actor=bureau, user_id=third.id, name="王芳")
    # THEN the check passes and each number signs its own account in
    assert (await queries.check_mobiles()).clean
    assert (await service.sign_in(actor=ANONYMOUS, identifier=MOBILE, password=PASSWORD)).user.id == first.id


# --- password reset --------------------------------------------------------------------------------


async def test_a_reset_gives_a_temporary_password_that_must_be_changed() -> None:
    # GIVEN a resident signed in twice, locked out of a third browser, with a token
    bureau = await actor_of(await make_user("bureau.chen", Role.BUREAU_STAFF))
    user = await make_user("zhang.wei", Role.RESIDENT, name="张伟")
    await service.sign_in(actor=ANONYMOUS, identifier="zhang.wei", password=PASSWORD)
    await service.sign_in(actor=ANONYMOUS, identifier="zhang.wei", password=PASSWORD)
    token = await service.create_token(actor=await actor_of(user), name="应用")
    await _lock("zhang.wei")
    # WHEN bureau staff reset their password
    temporary = await service.reset_password(actor=bureau, user_id=user.id)
    # THEN it meets the policy, is not stored, the old one no longer works, sessions and lockout end
    passwords.check_policy(temporary)
    stored = await User.get(id=user.id)
    assert stored.must_change_password
    assert temporary not in (stored.password_hash or "")
    assert await Session.filter(user_id=user.id, revoked_at__isnull=True).count() == 0
    entry = await AuditEntry.get(action="user.reset_password")
    assert entry.object_id == str(user.id)
    assert temporary not in str(entry.summary)
    with pytest.raises(DomainError):
        await service.sign_in(actor=ANONYMOUS, identifier="zhang.wei", password=PASSWORD)
    # AND signing in with it gives a session that holds no role until the password changes
    signed = await service.sign_in(actor=ANONYMOUS, identifier="zhang.wei", password=temporary)
    assert signed.actor.must_change_password
    assert signed.actor.grants == ()
    by_token = (await service.actor_for_token(token.secret)).actor
    assert by_token is not None
    assert by_token.grants == ()
    await service.change_password(actor=signed.actor, current=temporary, new=NEW_PASSWORD)
    after = await service.actor_for_session(signed.session_secret)
    assert after is not None
    assert not after.must_change_password
    assert after.roles == {Role.RESIDENT}
    assert await ApiToken.filter(id=token.token.id, revoked_at__isnull=True).exists()


async def test_two_resets_give_two_passwords_and_only_the_last_works() -> None:
    bureau = await actor_of(await make_user("bureau.chen", Role.BUREAU_STAFF))
    user = await make_user("zhang.wei")
    first = await service.reset_password(actor=bureau, user_id=user.id)
    second = await service.reset_password(actor=bureau, user_id=user.id)
    assert first != second
    with pytest.raises(DomainError):
        await service.sign_in(actor=ANONYMOUS, identifier="zhang.wei", password=first)
    assert (
        await service.sign_in(actor=ANONYMOUS, identifier="zhang.wei", password=second)
    ).user.id == user.id


async def test_resets_follow_separation_of_duties() -> None:
    bureau_user = await make_user("bureau.chen", Role.BUREAU_STAFF)
    bureau = await actor_of(bureau_user)
    admin = await actor_of(await make_user("admin.li", Role.ADMIN))
    other_admin = await make_user("admin.wang", Role.ADMIN)
    resident = await make_user("zhang.wei", Role.RESIDENT)
    app = await service.create_user(
        actor=service.SYSTEM, name="应用", username="app.one", password=None, is_app=True
    )
    refusals: list[tuple[object, int, type[DomainError]]] = [
        (bureau, other_admin.id, PermissionDenied),  # only an ADMIN manages an ADMIN
        (await actor_of(resident), bureau_user.id, PermissionDenied),  # residents manage nobody
        (await actor_of(bureau_user, scopes=frozenset({"read"})), resident.id, PermissionDenied),  # by token
        (bureau, bureau_user.id, ValidationError),  # one's own: 我的账号
        (admin, app.id, ValidationError),  # app accounts have no password
    ]
    for who, target, error in refusals:
        with pytest.raises(error):
            await service.reset_password(actor=who, user_id=target)  # type: ignore[arg-type]
    assert not await User.filter(must_change_password=True).exists()
    assert not await AuditEntry.filter(action="user.reset_password").exists()
    await service.reset_password(actor=admin, user_id=other_admin.id)
    assert (await User.get(id=other_admin.id)).must_change_password


# --- unlock ---------------------------------------------------------------------------------------


async def test_an_unlocked_account_signs_in_at_once_and_the_unlock_is_audited() -> None:
    bureau = await actor_of(await make_user("bureau.chen", Role.BUREAU_STAFF))
    user = await make_user("zhang.wei")
    assert not await service.unlock_user(actor=bureau, user_id=user.id)  # not locked: nothing to do
    await _lock("zhang.wei")
    assert await service.unlock_user(actor=bureau, user_id=user.id)
    stored = await User.get(id=user.id)
    assert (stored.locked_until, stored.failed_attempts) == (None, 0)
    assert (
        await service.sign_in(actor=ANONYMOUS, identifier="zhang.wei", password=PASSWORD)
    ).user.id == user.id
    assert await AuditEntry.filter(action="user.unlock", object_id=str(user.id)).count() == 1


async def test_an_expired_lock_needs_no_unlock_and_an_admins_lock_is_an_admins_to_lift() -> None:
    bureau = await actor_of(await make_user("bureau.chen", Role.BUREAU_STAFF))
    admin = await make_user("admin.li", Role.ADMIN)
    await User.filter(id=admin.id).update(locked_until=datetime.now(UTC) + timedelta(minutes=10))
    with pytest.raises(PermissionDenied):
        await service.unlock_user(actor=bureau, user_id=admin.id)
    assert (await User.get(id=admin.id)).locked_until is not None
    await User.filter(id=admin.id).update(locked_until=datetime.now(UTC) - timedelta(minutes=1))
    assert not await service.unlock_user(actor=await actor_of(admin), user_id=admin.id)
    assert not await AuditEntry.filter(action="user.unlock").exists()
