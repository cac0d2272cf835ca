"""The permission matrix (role x action), as data.

`docs/permissions.md` is rendered from this table (a test fails when they differ), and the
authorization-matrix test checks every mutation and state-changing page against it. The policies
in each domain's `policy.py` are the enforcement; this table is their one-page summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.access import UNMASK_PEOPLE, Role


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
    session_only: bool = False
    """Only from a signed-in browser session (or the command line): refused to any API token."""

    def access(self, role: Role | None) -> Access:
        return self.anonymous if role is None else self.roles.get(role, Access.DENIED)


def _only(**granted: Access) -> dict[Role, Access]:
    return {Role(name): access for name, access in granted.items()}


_SIGNED_IN_OWN = {role: Access.OWN for role in Role}
ACTIVITIES = "write:activities"
ORGANISATIONS = "write:organisations"
FUNDING = "write:funding"
REVIEW = "review:funding"  # a reviewer's scope (write:funding serves too)

# Separation of duties. Roles that work with residents' personal data or casework: no account
# holds ADMIN together with any of them (checked at every grant; `linzhi check-accounts` finds
# older violations). RESIDENT is not one: it concerns only the account's own person.
DATA_ROLES: frozenset[Role] = frozenset(
    {Role.BUREAU_STAFF, Role.GRID_STAFF, Role.REVIEWER, Role.ORGANISER, Role.MICRO_LEADER}
)
SESSION_ONLY = "仅浏览器会话"

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
        UNMASK_PEOPLE,
    ),
    Permission("account.sign_out", "退出登录（结束本人会话）", Access.DENIED, _SIGNED_IN_OWN),
    Permission("account.password", "修改本人密码", Access.DENIED, _SIGNED_IN_OWN, session_only=True),
    Permission("token.manage", "创建、撤销本人 API 令牌", Access.DENIED, _SIGNED_IN_OWN, session_only=True),
    Permission(
        "token.app", "为应用账号创建令牌", Access.DENIED, _only(ADMIN=Access.ALLOWED), session_only=True
    ),
    Permission(
        "user.manage",
        "新建、修改、停用、启用用户，重置其密码、解除锁定（管理员账号仅限管理员）",
        Access.DENIED,
        _only(BUREAU_STAFF=Access.LIMITED, ADMIN=Access.ALLOWED),
        session_only=True,
    ),
    Permission(
        "role.grant",
        "授予、撤销角色（民政局工作人员不能授予管理员与民政局角色，也不能改动管理员的角色）",
        Access.DENIED,
        _only(BUREAU_STAFF=Access.LIMITED, ADMIN=Access.ALLOWED),
        session_only=True,
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
        "核实、退回活动记录，设置已核实记录的公开范围（不能审核本人记录）",
        Access.DENIED,
        _only(GRID_STAFF=Access.IN_SCOPE, BUREAU_STAFF=Access.ALLOWED),
        ACTIVITIES,
    ),
    Permission(
        "activity.export",
        "按筛选条件导出活动记录（XLSX/CSV，最多 5000 条，含记录人姓名，留痕）",
        Access.DENIED,
        _only(GRID_STAFF=Access.IN_SCOPE, BUREAU_STAFF=Access.ALLOWED),
    ),
    Permission(
        "organisation.view",
        "浏览社会组织名录与组织主页（联系人脱敏）",
        Access.ALLOWED,
        {role: Access.ALLOWED for role in Role},
    ),
    Permission(
        "organisation.register",
        "登记社会组织、备案转登记、注销；列入或移出名录；记录等级评估；审核年报",
        Access.DENIED,
        _only(BUREAU_STAFF=Access.ALLOWED),
        ORGANISATIONS,
    ),
    Permission(
        "organisation.file",
        "备案社区社会组织（所在镇（街道）或社区）",
        Access.DENIED,
        _only(GRID_STAFF=Access.IN_SCOPE, BUREAU_STAFF=Access.ALLOWED),
        ORGANISATIONS,
    ),
    Permission(
        "organisation.maintain",
        "维护组织成员、联系人，报送年报（组织者仅限本组织；网格员仅限辖区内备案的组织）",
        Access.DENIED,
        _only(ORGANISER=Access.LIMITED, GRID_STAFF=Access.IN_SCOPE, BUREAU_STAFF=Access.ALLOWED),
        ORGANISATIONS,
    ),
    Permission(
        "socialwork.register",
        "登记社工及督导资格，安排社工机构驻村（社区）服务",
        Access.DENIED,
        _only(BUREAU_STAFF=Access.ALLOWED),
        ORGANISATIONS,
    ),
    Permission(
        "supervision.log",
        "记录督导（督导本人；民政局工作人员可代为记录）",
        Access.DENIED,
        {**{role: Access.OWN for role in DATA_ROLES}, Role.BUREAU_STAFF: Access.ALLOWED},
        ORGANISATIONS,
    ),
    Permission(
        "supervision.view",
        "查看督导记录与督导量（督导本人、网格员与民政局工作人员）",
        Access.DENIED,
        {
            **{role: Access.OWN for role in DATA_ROLES},
            Role.GRID_STAFF: Access.ALLOWED,
            Role.BUREAU_STAFF: Access.ALLOWED,
        },
    ),
    Permission(
        "funding.view",
        "浏览公益创投轮次（不含草稿）、已公示的资助结果与已发布的需求",
        Access.ALLOWED,
        {role: Access.ALLOWED for role in Role},
    ),
    Permission(
        "funding.round_manage",
        "新建公益创投轮次、修改规则（开始申报前）、变更阶段",
        Access.DENIED,
        _only(BUREAU_STAFF=Access.ALLOWED),
        FUNDING,
    ),
    Permission(
        "funding.apply",
        "申报、修改、提交、撤回项目，增删申报附件，报送进度与自评（组织者仅限本组织）",
        Access.DENIED,
        _only(ORGANISER=Access.LIMITED),
        FUNDING,
    ),
    Permission(
        "funding.application_move",
        "变更申报状态（资格审查、评审、公示、立项、实施、暂停，须说明理由）",
        Access.DENIED,
        _only(BUREAU_STAFF=Access.ALLOWED),
        FUNDING,
    ),
    Permission(
        "funding.award",
        "按评审排名在资金池内资助、核定资助金额",
        Access.DENIED,
        _only(BUREAU_STAFF=Access.ALLOWED),
        FUNDING,
    ),
    Permission(
        "funding.disburse",
        "签订资助协议、审批与登记拨付（超过门槛须另一人复核）、追回资金、终止项目",
        Access.DENIED,
        _only(BUREAU_STAFF=Access.ALLOWED),
        FUNDING,
    ),
    Permission(
        "funding.evaluate",
        "中期、终期评估打分",
        Access.DENIED,
        _only(REVIEWER=Access.ALLOWED, BUREAU_STAFF=Access.ALLOWED),
        FUNDING,
    ),
    Permission(
        "funding.need_submit",
        "需求征集阶段提交需求（登录用户）",
        Access.DENIED,
        {role: Access.ALLOWED for role in Role},
        FUNDING,
    ),
    Permission(
        "funding.need_decide",
        "发布或不采纳需求（网格员仅限辖区内）",
        Access.DENIED,
        _only(GRID_STAFF=Access.IN_SCOPE, BUREAU_STAFF=Access.ALLOWED),
        FUNDING,
    ),
    Permission(
        "review.score",
        "评审打分：保存、提交评分表（仅分配给本人且无利益冲突的项目）",
        Access.DENIED,
        _only(REVIEWER=Access.OWN),
        REVIEW,
    ),
    Permission(
        "review.conflict",
        "申报利益冲突（评审专家仅本人的分配；工作人员可为任一专家登记）",
        Access.DENIED,
        _only(REVIEWER=Access.OWN, BUREAU_STAFF=Access.ALLOWED),
        REVIEW,
    ),
    Permission(
        "review.manage",
        "抽取、指定、取消评审专家，退回已提交的评分表（须说明原因）",
        Access.DENIED,
        _only(BUREAU_STAFF=Access.ALLOWED),
        FUNDING,
    ),
    Permission(
        "objection.lodge",
        "公示期内实名提出异议（登录用户）",
        Access.DENIED,
        {role: Access.ALLOWED for role in Role},
    ),
    Permission(
        "objection.resolve",
        "书面答复公示异议（成立或不成立）",
        Access.DENIED,
        _only(BUREAU_STAFF=Access.ALLOWED),
        FUNDING,
    ),
)


# Rules that hold at every change, whoever acts (the command line included).
DUTY_RULES: tuple[str, ...] = (
    "系统管理员（ADMIN）不能同时担任业务角色："
    + "、".join(f"{role.label}（{role.value}）" for role in Role if role in DATA_ROLES)
    + "。授予时检查，`linzhi check-accounts` 列出历史遗留的违规账号，生产环境有违规账号时拒绝启动。",
    "只有系统管理员可以停用、启用管理员账号，或为其授予、撤销角色。",
    "生产环境（LINZHI_ENV=production）中不能启用或新建演示账号，演示账号也不能登录。",
    "账号、密码、角色与令牌只能在浏览器登录会话中管理（带 CSRF 令牌）；API 令牌一律拒绝，"
    "因此令牌不能创建令牌，更不能创建权限范围超出自身的令牌。",
)


def _scope_cell(p: Permission) -> str:
    if p.session_only:
        return SESSION_ONLY
    return f"`{p.token_scope}`" if p.token_scope else ""


def render_markdown() -> str:
    """The table and the separation-of-duties rules as they stand in docs/permissions.md."""
    header = ["操作", "说明", "匿名", *(role.label for role in Role), "令牌范围"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for p in MATRIX:
        cells = [f"`{p.action}`", p.description, p.anonymous.value, *(p.access(r).value for r in Role)]
        lines.append("| " + " | ".join([*cells, _scope_cell(p)]) + " |")
    lines += ["", "职责分离与会话规则（每次变更时检查）：", ""]
    lines += [f"- {rule}" for rule in DUTY_RULES]
    return "\n".join(lines) + "\n"
