"""The keyed audit chain: every hashed field is covered, a row rewritten without the key does not
verify, keys rotate (old rows keep verifying under their key id), chains from before keys existed
still verify, and a published anchor exposes deleted newest rows and refuses forgeries."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tortoise import connections
from tortoise.context import TortoiseContext

from api import cli
from api.settings import ConfigurationError, Settings
from domain.access import Actor
from domain.audit import anchors
from domain.audit import keys as audit_keys
from domain.audit import service as audit_service
from domain.audit.keys import LEGACY, Keyring
from domain.audit.models import AuditEntry
from domain.audit.service import GENESIS, _canonical, compute_hash, record, verify_chain
from domain.db import tortoise_config
from tests.conftest import POSTGRES_URL
from tests.test_migrations import _empty_database, _migrate_to

KEY_1 = ("k1", "first-audit-key-0123456789abcdefghijkl")
KEY_2 = ("k2", "second-audit-key-0123456789abcdefghijk")
CLERK = Actor(user_id=7, display_name="li.clerk", token_id=3, request_id="req-1", ip="10.0.0.8")


@pytest.fixture(autouse=True)
def keys() -> Iterator[None]:
    """Each test starts from the keyring it sets; the development keyring is restored after."""
    before = audit_keys.keyring()
    audit_keys.configure(Keyring.of([KEY_1]))
    yield
    audit_keys.configure(before)


async def _record(n: int) -> list[AuditEntry]:
    """n changes to one cell: one chain."""
    return [await record(CLERK, "grid.update", "GridCell", 1, name=f"第{i + 1}次") for i in range(n)]


# Each hashed field of row 3, and a value it did not have.
TAMPERING: dict[str, Any] = {
    "seq": 103,
    "at": "later",
    "actor_user_id": 8,
    "actor_label": "someone.else",
    "token_id": 4,
    "action": "grid.view",
    "object_type": "Person",
    "object_id": "99",
    "summary": {"name": "篡改"},
    "request_id": "req-2",
    "ip": "10.0.0.9",
    "prev_hash": "f" * 64,
    "hash": "e" * 64,
    "key_id": "k9",
    "chain": 5,
    "chain_seq": 33,
    "form": 1,
}


def test_the_tampering_list_covers_every_column() -> None:
    # a column added to the model must be added to the hash and to this list
    assert set(TAMPERING) == set(AuditEntry._meta.fields_map) - {"id"}
    row = AuditEntry(
        seq=1,
        at=datetime.now(UTC),
        action="a",
        summary={},
        prev_hash=GENESIS,
        key_id="k1",
        chain=3,
        chain_seq=1,
        form=2,
    )
    hashed = set(json.loads(_canonical(row)))
    assert hashed == set(TAMPERING) - {"hash"}


@pytest.mark.usefixtures("db")
@pytest.mark.parametrize("column", list(TAMPERING))
async def test_editing_any_field_of_a_row_names_that_row(column: str) -> None:
    # GIVEN a chain of five rows
    rows = await _record(5)
    row = rows[2]
    value = row.at + timedelta(microseconds=1) if column == "at" else TAMPERING[column]
    # WHEN one field of row 3 is edited in the database
    await AuditEntry.filter(id=row.id).update(**{column: value})
    # THEN verification stops at row 3 (a row moved to another chain: where it landed, or at the
    # gap it left in its own)
    report = await verify_chain()
    assert report.first_broken_seq in (
        {row.seq, rows[3].seq}
        if column in ("chain", "chain_seq")
        else {value if column == "seq" else row.seq}
    )
    assert report.reason is not None
    if column not in ("chain", "chain_seq"):
        assert report.checked == 2, report


@pytest.mark.usefixtures("db")
@pytest.mark.parametrize("attacker_key", [None, "a-guessed-key-0123456789abcdefghijklmn"])
async def test_the_newest_row_rewritten_without_the_key_does_not_verify(attacker_key: str | None) -> None:
    # GIVEN a chain, WHEN its newest row (no later link to break) is edited and rehashed by someone
    # without the key: with plain SHA-256, or an HMAC under a key of their own
    row = (await _record(4))[3]
    row.summary = {"name": "篡改"}
    if attacker_key is None:
        row.hash = hashlib.sha256(_canonical(row)).hexdigest()
    else:
        row.hash = compute_hash(row, Keyring.of([("k1", attacker_key)]))
    await row.save(update_fields=["summary", "hash"])
    # THEN the row does not verify
    report = await verify_chain()
    assert report.first_broken_seq == row.seq
    assert "记录内容与哈希不符" in str(report.reason)


@pytest.mark.usefixtures("db")
async def test_a_keyed_row_cannot_be_downgraded_to_a_legacy_one() -> None:
    row = (await _record(3))[2]
    row.key_id, row.summary = LEGACY, {"name": "篡改"}
    row.hash = compute_hash(row)  # the plain SHA-256 a legacy row carries
    await row.save(update_fields=["key_id", "summary", "hash"])
    report = await verify_chain()
    assert report.first_broken_seq == row.seq
    assert "旧式记录出现在带密钥的记录之后" in str(report.reason)


@pytest.mark.usefixtures("db")
async def test_verifying_with_another_key_fails_at_the_first_row() -> None:
    first = (await _record(3))[0]
    audit_keys.configure(Keyring.of([("k1", "not-the-key-the-rows-were-written-with")]))
    report = await verify_chain()
    assert (report.first_broken_seq, report.checked) == (first.seq, 0)
    assert "密钥" in str(report.reason)
    audit_keys.configure(Keyring.of([KEY_2]))
    report = await verify_chain()
    assert report.first_broken_seq == first.seq
    assert "'k1' 未配置" in str(report.reason)


@pytest.mark.usefixtures("db")
async def test_rotation_keeps_old_rows_verifying_under_their_key() -> None:
    # GIVEN rows written under key 1
    first = (await _record(3))[0]
    # WHEN key 2 is added as the newest, and more rows are written
    audit_keys.configure(Keyring.of([KEY_1, KEY_2]))
    await _record(2)
    # THEN new rows use key 2, and the whole chain verifies across the switch
    assert await AuditEntry.all().order_by("seq").values_list("key_id", flat=True) == ["k1"] * 3 + ["k2"] * 2
    report = await verify_chain()
    assert (report.ok, report.checked) == (True, 5)
    # AND dropping key 1 too early is reported, not silently accepted
    audit_keys.configure(Keyring.of([KEY_2]))
    assert (await verify_chain()).first_broken_seq == first.seq


@pytest.mark.parametrize("database", ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"])
async def test_a_chain_from_before_keys_still_verifies_after_the_migration(
    database: str, tmp_path: Path
) -> None:
    with _empty_database(database, tmp_path) as url:
        # GIVEN a database at 0006 whose audit rows were hashed with plain SHA-256
        await _migrate_to(url, "models.0006_activity_month_count")
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(url))
            await _insert_legacy_rows(3, postgres=database == "postgres")
        # WHEN the key_id migration runs, and the application writes keyed rows after them
        await _migrate_to(url)
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(url))
            assert await AuditEntry.all().order_by("seq").values_list("key_id", flat=True) == [LEGACY] * 3
            await _record(2)
            # THEN the old rows verify as they did, and the keyed ones after them
            report = await verify_chain()
            assert (report.ok, report.checked, report.legacy) == (True, 5, 3)
            # AND an old row is still protected: editing it breaks the chain
            await AuditEntry.filter(seq=2).update(action="grid.view")
            assert (await verify_chain()).first_broken_seq == 2


# --- the chains and the anchor rows between them ----------------------------------------------


async def _two_chains() -> tuple[list[AuditEntry], list[AuditEntry]]:
    """Three rows about cell 1 and three about a cell whose rows go to another chain."""
    first = audit_service.chain_of("GridCell", "1", CLERK)
    other = next(i for i in range(2, 100) if audit_service.chain_of("GridCell", str(i), CLERK) != first)
    ones, others = [], []
    for i in range(3):
        ones.append(await record(CLERK, "grid.update", "GridCell", 1, n=i))
        others.append(await record(CLERK, "grid.update", "GridCell", other, n=i))
    return ones, others


@pytest.mark.usefixtures("db")
async def test_rows_reordered_within_a_chain_do_not_verify() -> None:
    ones, _ = await _two_chains()
    # WHEN rows 2 and 3 of one chain swap places (numbers and links), keeping their hashes
    a, b = ones[1], ones[2]
    await AuditEntry.filter(id=a.id).update(chain_seq=1000)
    await AuditEntry.filter(id=b.id).update(chain_seq=a.chain_seq, prev_hash=a.prev_hash)
    await AuditEntry.filter(id=a.id).update(chain_seq=b.chain_seq, prev_hash=b.hash)
    # THEN the first moved row no longer matches its hash
    report = await verify_chain()
    assert report.first_broken_seq in {a.seq, b.seq}
    assert "记录内容与哈希不符" in str(report.reason)


@pytest.mark.usefixtures("db")
async def test_a_row_swapped_into_another_chain_does_not_verify() -> None:
    ones, others = await _two_chains()
    # WHEN the newest rows of the two chains trade chains (number and link follow)
    a, b = ones[2], others[2]
    await AuditEntry.filter(id=a.id).update(chain=100)
    await AuditEntry.filter(id=b.id).update(chain=a.chain, chain_seq=a.chain_seq, prev_hash=a.prev_hash)
    await AuditEntry.filter(id=a.id).update(chain=b.chain, chain_seq=b.chain_seq, prev_hash=b.prev_hash)
    # THEN verification stops at a moved row
    report = await verify_chain()
    assert report.first_broken_seq in {a.seq, b.seq}
    assert "记录内容与哈希不符" in str(report.reason)


@pytest.mark.usefixtures("db")
async def test_a_chain_truncated_behind_an_anchor_row_does_not_verify() -> None:
    ones, _ = await _two_chains()
    anchor = await audit_service.write_anchor(CLERK)
    assert anchor.summary["heads"][str(ones[0].chain)] == [3, ones[2].hash]
    assert (await verify_chain()).ok
    # WHEN one chain's newest row is deleted (what is left of it is still consistent)
    await AuditEntry.filter(id=ones[2].id).delete()
    # THEN the anchor row's pin names the cut
    report = await verify_chain()
    assert report.first_broken_seq == anchor.seq
    assert f"第 {ones[0].chain} 号链被截断" in str(report.reason)


@pytest.mark.usefixtures("db")
async def test_a_deleted_anchor_row_is_missing_from_the_anchor_chain() -> None:
    await _two_chains()
    first = await audit_service.write_anchor(CLERK)
    await record(CLERK, "grid.update", "GridCell", 1)
    second = await audit_service.write_anchor(CLERK)
    assert (second.chain, second.chain_seq, second.prev_hash) == (audit_service.ANCHOR_CHAIN, 2, first.hash)
    # WHEN the older anchor row is deleted
    await AuditEntry.filter(id=first.id).delete()
    # THEN the anchor chain has a gap
    report = await verify_chain()
    assert (report.first_broken_seq, report.reason) == (
        second.seq,
        "锚点链：第 1（链内序号） 条记录缺失（被删除）",
    )


@pytest.mark.usefixtures("db")
async def test_a_rewritten_anchor_row_does_not_verify() -> None:
    await _two_chains()
    anchor = await audit_service.write_anchor(CLERK)
    # WHEN the anchor's pinned heads are edited (to cover a cut), its hash no longer matches
    await AuditEntry.filter(id=anchor.id).update(summary={"heads": {}})
    report = await verify_chain()
    assert report.first_broken_seq == anchor.seq
    assert "记录内容与哈希不符" in str(report.reason)


async def _insert_legacy_rows(n: int, *, postgres: bool) -> None:
    """Rows as the code before keyed hashes wrote them (no key_id column yet)."""
    conn = connections.get("default")
    prev = GENESIS
    for seq in range(1, n + 1):
        at = datetime(2026, 1, seq, 8, 0, tzinfo=UTC)
        row = AuditEntry(
            seq=seq,
            at=at,
            action="grid.update",
            object_type="GridCell",
            object_id=str(seq),
            summary={"name": f"旧{seq}"},
            ip="10.0.0.1",
            prev_hash=prev,
            key_id=LEGACY,
        )
        row.hash = hashlib.sha256(_canonical(row)).hexdigest()
        values = [
            seq,
            at if postgres else at.isoformat(sep=" "),
            "grid.update",
            "GridCell",
            str(seq),
            json.dumps(row.summary),
            "10.0.0.1",
            prev,
            row.hash,
        ]
        marks = ", ".join(f"${i}" for i in range(1, 10)) if postgres else ", ".join("?" * 9)
        await conn.execute_query(
            "INSERT INTO audit_log (seq, at, action, object_type, object_id, summary, ip, prev_hash, hash) "
            f"VALUES ({marks})",
            values,
        )
        prev = row.hash


# --- anchors, through the command ------------------------------------------------------------


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once per module (migrating takes seconds); each test works on a copy."""
    path = tmp_path_factory.mktemp("audit") / "template.sqlite3"
    asyncio.run(_migrate_to(f"sqlite://{path}"))
    return path


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated_template: Path) -> Path:
    """A migrated SQLite file the `linzhi` command works on, with audit key 1 configured."""
    for name in ("LINZHI_AUDIT_KEY", "LINZHI_AUDIT_KEYS", "LINZHI_ENV", "LINZHI_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "audit.sqlite3"
    shutil.copy(migrated_template, path)
    monkeypatch.setenv("LINZHI_DATABASE_URL", f"sqlite://{path}")
    monkeypatch.setenv("LINZHI_AUDIT_KEYS", f"{KEY_1[0]}:{KEY_1[1]}")
    return path


def _write(work: Any) -> Any:
    return asyncio.run(cli._with_orm(Settings.from_env(), work))


def _linzhi(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = cli.main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_an_anchor_detects_deleted_newest_rows(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a chain of six rows and the anchor published today (its anchor row is row 7)
    _write(lambda: _record(6))
    status, anchor, _ = _linzhi(capsys, "audit", "anchor")
    assert status == 0
    assert json.loads(anchor)["seq"] == 7
    assert _linzhi(capsys, "audit", "verify", "--anchor", anchor.strip())[0] == 0
    # WHEN the newest rows are deleted, the anchor row with them (what is left is still a
    # consistent chain)
    _write(lambda: AuditEntry.filter(seq__gte=5).delete())
    assert _linzhi(capsys, "audit", "verify")[:2] == (0, "审计链完整：4 条记录\n")
    # THEN verifying against the published anchor fails, naming the truncation
    status, _, err = _linzhi(capsys, "audit", "verify", "--anchor", anchor.strip())
    assert status == 1
    assert "审计链被截断：锚定的第 7 条记录已不存在（现存最新为第 4 条）" in err
    assert "truncated" in err


def test_an_anchor_row_detects_a_chain_cut_behind_it(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN six rows, then an anchor row pinning their chain's head
    _write(lambda: _record(6))
    assert _linzhi(capsys, "audit", "anchor")[0] == 0
    # WHEN the chain's two newest rows are deleted, the anchor row left in place
    _write(lambda: AuditEntry.filter(seq__in=[5, 6]).delete())
    # THEN plain verification (no published anchor needed) names the cut
    status, _, err = _linzhi(capsys, "audit", "verify")
    assert status == 1
    assert "被截断：锚点记录（第 7 条）锚定的第 6 条记录已不存在" in err


def test_anchors_from_a_file_and_a_rewritten_anchored_row(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN two days of anchors kept in a file (anchor rows 3 and 6)
    _write(lambda: _record(2))
    first = _linzhi(capsys, "audit", "anchor")[1]
    _write(lambda: _record(2))
    second = _linzhi(capsys, "audit", "anchor")[1]
    published = tmp_path / "anchors.txt"
    published.write_text(first + "\n" + second, encoding="utf-8")
    status, out, _ = _linzhi(capsys, "audit", "verify", "--anchor", str(published))
    assert status == 0
    assert "与锚点相符：第 3 条" in out
    assert "与锚点相符：第 6 条" in out

    # WHEN the whole log is rewritten as one chain of plain-SHA-256 "legacy" rows, row 2 changed
    # (which plain verification cannot tell from a chain that predates keys and chains)
    async def rewrite() -> None:
        rows = await AuditEntry.all().order_by("seq")
        prev = GENESIS
        for row in rows:
            row.prev_hash, row.key_id = prev, LEGACY
            row.chain, row.chain_seq, row.form = 0, row.seq, 1
            if row.seq == 2:
                row.summary = {"name": "改写"}
            row.hash = compute_hash(row)
            await row.save()
            prev = row.hash

    _write(rewrite)
    assert _linzhi(capsys, "audit", "verify")[0] == 0
    # THEN the anchors do not match it any more
    status, _, err = _linzhi(capsys, "audit", "verify", "--anchor", str(published))
    assert status == 1
    assert "锚定的第 3 条记录的哈希与锚点不符" in err


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda a: {**a, "seq": a["seq"] - 1}, id="moved-back"),
        pytest.param(lambda a: {**a, "hash": "0" * 64}, id="other-hash"),
        pytest.param(lambda a: {**a, "sig": "0" * 64}, id="made-up-signature"),
        pytest.param(lambda a: {**a, "key_id": "k9"}, id="unknown-key"),
        pytest.param(lambda a: "{not json", id="garbage"),
    ],
)
def test_a_forged_anchor_is_refused(database: Path, capsys: pytest.CaptureFixture[str], forge: Any) -> None:
    _write(lambda: _record(3))
    genuine = json.loads(_linzhi(capsys, "audit", "anchor")[1])
    forged = forge(genuine)
    token = forged if isinstance(forged, str) else json.dumps(forged)
    status, _, err = _linzhi(capsys, "audit", "verify", "--anchor", token)
    assert status == 1
    assert "锚点被拒绝" in err


def test_an_anchor_signed_with_another_key_is_refused(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(lambda: _record(1))
    anchor = _linzhi(capsys, "audit", "anchor")[1].strip()
    with pytest.raises(anchors.BadAnchor, match="签名无效"):
        anchors.parse(anchor, Keyring.of([("k1", "someone-elses-key-0123456789abcdefghij")]))


def test_an_anchor_signed_with_an_older_key_still_verifies_after_rotation(
    database: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(lambda: _record(2))
    anchor = _linzhi(capsys, "audit", "anchor")[1].strip()
    monkeypatch.setenv("LINZHI_AUDIT_KEYS", f"{KEY_1[0]}:{KEY_1[1]},{KEY_2[0]}:{KEY_2[1]}")
    _write(lambda: _record(2))
    status, _out, err = _linzhi(capsys, "audit", "verify", "--anchor", anchor)
    assert status == 0, err
    assert json.loads(_linzhi(capsys, "audit", "anchor")[1])["key_id"] == "k2"


# --- configuration ---------------------------------------------------------------------------


def test_production_requires_an_audit_key() -> None:
    production = {"LINZHI_ENV": "production", "LINZHI_SECRET_KEY": "s" * 40}
    with pytest.raises(ConfigurationError, match="LINZHI_AUDIT_KEY"):
        Settings.from_env(production)
    with pytest.raises(ConfigurationError, match="太短"):
        Settings.from_env({**production, "LINZHI_AUDIT_KEY": "short"})
    settings = Settings.from_env({**production, "LINZHI_AUDIT_KEY": "a" * 40})
    assert settings.audit_keyring().current == "1"
    rotated = Settings.from_env({**production, "LINZHI_AUDIT_KEYS": f"1:{'a' * 40}, 2026b:{'b' * 40}"})
    assert (sorted(rotated.audit_keyring().keys), rotated.audit_keyring().current) == (
        ["1", "2026b"],
        "2026b",
    )
    assert "a" * 40 not in repr(rotated)


def test_development_derives_a_key_from_the_secret_key() -> None:
    plain = Settings.from_env({}).audit_keyring()
    derived = Settings.from_env({"LINZHI_SECRET_KEY": "x" * 40}).audit_keyring()
    other = Settings.from_env({"LINZHI_SECRET_KEY": "y" * 40}).audit_keyring()
    assert plain.current == "dev"
    assert derived.current == "dev-secret"
    assert derived.signing_key != other.signing_key
    assert derived.key("dev") == plain.signing_key  # rows written before the secret was set verify
