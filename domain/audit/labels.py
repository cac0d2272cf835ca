"""What each audit action and object type is called in Chinese.

`record` refuses an action missing here, so every action the code can write has a label on the
audit page and in its filter. Domains added after the first ones register their own labels from
their package (`register`), so a new domain does not edit this file."""

from __future__ import annotations

ACTIONS: dict[str, str] = {
    "auth.sign_in": "登录",
    "auth.sign_in_failed": "登录失败",
    "auth.sign_in_refused": "登录被拒（账号锁定中）",
    "auth.locked": "账号锁定",
    "auth.sign_out": "退出登录",
    "user.create": "新建用户",
    "user.activate": "启用用户",
    "user.deactivate": "停用用户",
    "user.change_password": "修改密码",
    "user.update": "修改用户姓名或手机号",
    "user.reset_password": "重置密码（临时密码）",
    "user.unlock": "解除账号锁定",
    "role.grant": "授予角色",
    "role.revoke": "撤销角色",
    "token.create": "创建令牌",
    "token.revoke": "撤销令牌",
    "person.unmask": "查看完整个人信息",
    "grid.create": "新增网格",
    "grid.update": "修改网格",
    "cohort.create": "新建培训期",
    "cohort.update": "修改培训期",
    "leader.nominate": "提名微领袖",
    "leader.enrol": "微领袖入学",
    "leader.certify": "微领袖结业认证",
    "leader.withdraw": "微领袖退出",
    "session.create": "新建培训",
    "session.update": "修改培训",
    "session.enrol": "报名培训",
    "session.cancel_enrolment": "取消报名",
    "session.join_waitlist": "登记候补",
    "session.leave_waitlist": "退出候补",
    "session.waitlist_promote": "候补递补",
    "session.open_check_in": "开启签到",
    "session.close_check_in": "结束签到",
    "session.check_in": "培训签到",
    "attendance.correct": "更正考勤",
    "activity.create": "新建活动记录",
    "activity.update": "修改活动记录",
    "activity.submit": "提交活动记录",
    "activity.verify": "核实活动记录",
    "activity.return": "退回活动记录",
    "activity.set_public": "设置活动记录公开范围",
    "activity.photo_add": "添加活动照片",
    "activity.photo_remove": "删除活动照片",
    "activity.export": "导出活动记录",
    "audit.anchor": "审计链锚点（各分链链头）",
}

OBJECT_TYPES: dict[str, str] = {
    "User": "用户",
    "ApiToken": "令牌",
    "Person": "人员",
    "GridCell": "网格单元",
    "Cohort": "培训期",
    "MicroLeader": "微领袖",
    "TrainingSession": "培训",
    "Activity": "活动记录",
}


def register(
    actions: dict[str, str], object_types: dict[str, str], summary_keys: dict[str, str] | None = None
) -> None:
    """A domain's own labels, declared in its package (`domain/<d>/__init__.py`) so a new domain
    does not edit this file. Registering a label twice is harmless; a different label for a
    name already taken is refused (two domains would show one action under two names)."""
    for table, new in ((ACTIONS, actions), (OBJECT_TYPES, object_types), (SUMMARY_KEYS, summary_keys or {})):
        for name, label in new.items():
            if table.setdefault(name, label) != label:
                raise ValueError(f"audit label {name!r} is already {table[name]!r}")


def require_labelled(action: str, object_type: str | None) -> None:
    if action not in ACTIONS:
        raise ValueError(f"audit action {action!r} has no label in domain/audit/labels.py")
    if object_type is not None and object_type not in OBJECT_TYPES:
        raise ValueError(f"audit object type {object_type!r} has no label in domain/audit/labels.py")


# Keys of an audit row's summary, as the audit page names them; an unknown key is shown as is.
SUMMARY_KEYS: dict[str, str] = {
    "username": "用户名",
    "app": "应用账号",
    "identifier": "登录名",
    "attempts": "失败次数",
    "reason": "原因",
    "role": "角色",
    "cell": "网格",
    "organisation_id": "组织编号",
    "scopes": "权限范围",
    "name": "名称",
    "code": "编码",
    "fields": "修改的字段",
    "changes": "修改",
    "type": "类型",
    "photo": "照片",
    "before": "修改前",
    "after": "修改后",
    "from": "原状态",
    "to": "新状态",
    "automatic": "自动",
    "cohort_id": "培训期",
    "leader_id": "微领袖",
    "person_id": "人员",
    "source_role": "来源身份",
    "min_share": "最低出勤比例",
    "min_hours": "最低学时",
    "minutes": "分钟",
    "until": "截止",
    "expires_at": "到期时间",
    "cancelled_sessions": "取消的报名",
    "heads": "各分链链头",
}
