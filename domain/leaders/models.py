"""Micro-leaders (微领袖), their cohorts (期) and the training plan."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.grids.models import GridCell
    from domain.people.models import Person


class SourceRole(StrEnum):
    """Where a micro-leader was recruited from."""

    MICRO_GRID_HEAD = "MICRO_GRID_HEAD"
    GROUP_LEADER = "GROUP_LEADER"
    ORG_LEADER = "ORG_LEADER"

    @property
    def label(self) -> str:
        return SOURCE_ROLE_LABELS[self]


SOURCE_ROLE_LABELS = {
    SourceRole.MICRO_GRID_HEAD: "微网格长",
    SourceRole.GROUP_LEADER: "村（居）民小组长",
    SourceRole.ORG_LEADER: "社区社会组织负责人",
}


class LeaderStatus(StrEnum):
    NOMINATED = "NOMINATED"
    ENROLLED = "ENROLLED"
    CERTIFIED = "CERTIFIED"
    WITHDRAWN = "WITHDRAWN"

    @property
    def label(self) -> str:
        return LEADER_STATUS_LABELS[self]

    @property
    def is_active(self) -> bool:
        return self in (LeaderStatus.NOMINATED, LeaderStatus.ENROLLED)


LEADER_STATUS_LABELS = {
    LeaderStatus.NOMINATED: "已提名",
    LeaderStatus.ENROLLED: "培训中",
    LeaderStatus.CERTIFIED: "已结业认证",
    LeaderStatus.WITHDRAWN: "已退出",
}

# The lifecycle: which status may follow which.
LEADER_TRANSITIONS: dict[LeaderStatus, frozenset[LeaderStatus]] = {
    LeaderStatus.NOMINATED: frozenset({LeaderStatus.ENROLLED, LeaderStatus.WITHDRAWN}),
    LeaderStatus.ENROLLED: frozenset({LeaderStatus.CERTIFIED, LeaderStatus.WITHDRAWN}),
    LeaderStatus.CERTIFIED: frozenset(),
    LeaderStatus.WITHDRAWN: frozenset(),
}


class SessionType(StrEnum):
    CASE_COACHING = "CASE_COACHING"
    GROUP_COACHING = "GROUP_COACHING"
    WORKSHOP = "WORKSHOP"
    STUDY_VISIT = "STUDY_VISIT"
    BOOTCAMP = "BOOTCAMP"

    @property
    def label(self) -> str:
        return SESSION_TYPE_LABELS[self]


SESSION_TYPE_LABELS = {
    SessionType.CASE_COACHING: "个案辅导增能",
    SessionType.GROUP_COACHING: "小组团队辅导",
    SessionType.WORKSHOP: "主题工作坊",
    SessionType.STUDY_VISIT: "外出参访",
    SessionType.BOOTCAMP: "实务能力训练营",
}


class Cohort(Model):
    """An intake of micro-leaders and its completion rule: attend at least `min_attendance_share`
    of the cohort's required sessions and earn at least `min_hours` training hours."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=60, unique=True)
    year = fields.SmallIntField()
    # The year is an inference (the report says "去年"), shown as 待核实 until someone confirms it.
    year_unverified = fields.BooleanField(default=False, db_default=False)
    min_attendance_share = fields.DecimalField(max_digits=4, decimal_places=3, default=0.8)
    min_hours = fields.DecimalField(max_digits=6, decimal_places=1, default=0)
    is_demo = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "cohort"


class MicroLeader(Model):
    id = fields.IntField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="leaderships", on_delete=fields.RESTRICT
    )
    cohort: fields.ForeignKeyRelation[Cohort] = fields.ForeignKeyField(
        "models.Cohort", related_name="leaders", on_delete=fields.RESTRICT
    )
    home_cell: fields.ForeignKeyRelation[GridCell] = fields.ForeignKeyField(
        "models.GridCell", related_name="leaders", on_delete=fields.RESTRICT
    )
    # The home cell's materialized path, copied so subtree filters need no join.
    home_path = fields.CharField(max_length=64)
    source_role = fields.CharEnumField(SourceRole, max_length=20)
    status = fields.CharEnumField(LeaderStatus, max_length=12, default=LeaderStatus.NOMINATED)
    nominated_at = fields.DatetimeField()
    enrolled_at = fields.DatetimeField(null=True)
    certified_at = fields.DatetimeField(null=True)
    withdrawn_at = fields.DatetimeField(null=True)
    status_reason = fields.CharField(max_length=200, null=True)
    is_demo = fields.BooleanField(default=False)

    person_id: int
    cohort_id: int
    home_cell_id: int

    class Meta:
        table = "micro_leader"
        indexes = [
            Index(fields=["home_cell_id", "id"], name="leader_cell_idx"),
            Index(fields=["cohort_id", "status"], name="leader_cohort_idx"),
            Index(fields=["home_path"], name="leader_path_idx"),
            Index(fields=["person_id", "status"], name="leader_person_idx"),
        ]


class TrainingSession(Model):
    id = fields.IntField(primary_key=True)
    cohort: fields.ForeignKeyRelation[Cohort] = fields.ForeignKeyField(
        "models.Cohort", related_name="sessions", on_delete=fields.RESTRICT
    )
    session_type = fields.CharEnumField(SessionType, max_length=16)
    title = fields.CharField(max_length=100)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    venue = fields.CharField(max_length=100)
    facilitator = fields.CharField(max_length=60)
    # The account that runs check-in (a social worker or supervisor), when they have one.
    facilitator_user_id = fields.IntField(null=True)
    capacity = fields.SmallIntField()
    enrolled_count = fields.SmallIntField(default=0)
    hours = fields.DecimalField(max_digits=4, decimal_places=1)
    required = fields.BooleanField(default=True)
    check_in_code = fields.CharField(max_length=8, null=True)
    check_in_until = fields.DatetimeField(null=True)
    is_demo = fields.BooleanField(default=False)

    cohort_id: int

    class Meta:
        table = "training_session"
        indexes = [Index(fields=["cohort_id", "starts_at"], name="session_cohort_idx")]


class EnrolmentStatus(StrEnum):
    ENROLLED = "ENROLLED"
    # On the waiting list (候补) of a full session: the first waiting leader takes the next freed seat.
    WAITING = "WAITING"
    CANCELLED = "CANCELLED"

    @property
    def label(self) -> str:
        return ENROLMENT_STATUS_LABELS[self]


ENROLMENT_STATUS_LABELS = {
    EnrolmentStatus.ENROLLED: "已报名",
    EnrolmentStatus.WAITING: "候补中",
    EnrolmentStatus.CANCELLED: "已取消",
}


class Enrolment(Model):
    id = fields.IntField(primary_key=True)
    session: fields.ForeignKeyRelation[TrainingSession] = fields.ForeignKeyField(
        "models.TrainingSession", related_name="enrolments", on_delete=fields.CASCADE
    )
    leader: fields.ForeignKeyRelation[MicroLeader] = fields.ForeignKeyField(
        "models.MicroLeader", related_name="enrolments", on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(EnrolmentStatus, max_length=10, default=EnrolmentStatus.ENROLLED)
    enrolled_at = fields.DatetimeField(auto_now_add=True)
    cancelled_at = fields.DatetimeField(null=True)

    session_id: int
    leader_id: int

    class Meta:
        table = "enrolment"
        unique_together = (("session_id", "leader_id"),)
        # The waiting list of a session, in queue order (enrolled_at is when they joined it).
        indexes = [Index(fields=["session_id", "status", "enrolled_at", "id"], name="enrolment_queue_idx")]


class Attendance(Model):
    """One leader's presence at one session: by check-in code, or set by the facilitator's
    correction (with who and why)."""

    id = fields.IntField(primary_key=True)
    session: fields.ForeignKeyRelation[TrainingSession] = fields.ForeignKeyField(
        "models.TrainingSession", related_name="attendance", on_delete=fields.CASCADE
    )
    leader: fields.ForeignKeyRelation[MicroLeader] = fields.ForeignKeyField(
        "models.MicroLeader", related_name="attendance", on_delete=fields.CASCADE
    )
    present = fields.BooleanField(default=True)
    checked_in_at = fields.DatetimeField(null=True)
    corrected_by_user_id = fields.IntField(null=True)
    correction_reason = fields.CharField(max_length=200, null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    session_id: int
    leader_id: int

    class Meta:
        table = "attendance"
        unique_together = (("session_id", "leader_id"),)


class Certificate(Model):
    """The 结业证书 a certification produces (automatic or by hand): one per leader, numbered
    PH-WLX-<cohort year>-<4-digit sequence within that year>."""

    id = fields.IntField(primary_key=True)
    leader: fields.OneToOneRelation[MicroLeader] = fields.OneToOneField(
        "models.MicroLeader", related_name="certificate", on_delete=fields.RESTRICT
    )
    cohort: fields.ForeignKeyRelation[Cohort] = fields.ForeignKeyField(
        "models.Cohort", related_name="certificates", on_delete=fields.RESTRICT
    )
    number = fields.CharField(max_length=20, unique=True)
    issued_on = fields.DateField()
    automatic = fields.BooleanField()
    is_demo = fields.BooleanField(default=False)

    leader_id: int
    cohort_id: int

    class Meta:
        table = "certificate"
        indexes = [Index(fields=["cohort_id", "number"], name="certificate_cohort_idx")]


class CertificateSequence(Model):
    """The last certificate number issued per year (an atomic upsert hands out the next)."""

    id = fields.IntField(primary_key=True)
    year = fields.SmallIntField(unique=True)
    last_number = fields.IntField()

    class Meta:
        table = "certificate_sequence"
