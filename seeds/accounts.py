"""Demo accounts, one per role, for development and demonstrations only.

They all share DEMO_PASSWORD, which the README lists, so `linzhi serve` refuses to start in
production while any active account is flagged `is_demo` (see `active_demo_usernames`). Grid
staff are scoped to real towns of 平湖市, so the grid seeds must be loaded first.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from domain.access import Role
from domain.accounts import service
from domain.accounts.models import User
from domain.accounts.service import SYSTEM
from domain.grids.models import GridCell
from seeds.generate import DEFAULT_SEED, GIVEN_NAMES, SURNAMES

DEMO_PASSWORD = "Linzhi-Demo-2026"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    town_code: str | None = None  # the grid subtree the role is limited to


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("demo.resident", Role.RESIDENT),
    DemoAccount("demo.leader", Role.MICRO_LEADER),
    DemoAccount("demo.organiser", Role.ORGANISER),
    DemoAccount("demo.grid.danghu", Role.GRID_STAFF, "330482001"),  # 当湖街道
    DemoAccount("demo.grid.zhapu", Role.GRID_STAFF, "330482101"),  # 乍浦镇
    DemoAccount("demo.grid.zhongdai", Role.GRID_STAFF, "330482002"),  # 钟埭街道
    DemoAccount("demo.grid.caoqiao", Role.GRID_STAFF, "330482003"),  # 曹桥街道
    DemoAccount("demo.grid.xindai", Role.GRID_STAFF, "330482102"),  # 新埭镇
    DemoAccount("demo.grid.xincang", Role.GRID_STAFF, "330482103"),  # 新仓镇
    DemoAccount("demo.grid.guangchen", Role.GRID_STAFF, "330482106"),  # 广陈镇
    DemoAccount("demo.grid.lindai", Role.GRID_STAFF, "330482107"),  # 林埭镇
    DemoAccount("demo.grid.dushangang", Role.GRID_STAFF, "330482108"),  # 独山港镇
    # enters the micro-leaders' paper logs for the whole city; never the one who verifies them
    DemoAccount("demo.clerk", Role.GRID_STAFF, "330482"),  # 平湖市
    DemoAccount("demo.reviewer", Role.REVIEWER),
    DemoAccount("demo.bureau", Role.BUREAU_STAFF),
    DemoAccount("demo.admin", Role.ADMIN),
)


def demo_name(username: str, seed: int = DEFAULT_SEED) -> str:
    """A common local name, the same for a username on every load."""
    rng = random.Random(f"{seed}:{username}")
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


async def load_demo_accounts(*, seed: int = DEFAULT_SEED) -> int:
    """Create the demo accounts whose usernames are not taken yet, each with its role, through the
    account service (so they are audited); return how many were created. One read when all exist."""
    wanted = [account.username for account in DEMO_ACCOUNTS]
    taken = {str(name) for name in await User.filter(username__in=wanted).values_list("username", flat=True)}
    missing = [account for account in DEMO_ACCOUNTS if account.username not in taken]
    if not missing:
        return 0
    towns = await _town_ids({account.town_code for account in missing if account.town_code})
    async with in_transaction():
        for account in missing:
            user = await service.create_user(
                actor=SYSTEM,
                name=demo_name(account.username, seed),
                username=account.username,
                password=DEMO_PASSWORD,
                is_demo=True,
            )
            cell_id = towns[account.town_code] if account.town_code else None
            await service.grant_role(actor=SYSTEM, user_id=user.id, role=account.role, cell_id=cell_id)
    return len(missing)


async def _town_ids(codes: set[str]) -> dict[str, int]:
    rows = await GridCell.filter(code__in=sorted(codes)).values_list("code", "id")
    found: dict[str, int] = dict(rows)
    absent = codes - found.keys()
    if absent:
        raise LookupError(f"演示账号的网格范围不存在（请先加载网格种子）：{', '.join(sorted(absent))}")
    return found
