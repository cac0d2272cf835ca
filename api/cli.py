"""The `linzhi` command: serve, migrate, seed, createadmin, audit verify|anchor, rollup
rebuild|verify, disable-demo-accounts, check-accounts, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import signal
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from api.settings import Settings
from domain.access import Role
from domain.accounts import config as accounts_config
from domain.accounts import queries as accounts_queries
from domain.accounts import service as accounts
from domain.audit import anchors
from domain.audit import keys as audit_keys
from domain.audit.service import ChainReport, verify_chain
from domain.db import tortoise_config
from domain.errors import DomainError
from domain.people.masking import mask_mobile
from domain.permissions import DATA_ROLES

SCHEMA_FILE = Path(__file__).parent / "schema.graphql"
T = TypeVar("T")


class CommandError(Exception):
    """Bad input or a refusal: its message is printed and the command exits with status 1."""


def _ensure_data_dir(settings: Settings) -> None:
    if settings.database_url.startswith("sqlite://") and ":memory:" not in settings.database_url:
        Path(settings.database_url.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)


async def _with_orm(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    _ensure_data_dir(settings)
    audit_keys.configure(settings.audit_keyring())
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        return await work()
    finally:
        await Tortoise.close_connections()


async def migrate(settings: Settings) -> None:
    """Apply every committed migration (Tortoise's own migration engine)."""
    from tortoise.migrations.api import migrate as run_migrations

    _ensure_data_dir(settings)
    try:
        await run_migrations(config=tortoise_config(settings.database_url))
    finally:
        await Tortoise.close_connections()


async def seed(settings: Settings) -> None:
    import seeds
    from seeds.loader import StaleDemoData

    async def work() -> None:
        try:
            report = await seeds.load_all()
        except StaleDemoData as stale:
            raise SystemExit(str(stale)) from None
        print(report)

    await _with_orm(settings, work)


def export_schema() -> str:
    from api.schema import schema

    return schema.as_str() + "\n"


def read_anchors(values: list[str]) -> list[str]:
    """Each `--anchor` is an anchor's JSON, or a file of them, one per line."""
    tokens: list[str] = []
    for value in values:
        if value.lstrip().startswith("{"):
            tokens.append(value)
            continue
        try:
            lines = Path(value).read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise CommandError(
                f"无法读取锚点文件 {value}：{error.strerror} / cannot read anchor file"
            ) from error
        tokens += [line for line in lines if line.strip()]
    return tokens


async def audit_verify(settings: Settings, anchor_args: list[str] | None = None) -> None:
    """Walk the audit chain; a broken link, or an anchored head that is gone or changed, is
    reported and fails the command."""
    tokens = read_anchors(anchor_args or [])
    audit_keys.configure(settings.audit_keyring())
    checked: list[anchors.Anchor] = []
    for token in tokens:
        try:
            checked.append(anchors.parse(token))
        except anchors.BadAnchor as error:
            raise CommandError(f"锚点被拒绝 / anchor refused：{error}") from error

    async def work() -> tuple[ChainReport, list[str]]:
        report = await verify_chain()
        problems = [p for p in [await anchors.problem(a) for a in checked] if p]
        return report, problems

    report, problems = await _with_orm(settings, work)
    if not report.ok:
        where = f"第 {report.first_broken_seq} 条记录"
        raise CommandError(
            f"审计链断裂：{where}，{report.reason}（此前 {report.checked} 条完好）\n"
            f"The audit chain is broken at row {report.first_broken_seq}."
        )
    if problems:
        raise CommandError("\n".join(problems))
    print(f"审计链完整：{report.checked} 条记录")
    if report.legacy:
        print(f"其中前 {report.legacy} 条为启用密钥前的旧式记录（SHA-256）")
    for anchor in checked:
        print(f"与锚点相符：第 {anchor.seq} 条（{anchor.at}）")


async def audit_anchor(settings: Settings) -> None:
    """Print the signed head of the chain: one line of JSON to publish."""
    anchor = await _with_orm(settings, anchors.current)
    print(anchor.token())


async def rollup_command(settings: Settings, command: str) -> None:
    """`rebuild` recomputes the monthly rollup of verified records from the log; `verify` compares
    them and fails when they differ."""
    from domain.activities import rollup

    if command == "rebuild":
        await _with_orm(settings, rollup.rebuild)
        print("月度统计已重建")
        return
    stale = await _with_orm(settings, rollup.differences)
    if stale:
        raise CommandError(f"月度统计与活动记录不一致：{stale} 项（运行 linzhi rollup rebuild 重建）")
    print("月度统计与活动记录一致")


def read_password(*, from_stdin: bool) -> str:
    """One line from stdin, or typed twice at the terminal without echo."""
    try:
        if from_stdin:
            return sys.stdin.readline().removesuffix("\n").removesuffix("\r")
        first = getpass.getpass("密码：")
        if getpass.getpass("再次输入密码：") != first:
            raise CommandError("两次输入的密码不一致")
    except EOFError as eof:
        raise CommandError("未读到密码") from eof
    return first


async def create_admin(
    settings: Settings, *, username: str, name: str, mobile: str | None, password: str
) -> None:
    """A user with the ADMIN role, created and granted in one transaction (both audited)."""

    async def work() -> None:
        async with in_transaction():
            user = await accounts.create_user(
                actor=accounts.SYSTEM, name=name, username=username, password=password, mobile=mobile
            )
            await accounts.grant_role(actor=accounts.SYSTEM, user_id=user.id, role=Role.ADMIN)
        print(f"已创建管理员 {user.username}（{user.person.name}），角色：{Role.ADMIN.label}")

    try:
        await _with_orm(settings, work)
    except DomainError as error:
        raise CommandError(f"无法创建管理员：{error.message}") from error


DEMO_REFUSAL = """\
拒绝启动：生产环境（LINZHI_ENV=production）中仍有启用的演示账号：{names}。
演示账号的密码公开在 README 中。请先运行 `linzhi disable-demo-accounts` 停用它们。
Refusing to start: demo accounts are active in production ({names}); their password is public.
Run `linzhi disable-demo-accounts` first."""


async def refuse_demo_accounts(settings: Settings) -> None:
    """Production must not start while anyone can sign in with the published demo password."""
    names = await _with_orm(settings, accounts_queries.active_demo_usernames)
    if names:
        raise CommandError(DEMO_REFUSAL.format(names=", ".join(names)))


async def disable_demo_accounts(settings: Settings) -> None:
    names = await _with_orm(settings, lambda: accounts.disable_demo_accounts(actor=accounts.SYSTEM))
    print(f"已停用演示账号：{', '.join(names)}" if names else "没有启用的演示账号")


DUTY_REFUSAL = """\
职责分离：以下账号同时拥有系统管理员角色和业务角色：{names}。
请撤销其中一个角色（系统管理员不能同时担任{roles}）。
Separation of duties: these accounts hold ADMIN together with a data role: {names}."""


MOBILE_REFUSAL = """\
手机号重复：以下账号的本人登记了同一手机号，这些账号都不能用该手机号登录：
{clashes}
请在“用户管理”中修改其中的手机号，使每个手机号只属于一个账号。
Duplicate mobiles: each line lists the accounts whose people share one mobile."""

UNSYNCED_REFUSAL = """\
以下账号的登录手机号与本人登记的手机号不一致（迁移 0011 时该号码为多个账号共用）：{names}。
重复解决后，请在“用户管理”中重新保存其手机号。
Accounts whose sign-in mobile is not their person's mobile: {names}."""


async def check_accounts(settings: Settings, *, mobiles: bool = True) -> None:
    """Report accounts that break separation of duties (granted before the rule held at every
    grant) and accounts that share a mobile number (made before it was unique among accounts);
    exit 1 when there is any. `serve` checks duties only: a shared mobile is refused at every
    change and signs nobody in, which is a chore for the administrator, not a reason not to start."""

    async def work() -> tuple[list[str], accounts_queries.MobileCheck]:
        clean = accounts_queries.MobileCheck([], [])
        found = await accounts_queries.check_mobiles() if mobiles else clean
        return await accounts_queries.duty_violations(DATA_ROLES), found

    names, shared = await _with_orm(settings, work)
    problems = []
    if names:
        labels = "、".join(role.label for role in Role if role in DATA_ROLES)
        problems.append(DUTY_REFUSAL.format(names=", ".join(names), roles=labels))
    if shared.clashes:
        lines = [f"  {mask_mobile(c.mobile)}：{', '.join(c.usernames)}" for c in shared.clashes]
        problems.append(MOBILE_REFUSAL.format(clashes="\n".join(lines)))
    if shared.unsynced:
        problems.append(UNSYNCED_REFUSAL.format(names=", ".join(shared.unsynced)))
    if problems:
        raise CommandError("\n\n".join(problems))
    shared_note = "，也没有共用手机号的账号" if mobiles else ""
    print(f"账号检查通过：没有同时担任系统管理员和业务角色的账号{shared_note}")


SUPERVISOR_PID = "LINZHI_SUPERVISOR_PID"
GRACEFUL_SHUTDOWN_SECONDS = 5
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    import uvicorn

    from api.access_log import LOG_CONFIG

    if settings.is_production:
        asyncio.run(refuse_demo_accounts(settings))
        asyncio.run(check_accounts(settings, mobiles=False))
    # Worker processes (spawned by uvicorn's supervisor when workers > 1) read this to know
    # whose death must end them.
    os.environ[SUPERVISOR_PID] = str(os.getpid())
    uvicorn.run(
        "api.cli:worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # X-Forwarded-* are believed only from LINZHI_TRUSTED_PROXIES, by the app (api/proxies.py):
        # uvicorn's own handling would trust any local peer's X-Forwarded-For.
        proxy_headers=False,
        # SIGTERM ends in-flight requests after this long rather than waiting on a slow client.
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        log_level="info",
        log_config=LOG_CONFIG,  # uvicorn's, with a cheaper access line formatter (api/access_log.py)
        access_log=settings.access_log,
    )


def worker_app() -> Any:
    """The app factory `linzhi serve` hands uvicorn; in a worker process it first ties the worker's
    life to the supervisor's, so that no orphan keeps serving on the port."""
    from api.app import create_app

    supervisor = int(os.environ.get(SUPERVISOR_PID, "0") or 0)
    if supervisor and supervisor != os.getpid():
        end_with_parent(supervisor)
    return create_app()


def end_with_parent(supervisor: int) -> None:
    """SIGTERM this process when the supervisor dies, however it dies (SIGKILL included): Linux's
    PR_SET_PDEATHSIG, or — where there is no prctl — a thread that watches the parent pid."""
    armed = False
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0
    if os.getppid() != supervisor:  # it died before the death signal was armed
        os.kill(os.getpid(), signal.SIGTERM)
        return
    if not armed:

        def watch() -> None:
            while os.getppid() == supervisor:
                time.sleep(1)
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=watch, name="linzhi-parent-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    settings = Settings.from_env()
    accounts_config.configure_production(settings.is_production)
    args = _parser(settings).parse_args(argv)
    try:
        _run(settings, args)
    except CommandError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def _parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="linzhi", description="邻治 Linzhi")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="serve the web app and GraphQL API")
    serve_cmd.add_argument("--host", default=settings.host)
    serve_cmd.add_argument("--port", type=int, default=settings.port)
    serve_cmd.add_argument("--workers", type=int, default=settings.workers)
    commands.add_parser("migrate", help="apply database migrations")
    commands.add_parser("seed", help="load the demo seeds (idempotent)")
    admin = commands.add_parser("createadmin", help="create a user with the ADMIN role")
    admin.add_argument("--username", required=True)
    admin.add_argument("--name", required=True, help="the person's name")
    admin.add_argument("--mobile", default=None)
    admin.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    audit = commands.add_parser("audit", help="audit log tools")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser(
        "verify", help="check the audit hash chain; exit 1 at the first broken link"
    )
    verify.add_argument(
        "--anchor",
        action="append",
        default=[],
        help="an anchor from `linzhi audit anchor` (its JSON, or a file of them, one a line); repeatable",
    )
    audit_commands.add_parser(
        "anchor", help="print the chain's head, signed with the audit key (publish it daily)"
    )
    rollup = commands.add_parser("rollup", help="the monthly rollup of verified activity records")
    rollup_commands = rollup.add_subparsers(dest="rollup_command", required=True)
    rollup_commands.add_parser("rebuild", help="recompute it from the activity log")
    rollup_commands.add_parser("verify", help="compare it with the activity log; exit 1 when they differ")
    commands.add_parser("disable-demo-accounts", help="disable every demo account (before production)")
    commands.add_parser(
        "check-accounts",
        help="list accounts holding ADMIN with a data role, and accounts sharing a mobile; exit 1 if any",
    )
    export = commands.add_parser("export-schema", help="print or write the GraphQL SDL")
    export.add_argument("--output", type=Path, default=None)
    return parser


def _run(settings: Settings, args: argparse.Namespace) -> None:
    if args.command == "serve":
        serve(settings, args.host, args.port, args.workers)
    elif args.command == "migrate":
        asyncio.run(migrate(settings))
    elif args.command == "seed":
        asyncio.run(seed(settings))
    elif args.command == "createadmin":
        password = read_password(from_stdin=args.password_stdin)
        asyncio.run(
            create_admin(
                settings, username=args.username, name=args.name, mobile=args.mobile, password=password
            )
        )
    elif args.command == "audit" and args.audit_command == "anchor":
        asyncio.run(audit_anchor(settings))
    elif args.command == "audit":
        asyncio.run(audit_verify(settings, args.anchor))
    elif args.command == "rollup":
        asyncio.run(rollup_command(settings, args.rollup_command))
    elif args.command == "disable-demo-accounts":
        asyncio.run(disable_demo_accounts(settings))
    elif args.command == "check-accounts":
        asyncio.run(check_accounts(settings))
    elif args.command == "export-schema":
        sdl = export_schema()
        if args.output:
            args.output.write_text(sdl, encoding="utf-8")
        else:
            sys.stdout.write(sdl)


if __name__ == "__main__":
    raise SystemExit(main())
