"""The permission matrix (role x action), as data.

`docs/permissions.md` is rendered from this table (a test fails when they differ), and the
authorization-matrix test checks every mutation and state-changing page against it. The policies
in each domain's `policy.py` are the enforcement; this table is their one-page summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.access import Role


class Access(StrEnum):
    ALLOWED = "✓"
    IN_SCOPE = "辖区内"
    OWN = "仅本人"
    LIMITED = "部分"
    DENIED = "—"


@dataclass(frozen=True)
class Permission:
    action: str
    description: str
    anonymous: Access
    roles: dict[Role, Access]
    token_scope: str | None = None

    def access(self, role: Role | None) -> Access:
        return self.anonymous if role is None else self.roles.get(role, Access.DENIED)


def _only(**granted: Access) -> dict[Role, Access]:
    return {Role(name): access for name, access in granted.items()}


_SIGNED_IN_OWN = {role: Access.OWN for role in Role}
ACTIVITIES = "write:activities"

MATRIX: tuple[Permission, ...] = (
    Permission("grid.view", "浏览网格树与统计", Access.ALLOWED, {role: Access.ALLOWED for role in Role}),
    Permission(
        "grid.update",
        "修改网格名称、末级户数",
        Access.DENIED,
        _only(GRID_STAFF=Access.IN_SCOPE, BUREAU_STAFF=Access.ALLOWED),
        "write:grids",
    ),
    Permission(
        "grid.create", "新增网格单元（命令行/种子）", Access.DENIED, _only(BUREAU_STAFF=Access.ALLOWED)
    ),
    Permission(
        "person.unmask",
        "查看完整个人信息（留痕）",
        Access.DENIED,
        _only(GRID_STAFF=Access.IN_SCOPE, BUREAU_STAFF=Access.ALLOWED),
    ),
    Permission("account.sign_out", "退出登录（结束本人会话）", Access.DENIED, _SIGNED_IN_OWN),
    Permission("account.password", "修改本人密码", Access.DENIED, _SIGNED_IN_OWN, "write:accounts"),
    Permission("token.manage", "创建、撤销本人 API 令牌", Access.DENIED, _SIGNED_IN_OWN, "write:accounts"),
    Permission(
        "token.app", "为应用账号创建令牌", Access.DENIED, _only(ADMIN=Access.ALLOWED), "write:accounts"
    ),
    Permission(
        "user.manage",
        "新建、停用、启用用户",
        Access.DENIED,
        _only(BUREAU_STAFF=Access.ALLOWED, ADMIN=Access.ALLOWED),
        "write:accounts",
    ),
    Permission(
        "role.grant",
        "授予、撤销角色（民政局工作人员不能授予管理员与民政局角色）",
        Access.DENIED,
        _only(BUREAU_STAFF=Access.LIMITED, ADMIN=Access.ALLOWED),
        "write:accounts",
    ),
    Permission(
        "audit.view", "查看审计日志", Access.DENIED, _only(BUREAU_STAFF=Access.ALLOWED, ADMIN=Access.ALLOWED)
    ),
    Permission(
        "leader.nominate",
        "提名微领袖；办理退出（须说明原因）",
        Access.DENIED,
        _only(GRID_STAFF=Access.IN_SCOPE, BUREAU_STAFF=Access.ALLOWED),
        ACTIVITIES,
    ),
    Permission(
        "leader.certify",
        "人工认证结业（须说明原因）",
        Access.DENIED,
        _only(BUREAU_STAFF=Access.ALLOWED),
        ACTIVITIES,
    ),
    Permission(
        "cohort.manage",
        "新建、修改培训期及结业条件",
        Access.DENIED,
        _only(BUREAU_STAFF=Access.ALLOWED),
        ACTIVITIES,
    ),
    Permission(
        "session.manage", "新建、修改培训场次", Access.DENIED, _only(BUREAU_STAFF=Access.ALLOWED), ACTIVITIES
    ),
    Permission(
        "session.enrol",
        "报名、取消报名、登记或退出候补（名额有限）",
        Access.DENIED,
        _only(MICRO_LEADER=Access.OWN, GRID_STAFF=Access.IN_SCOPE, BUREAU_STAFF=Access.ALLOWED),
        ACTIVITIES,
    ),
    Permission(
        "session.run_check_in",
        "开放签到、更正签到表（本场主讲人亦可）",
        Access.DENIED,
        _only(BUREAU_STAFF=Access.ALLOWED),
        ACTIVITIES,
    ),
    Permission("session.check_in", "凭签到码签到", Access.DENIED, _only(MICRO_LEADER=Access.OWN), ACTIVITIES),
    Permission(
        "activity.log",
        "记录、修改、提交活动（微领袖限所在网格子树）",
        Access.DENIED,
        _only(MICRO_LEADER=Access.IN_SCOPE, GRID_STAFF=Access.IN_SCOPE),
        ACTIVITIES,
    ),
    Permission(
        "activity.edit",
        "修改、提交、上传照片（仅记录人本人，草稿或被退回时）",
        Access.DENIED,
        _only(MICRO_LEADER=Access.OWN, GRID_STAFF=Access.OWN),
        ACTIVITIES,
    ),
    Permission(
        "activity.review",
        "核实、退回活动记录（不能审核本人记录）",
        Access.DENIED,
        _only(GRID_STAFF=Access.IN_SCOPE, BUREAU_STAFF=Access.ALLOWED),
        ACTIVITIES,
    ),
)


def render_markdown() -> str:
    """The table as it stands in docs/permissions.md."""
    header = ["操作", "说明", "匿名", *(role.label for role in Role), "令牌范围"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for p in MATRIX:
        cells = [f"`{p.action}`", p.description, p.anonymous.value, *(p.access(r).value for r in Role)]
        lines.append("| " + " | ".join([*cells, f"`{p.token_scope}`" if p.token_scope else ""]) + " |")
    return "\n".join(lines) + "\n"
