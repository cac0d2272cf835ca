"""The account and audit commands as operators run them: `linzhi createadmin`, `linzhi audit
verify`, `linzhi rollup verify|rebuild`, and `linzhi serve` refusing demo accounts in production,
each a real process on a migrated SQLite file."""

from __future__ import annotations

import fcntl
import os
import select
import shutil
import sqlite3
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from domain.accounts import passwords
from seeds.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from tests.conftest import _free_port

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Admin-Pinghu-2026"
PRODUCTION = {"LINZHI_ENV": "production", "LINZHI_SECRET_KEY": "s" * 40, "LINZHI_AUDIT_KEY": "a" * 40}


def _env(database: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LINZHI_")}
    return {**clean, "LINZHI_DATABASE_URL": f"sqlite://{database}", **extra}


def _cli(
    database: Path, *args: str, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=_env(database, **env),
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Migrated databases: empty, seeded, and with one administrator; each test gets a copy."""
    folder = tmp_path_factory.mktemp("templates")
    migrated, seeded, admin = (folder / f"{name}.sqlite3" for name in ("migrated", "seeded", "admin"))
    assert _cli(migrated, "migrate").returncode == 0
    shutil.copy(migrated, seeded)
    assert _cli(seeded, "seed").returncode == 0
    shutil.copy(migrated, admin)
    first = ["--username", "admin.first", "--name", "顾晓东", "--password-stdin"]
    assert _cli(admin, "createadmin", *first, stdin=PASSWORD).returncode == 0
    return {"migrated": migrated, "seeded": seeded, "admin": admin}


@pytest.fixture
def migrated(templates: dict[str, Path], tmp_path: Path) -> Path:
    return Path(shutil.copy(templates["migrated"], tmp_path / "linzhi.sqlite3"))


@pytest.fixture
def with_admin(templates: dict[str, Path], tmp_path: Path) -> Path:
    return Path(shutil.copy(templates["admin"], tmp_path / "linzhi.sqlite3"))


@pytest.fixture
def seeded(templates: dict[str, Path], tmp_path: Path) -> Path:
    return Path(shutil.copy(templates["seeded"], tmp_path / "linzhi.sqlite3"))


def _query(database: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as conn:
        return conn.execute(sql, params).fetchall()


def _execute(database: Path, sql: str, *params: object) -> None:
    with sqlite3.connect(database) as conn:
        conn.execute(sql, params)


def _snapshot(database: Path) -> tuple[list[tuple[object, ...]], ...]:
    return tuple(
        _query(database, f"SELECT * FROM {table} ORDER BY id")
        for table in ("person", "app_user", "role_assignment", "audit_log")
    )


# --- linzhi audit verify ----------------------------------------------------------------------


def test_audit_verify_passes_an_intact_chain(seeded: Path) -> None:
    # GIVEN a seeded database: every demo account's creation and role grant were audited, and so
    # were the funding seed's awards (made by the allocation itself, as the command line)
    rows = _query(seeded, "SELECT action FROM audit_log ORDER BY seq")
    assert [r[0] for r in rows[: 2 * len(DEMO_ACCOUNTS)]].count("user.create") == len(DEMO_ACCOUNTS)
    assert "funding.award" in {r[0] for r in rows}
    # WHEN the chain is verified
    result = _cli(seeded, "audit", "verify")
    # THEN it is complete: every row
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"审计链完整：{len(rows)} 条记录"


def test_audit_verify_finds_an_edited_then_a_deleted_row(seeded: Path) -> None:
    # GIVEN someone edits the summary of audit row 5 in the database file
    _execute(seeded, "UPDATE audit_log SET summary = ? WHERE seq = 5", '{"role": "RESIDENT"}')
    # WHEN the chain is verified
    edited = _cli(seeded, "audit", "verify")
    # THEN the command fails and names row 5 as modified
    assert edited.returncode == 1
    assert "审计链断裂：第 5 条记录，记录内容与哈希不符（被修改）" in edited.stderr
    # AND WHEN the first row of row 5's chain is deleted as well, the gap is the first broken link
    ((chain, chain_seq),) = _query(seeded, "SELECT chain, chain_seq FROM audit_log WHERE seq = 5")
    assert isinstance(chain_seq, int)
    assert chain_seq > 1
    _execute(seeded, "DELETE FROM audit_log WHERE chain = ? AND chain_seq = 1", chain)
    deleted = _cli(seeded, "audit", "verify")
    assert deleted.returncode == 1
    assert f"第 {chain} 号链：第 1（链内序号） 条记录缺失（被删除）" in deleted.stderr


def test_audit_verify_on_an_empty_log(migrated: Path) -> None:
    result = _cli(migrated, "audit", "verify")
    assert (result.returncode, result.stdout.strip()) == (0, "审计链完整：0 条记录")


# --- linzhi rollup ----------------------------------------------------------------------------


def test_rollup_verify_finds_a_tampered_count_and_rebuild_repairs_it(seeded: Path) -> None:
    # GIVEN a seeded database (a demo year of activities, counted by month when loaded)
    assert _query(seeded, "SELECT sum(n) FROM activity_month_count")[0][0]
    assert _cli(seeded, "rollup", "verify").stdout.strip() == "月度统计与活动记录一致"
    # WHEN someone changes one monthly count
    _execute(
        seeded,
        "UPDATE activity_month_count SET n = n + 1 WHERE id = (SELECT min(id) FROM activity_month_count)",
    )
    # THEN verify fails and says so, and a rebuild makes it agree with the log again
    stale = _cli(seeded, "rollup", "verify")
    assert (stale.returncode, stale.stderr.strip()) == (
        1,
        "月度统计与活动记录不一致：1 项（运行 linzhi rollup rebuild 重建）",
    )
    assert _cli(seeded, "rollup", "rebuild").returncode == 0
    assert _cli(seeded, "rollup", "verify").returncode == 0


# --- linzhi createadmin -----------------------------------------------------------------------


def test_createadmin_with_a_password_on_stdin(migrated: Path) -> None:
    # WHEN an operator creates the first administrator, piping the password
    result = _cli(
        migrated,
        "createadmin",
        "--username",
        "admin.shen",
        "--name",
        "沈建华",
        "--mobile",
        "+86 138 1234 5678",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    # THEN the account exists with the ADMIN role, the password stored as argon2id, all audited
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "已创建管理员 admin.shen（沈建华），角色：系统管理员"
    ((user_id, password_hash, is_demo, name, mobile),) = _query(
        migrated,
        "SELECT u.id, u.password_hash, u.is_demo, p.name, p.mobile"
        " FROM app_user u JOIN person p ON p.id = u.person_id WHERE u.username = 'admin.shen'",
    )
    assert (name, mobile, is_demo) == ("沈建华", "13812345678", 0)
    assert passwords.verify_password(str(password_hash), PASSWORD)
    roles = _query(
        migrated, "SELECT role, cell_id, revoked_at FROM role_assignment WHERE user_id = ?", user_id
    )
    assert roles == [("ADMIN", None, None)]
    assert _query(migrated, "SELECT action FROM audit_log ORDER BY seq") == [
        ("user.create",),
        ("role.grant",),
    ]
    assert _cli(migrated, "audit", "verify").returncode == 0


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        pytest.param([], "short1A", "密码至少 8 位", id="short-password"),
        pytest.param([], "alllowercase1", "至少三类", id="weak-password"),
        pytest.param([], "", "密码至少 8 位", id="no-password"),
        pytest.param(["--mobile", "12345"], PASSWORD, "手机号", id="bad-mobile"),
        pytest.param(["--username", "ab"], PASSWORD, "用户名须为 3–40 位", id="short-username"),
        pytest.param(["--username", "admin.first"], PASSWORD, "用户名已被使用", id="taken-username"),
    ],
)
def test_createadmin_refuses_bad_input_and_creates_nothing(
    with_admin: Path, args: list[str], password: str, message: str
) -> None:
    # GIVEN one administrator, admin.first, already
    before = _snapshot(with_admin)
    assert _query(with_admin, "SELECT username FROM app_user") == [("admin.first",)]
    # WHEN a second is requested with bad input
    command = ["createadmin", "--username", "admin.second", "--name", "陆文静", "--password-stdin", *args]
    result = _cli(with_admin, *command, stdin=password + "\n")
    # THEN the command explains in Chinese, fails, and changes nothing
    assert result.returncode == 1
    assert result.stderr.startswith("无法创建管理员：")
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert _snapshot(with_admin) == before


def test_check_accounts_lists_accounts_that_share_a_mobile(with_admin: Path) -> None:
    # GIVEN a second administrator with a mobile; the check passes
    second = ["--username", "admin.second", "--name", "陆文静", "--mobile", "13811112222", "--password-stdin"]
    assert _cli(with_admin, "createadmin", *second, stdin=PASSWORD).returncode == 0
    passed = _cli(with_admin, "check-accounts")
    assert (passed.returncode, passed.stdout.startswith("账号检查通过")) == (0, True)
    # AND a third account with that mobile is refused
    third = ["--username", "admin.third", "--name", "周敏", "--mobile", "138 1111 2222", "--password-stdin"]
    refused = _cli(with_admin, "createadmin", *third, stdin=PASSWORD)
    assert (refused.returncode, "该手机号已被其他账号使用" in refused.stderr) == (1, True)
    # WHEN an older release had registered the first administrator's person with the same number
    _execute(
        with_admin,
        "UPDATE person SET mobile = '13811112222' "
        "WHERE id = (SELECT person_id FROM app_user WHERE username = ?)",
        "admin.first",
    )
    # THEN the check names both accounts, masks the number, and fails
    result = _cli(with_admin, "check-accounts")
    assert result.returncode == 1
    assert "手机号重复" in result.stderr
    assert "138****2222：admin.first, admin.second" in result.stderr
    assert "13811112222" not in result.stderr


def _take_terminal() -> None:
    """In the child: make the pseudo-terminal on stdin its controlling terminal (for getpass)."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _read(fd: int, seen: bytearray, until: bytes | None) -> None:
    """Append what the terminal shows to `seen` until `until` appears, or (None) until it closes."""
    deadline = time.monotonic() + 60
    while until is None or until not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise TimeoutError(seen.decode(errors="replace"))
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # Linux reports a closed pseudo-terminal as EIO
            chunk = b""
        if not chunk and until is None:
            return
        if not chunk:
            raise EOFError(seen.decode(errors="replace"))
        seen += chunk


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    master, slave = os.openpty()
    yield master, slave
    os.close(master)


def _createadmin_at_a_terminal(
    database: Path, terminal: tuple[int, int], typed: list[str]
) -> tuple[int, str]:
    """Run createadmin on a terminal and type `typed` at its password prompts."""
    master, slave = terminal
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "createadmin", "--username", "admin.tty", "--name", "褚国平"],
        env=_env(database),
        cwd=ROOT,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        preexec_fn=_take_terminal,
    )
    os.close(slave)
    seen = bytearray()
    prompt = "：".encode()
    for answer in typed:
        _read(master, seen, until=prompt)
        del seen[: seen.index(prompt) + len(prompt)]
        os.write(master, answer.encode() + b"\n")
    _read(master, seen, until=None)
    return process.wait(timeout=60), seen.decode()


def test_createadmin_asks_twice_at_the_terminal_without_echo(
    migrated: Path, terminal: tuple[int, int]
) -> None:
    # WHEN the operator types the same password at both prompts
    status, output = _createadmin_at_a_terminal(migrated, terminal, [PASSWORD, PASSWORD])
    # THEN the administrator is created, and the password never appeared on the screen
    assert status == 0, output
    assert "已创建管理员 admin.tty" in output
    assert PASSWORD not in output
    assert _query(migrated, "SELECT username FROM app_user") == [("admin.tty",)]


def test_createadmin_refuses_two_different_passwords(migrated: Path, terminal: tuple[int, int]) -> None:
    # WHEN the second typing differs from the first
    status, output = _createadmin_at_a_terminal(migrated, terminal, [PASSWORD, PASSWORD + "x"])
    # THEN nothing is created
    assert status == 1
    assert "两次输入的密码不一致" in output
    assert _query(migrated, "SELECT COUNT(*) FROM app_user") == [(0,)]


# --- linzhi serve in production ---------------------------------------------------------------


def test_production_refuses_to_serve_while_demo_accounts_are_active(seeded: Path) -> None:
    # GIVEN a database seeded with the demo accounts
    port = _free_port()
    # WHEN it is served in production
    started = time.monotonic()
    result = _cli(seeded, "serve", "--port", str(port), **PRODUCTION)
    # THEN the server refuses at once, naming the accounts, in Chinese and English
    assert result.returncode == 1
    assert time.monotonic() - started < 30
    assert "拒绝启动：生产环境（LINZHI_ENV=production）中仍有启用的演示账号" in result.stderr
    assert "Refusing to start: demo accounts are active in production" in result.stderr
    assert all(account.username in result.stderr for account in DEMO_ACCOUNTS)
    assert "linzhi disable-demo-accounts" in result.stderr
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)


def test_production_serves_once_the_demo_accounts_are_disabled(seeded: Path) -> None:
    # GIVEN the demo accounts disabled by the operator
    disabled = _cli(seeded, "disable-demo-accounts")
    assert disabled.returncode == 0, disabled.stderr
    assert "已停用演示账号：demo.admin" in disabled.stdout
    assert _query(seeded, "SELECT COUNT(*) FROM app_user WHERE is_demo AND is_active") == [(0,)]
    assert _cli(seeded, "audit", "verify").returncode == 0
    # WHEN it is served in production
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        env=_env(seeded, **PRODUCTION),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # THEN it starts and answers
    try:
        assert _healthy(f"http://127.0.0.1:{port}/healthz", server)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _healthy(url: str, server: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.TransportError:
            time.sleep(0.1)
    return False


def test_the_readme_lists_every_demo_account_and_its_password() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## 演示账号 / Demo accounts") :]
    assert f"`{DEMO_PASSWORD}`" in section
    for account in DEMO_ACCOUNTS:
        assert f"| `{account.username}` | {account.role.value} {account.role.label} |" in section
        assert account.town_code is None or f"({account.town_code})" in section
