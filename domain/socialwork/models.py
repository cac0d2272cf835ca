"""Social work (社会工作): the stations in every town, the agencies stationed in villages and
communities, certified social workers and the supervision of their practice.

An agency is an organisation (`domain.organisations`) registered as a 社会服务机构 with the
social-work flag. Certificates are national: 助理社会工作师 (assistant), 社会工作师 (intermediate),
高级社会工作师 (senior). Supervisors (督导) are social workers with a supervisor level.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.grids.models import GridCell
    from domain.organisations.models import Organisation
    from domain.people.models import Person


class CertificateLevel(StrEnum):
    ASSISTANT = "ASSISTANT"
    INTERMEDIATE = "INTERMEDIATE"
    SENIOR = "SENIOR"

    @property
    def label(self) -> str:
        return CERTIFICATE_LABELS[self]


CERTIFICATE_LABELS = {
    CertificateLevel.ASSISTANT: "助理社会工作师",
    CertificateLevel.INTERMEDIATE: "社会工作师",
    CertificateLevel.SENIOR: "高级社会工作师",
}


class SupervisorLevel(StrEnum):
    ASSISTANT = "ASSISTANT"
    TRAINEE = "TRAINEE"
    SUPERVISOR = "SUPERVISOR"

    @property
    def label(self) -> str:
        return SUPERVISOR_LABELS[self]


SUPERVISOR_LABELS = {
    SupervisorLevel.ASSISTANT: "督导助理",
    SupervisorLevel.TRAINEE: "见习督导",
    SupervisorLevel.SUPERVISOR: "督导",
}


class SupervisionForm(StrEnum):
    INDIVIDUAL = "INDIVIDUAL"
    GROUP = "GROUP"
    PEER = "PEER"

    @property
    def label(self) -> str:
        return SUPERVISION_FORM_LABELS[self]


SUPERVISION_FORM_LABELS = {
    SupervisionForm.INDIVIDUAL: "个别督导",
    SupervisionForm.GROUP: "团体督导",
    SupervisionForm.PEER: "同辈督导",
}


class Station(Model):
    """A town social-work station (镇街社工站), run by an agency or by the town itself."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    town: fields.ForeignKeyRelation[GridCell] = fields.ForeignKeyField(
        "models.GridCell", related_name="social_work_stations", on_delete=fields.RESTRICT
    )
    operator: fields.ForeignKeyNullableRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="operated_stations", null=True, on_delete=fields.SET_NULL
    )
    opened_on = fields.DateField(null=True)
    is_demo = fields.BooleanField(default=False)

    town_id: int
    operator_id: int | None

    class Meta:
        table = "social_work_station"
        unique_together = (("town_id", "name"),)


class Placement(Model):
    """An agency stationed in a village or community (驻村/驻社区服务) from a date, until `ended_on`."""

    id = fields.IntField(primary_key=True)
    agency: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="placements", on_delete=fields.RESTRICT
    )
    cell: fields.ForeignKeyRelation[GridCell] = fields.ForeignKeyField(
        "models.GridCell", related_name="agency_placements", on_delete=fields.RESTRICT
    )
    started_on = fields.DateField()
    ended_on = fields.DateField(null=True)
    is_demo = fields.BooleanField(default=False)

    agency_id: int
    cell_id: int

    class Meta:
        table = "agency_placement"
        indexes = [
            Index(fields=["agency_id", "started_on"], name="agency_placement_agency_idx"),
            Index(fields=["cell_id", "started_on"], name="agency_placement_cell_idx"),
        ]


class SocialWorker(Model):
    """A certified social worker: one row per person, the highest certificate held."""

    id = fields.IntField(primary_key=True)
    person: fields.OneToOneRelation[Person] = fields.OneToOneField(
        "models.Person", related_name="social_worker", on_delete=fields.RESTRICT
    )
    level = fields.CharEnumField(CertificateLevel, max_length=12)
    certificate_number = fields.CharField(max_length=40, unique=True)
    certificate_year = fields.SmallIntField()
    employer: fields.ForeignKeyNullableRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="social_workers", null=True, on_delete=fields.SET_NULL
    )
    station: fields.ForeignKeyNullableRelation[Station] = fields.ForeignKeyField(
        "models.Station", related_name="social_workers", null=True, on_delete=fields.SET_NULL
    )
    supervisor_level = fields.CharEnumField(SupervisorLevel, max_length=12, null=True)
    is_demo = fields.BooleanField(default=False)

    person_id: int
    employer_id: int | None
    station_id: int | None

    class Meta:
        table = "social_worker"
        indexes = [
            Index(fields=["employer_id", "level"], name="social_worker_employer_idx"),
            Index(fields=["supervisor_level", "id"], name="social_worker_supervisor_idx"),
        ]


class SupervisionRecord(Model):
    """One supervision meeting: a supervisor with one supervisee (individual) or several."""

    id = fields.IntField(primary_key=True)
    supervisor: fields.ForeignKeyRelation[SocialWorker] = fields.ForeignKeyField(
        "models.SocialWorker", related_name="supervisions_given", on_delete=fields.RESTRICT
    )
    form = fields.CharEnumField(SupervisionForm, max_length=12)
    held_on = fields.DateField()
    minutes = fields.SmallIntField()
    topics = fields.CharField(max_length=500)
    follow_up = fields.CharField(max_length=500, default="")
    author_user_id = fields.IntField(null=True)
    is_demo = fields.BooleanField(default=False)

    supervisor_id: int

    class Meta:
        table = "supervision_record"
        indexes = [Index(fields=["supervisor_id", "held_on"], name="supervision_supervisor_idx")]


class Supervisee(Model):
    """A social worker supervised in a record."""

    id = fields.IntField(primary_key=True)
    record: fields.ForeignKeyRelation[SupervisionRecord] = fields.ForeignKeyField(
        "models.SupervisionRecord", related_name="supervisees", on_delete=fields.CASCADE
    )
    worker: fields.ForeignKeyRelation[SocialWorker] = fields.ForeignKeyField(
        "models.SocialWorker", related_name="supervisions_received", on_delete=fields.RESTRICT
    )

    record_id: int
    worker_id: int

    class Meta:
        table = "supervisee"
        unique_together = (("record_id", "worker_id"),)
