"""The working-day calendar (工作日历): the bureau's table of public holidays and adjusted working
days (调休上班), which every period counted in working days reads (a review's 公示)."""

from domain.audit import labels

labels.register(
    actions={
        "calendar.set_day": "设置节假日或调休工作日",
        "calendar.remove_day": "删除节假日或调休工作日",
    },
    object_types={"CalendarDay": "工作日历"},
    summary_keys={"day": "日期", "kind": "类型"},
)
