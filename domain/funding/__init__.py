"""Public-interest venture funding (公益创投): rounds, needs collection, applications, the award
within the pool, agreements, tranches and evaluations."""

from domain.audit import labels

labels.register(
    actions={
        "funding.round_create": "新建公益创投轮次",
        "funding.round_update": "修改公益创投轮次",
        "funding.round_stage": "变更公益创投阶段",
        "funding.need_submit": "提交需求",
        "funding.need_decide": "审核需求",
        "funding.application_save": "保存项目申报",
        "funding.application_move": "变更申报状态",
        "funding.award": "核定资助金额",
        "funding.agreement_sign": "签订资助协议",
        "funding.tranche_approve": "审批拨付",
        "funding.tranche_pay": "登记拨付",
        "funding.reclaim": "追回资金",
        "funding.milestone_report": "报送进度报告",
        "funding.self_assessment": "提交自评",
        "funding.evaluate": "评估项目",
        "funding.results_export": "导出公益创投结果",
        "funding.attachment_add": "上传申报附件",
        "funding.attachment_remove": "删除申报附件",
    },
    object_types={
        "FundingRound": "公益创投轮次",
        "Need": "需求",
        "Application": "项目申报",
        "Tranche": "拨付",
    },
    summary_keys={
        "stage": "阶段",
        "amount": "金额",
        "score": "得分",
        "rows": "条数",
        "attachment": "附件",
        "size": "字节数",
        "sha256": "SHA-256",
    },
)
