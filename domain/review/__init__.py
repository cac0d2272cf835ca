"""The shared review module: rubrics, reviewer assignment, conflicts of interest, blind mode,
score sheets, aggregation and publicity (公示). Venture funding uses it; the micro-governance
competitions reuse it unchanged. It knows nothing of either: what is reviewed is an entry on a
panel, identified by the owning domain's subject id and the organisations conflicts are checked
against."""

from domain.audit import labels

labels.register(
    actions={
        "review.create_panel": "新建评审组",
        "review.update_panel": "修改评审组设置",
        "review.freeze_panel": "锁定评审设置并开始评审",
        "review.advance_stage": "评审进入下一阶段",
        "review.add_expert": "加入专家库",
        "review.add_affiliation": "登记专家任职",
        "review.add_member": "加入评审组",
        "review.add_entry": "加入评审项目",
        "review.withdraw_entry": "撤出评审项目",
        "review.draw": "随机抽取评审专家",
        "review.assign": "指定评审专家",
        "review.unassign": "取消评审分配",
        "review.declare_conflict": "申报利益冲突",
        "review.save_scores": "保存评分",
        "review.submit_sheet": "提交评分表",
        "review.reopen_sheet": "退回评分表",
        "review.start_publicity": "公示评审结果",
        "review.restart_publicity": "公示结果变更，重新公示",
        "review.lodge_objection": "提出公示异议",
        "review.resolve_objection": "答复公示异议",
        "review.export_scores": "导出评分汇总",
    },
    object_types={
        "ReviewPanel": "评审组",
        "Expert": "评审专家",
        "PanelEntry": "评审项目",
        "Assignment": "评审分配",
        "ScoreSheet": "评分表",
    },
    summary_keys={
        "seed": "随机种子",
        "stage": "阶段",
        "entry_id": "评审项目",
        "reviewer_id": "评审专家",
        "period": "公示期",
        "previous_period": "原公示期",
        "result": "处理结果",
    },
)
