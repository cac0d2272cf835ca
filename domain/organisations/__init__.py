"""Social organisations: the registry (登记/备案), members, sanction lists, ratings, annual reports
and the one eligibility rule later domains ask."""

from domain.audit import labels

labels.register(
    actions={
        "organisation.register": "登记社会组织",
        "organisation.file": "备案社区社会组织",
        "organisation.upgrade": "备案转登记",
        "organisation.deregister": "注销社会组织",
        "organisation.sanction": "列入名录",
        "organisation.lift_sanction": "移出名录",
        "organisation.rate": "记录等级评估",
        "organisation.add_member": "添加组织成员",
        "organisation.end_member": "结束组织成员身份",
        "organisation.submit_report": "报送年度报告",
        "organisation.accept_report": "通过年度报告",
        "organisation.return_report": "退回年度报告",
    },
    object_types={"Organisation": "社会组织"},
    summary_keys={"list": "名录", "level": "等级", "year": "年度"},
)
