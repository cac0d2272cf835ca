# The shared review module (issue 15): panels, the expert pool and affiliations, entries, conflicts, assignments, score sheets and scores. Lead: re-chain the dependency at merge.
from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.review.models import (
    AssignMethod,
    ConflictReason,
    ConflictSource,
    MemberSource,
    PanelKind,
    PanelStage,
    SheetStatus,
    Stage,
)
from domain.review.rules import AggregationRule
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("models", "0015_funding")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Expert",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "user",
                    fields.OneToOneField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="expert",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("specialities", fields.CharField(default="", max_length=200)),
                ("active", fields.BooleanField(default=True)),
                ("is_demo", fields.BooleanField(default=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "review_expert",
                "app": "models",
                "pk_attr": "id",
                "table_description": "An expert of the pool (专家库): an account holding the REVIEWER role.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ExpertAffiliation",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "expert",
                    fields.ForeignKeyField(
                        "models.Expert",
                        source_field="expert_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="affiliations",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "organisation",
                    fields.ForeignKeyField(
                        "models.Organisation",
                        source_field="organisation_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="expert_affiliations",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("role", fields.CharField(default="", max_length=60)),
                ("started_on", fields.DateField(null=True)),
                ("ended_on", fields.DateField(null=True)),
            ],
            options={
                "table": "review_expert_affiliation",
                "app": "models",
                "indexes": [
                    Index(fields=["organisation_id", "expert_id"], name="review_affiliation_org_idx")
                ],
                "pk_attr": "id",
                "table_description": "An expert's role in an organisation, past or present, conflicts are detected from.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ReviewPanel",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="FUNDING: FUNDING\nCOMPETITION: COMPETITION",
                        enum_type=PanelKind,
                        max_length=12,
                    ),
                ),
                ("title", fields.CharField(max_length=100)),
                ("rubric", fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                (
                    "aggregation_rule",
                    fields.CharEnumField(
                        description="TRIMMED_MEAN: TRIMMED_MEAN\nMEDIAN: MEDIAN\nZ_SCORE: Z_SCORE",
                        enum_type=AggregationRule,
                        max_length=16,
                    ),
                ),
                ("blind", fields.BooleanField(default=False)),
                ("roadshow", fields.BooleanField(default=False)),
                ("reviewers_per_entry", fields.SmallIntField()),
                (
                    "stage",
                    fields.CharEnumField(
                        default=PanelStage.SETUP,
                        description="SETUP: SETUP\nWRITTEN: WRITTEN\nROADSHOW: ROADSHOW\nCLOSED: CLOSED",
                        enum_type=PanelStage,
                        max_length=10,
                    ),
                ),
                ("frozen_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="created_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="review_panels",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("is_demo", fields.BooleanField(default=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "review_panel",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A review panel: its rubric, aggregation rule and options are fixed once frozen.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PanelEntry",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "panel",
                    fields.ForeignKeyField(
                        "models.ReviewPanel",
                        source_field="panel_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="entries",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("subject_id", fields.IntField()),
                ("title", fields.CharField(max_length=100)),
                (
                    "applicant",
                    fields.ForeignKeyField(
                        "models.Organisation",
                        source_field="applicant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="review_entries",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "sponsor",
                    fields.ForeignKeyField(
                        "models.Organisation",
                        source_field="sponsor_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="sponsored_review_entries",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("withdrawn", fields.BooleanField(default=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "review_entry",
                "app": "models",
                "unique_together": (("panel_id", "subject_id"),),
                "pk_attr": "id",
                "table_description": "What a panel reviews: the owning domain's subject (an application, a project) by id, and",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Assignment",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "panel",
                    fields.ForeignKeyField(
                        "models.ReviewPanel",
                        source_field="panel_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="assignments",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "entry",
                    fields.ForeignKeyField(
                        "models.PanelEntry",
                        source_field="entry_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="assignments",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "reviewer",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="reviewer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="review_assignments",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "stage",
                    fields.CharEnumField(
                        description="WRITTEN: WRITTEN\nROADSHOW: ROADSHOW", enum_type=Stage, max_length=10
                    ),
                ),
                (
                    "method",
                    fields.CharEnumField(
                        description="DRAWN: DRAWN\nASSIGNED: ASSIGNED", enum_type=AssignMethod, max_length=10
                    ),
                ),
                ("draw_seed", fields.BigIntField(null=True)),
                (
                    "assigned_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="assigned_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="review_assignments_made",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("live", fields.BooleanField(null=True, default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("cancelled_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("cancel_reason", fields.CharField(default="", max_length=500)),
            ],
            options={
                "table": "review_assignment",
                "app": "models",
                "unique_together": (("entry_id", "reviewer_id", "stage", "live"),),
                "indexes": [
                    Index(fields=["panel_id", "reviewer_id", "live"], name="review_assignment_reviewer_idx"),
                    Index(fields=["panel_id", "stage", "live"], name="review_assignment_panel_idx"),
                ],
                "pk_attr": "id",
                "table_description": "A reviewer scoring an entry in one stage, drawn (with the seed) or assigned by staff.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Conflict",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "panel",
                    fields.ForeignKeyField(
                        "models.ReviewPanel",
                        source_field="panel_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="conflicts",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "entry",
                    fields.ForeignKeyField(
                        "models.PanelEntry",
                        source_field="entry_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="conflicts",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "reviewer",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="reviewer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="review_conflicts",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "reason",
                    fields.CharEnumField(
                        description="SAME_ORGANISATION: SAME_ORGANISATION\nSPONSOR: SPONSOR\nFAMILY: FAMILY\nFORMER_EMPLOYMENT: FORMER_EMPLOYMENT\nOTHER: OTHER",
                        enum_type=ConflictReason,
                        max_length=20,
                    ),
                ),
                ("note", fields.CharField(default="", max_length=500)),
                (
                    "declared_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="declared_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="declared_conflicts",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "source",
                    fields.CharEnumField(
                        description="SELF: SELF\nSTAFF: STAFF\nAUTOMATIC: AUTOMATIC",
                        enum_type=ConflictSource,
                        max_length=10,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "review_conflict",
                "app": "models",
                "unique_together": (("panel_id", "entry_id", "reviewer_id"),),
                "pk_attr": "id",
                "table_description": "A conflict of interest between a reviewer and an entry: that reviewer never scores nor",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PanelMember",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "panel",
                    fields.ForeignKeyField(
                        "models.ReviewPanel",
                        source_field="panel_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="members",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="panel_memberships",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "source",
                    fields.CharEnumField(
                        description="POOL: POOL\nSTAFF: STAFF", enum_type=MemberSource, max_length=8
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "review_panel_member",
                "app": "models",
                "unique_together": (("panel_id", "user_id"),),
                "pk_attr": "id",
                "table_description": "Who scores on a panel: an expert from the pool or a member of staff.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ScoreSheet",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "assignment",
                    fields.OneToOneField(
                        "models.Assignment",
                        source_field="assignment_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="sheet",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=SheetStatus.DRAFT,
                        description="DRAFT: DRAFT\nSUBMITTED: SUBMITTED\nVOIDED: VOIDED",
                        enum_type=SheetStatus,
                        max_length=10,
                    ),
                ),
                ("overall_comment", fields.TextField(default="", unique=False)),
                ("submitted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("reopened_reason", fields.CharField(default="", max_length=500)),
                ("voided_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "review_sheet",
                "app": "models",
                "pk_attr": "id",
                "table_description": "One reviewer's sheet for one assignment.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Score",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "sheet",
                    fields.ForeignKeyField(
                        "models.ScoreSheet",
                        source_field="sheet_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="scores",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("key", fields.CharField(max_length=40)),
                ("score", fields.SmallIntField()),
                ("comment", fields.TextField(default="", unique=False)),
            ],
            options={
                "table": "review_score",
                "app": "models",
                "unique_together": (("sheet_id", "key"),),
                "pk_attr": "id",
                "table_description": "One criterion's score on a sheet, with its comment.",
            },
            bases=["Model"],
        ),
    ]
