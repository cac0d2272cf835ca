from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.activities.models import ActivityStatus, ActivityType, MediationOutcome
from domain.leaders.models import EnrolmentStatus, LeaderStatus, SessionType, SourceRole
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_accounts_and_audit')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Cohort',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=60)),
                ('year', fields.SmallIntField()),
                ('min_attendance_share', fields.DecimalField(default=0.8, max_digits=4, decimal_places=3)),
                ('min_hours', fields.DecimalField(default=0, max_digits=6, decimal_places=1)),
                ('is_demo', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'cohort', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An intake of micro-leaders and its completion rule: attend at least `min_attendance_share`'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MicroLeader',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='leaderships', on_delete=OnDelete.RESTRICT)),
                ('cohort', fields.ForeignKeyField('models.Cohort', source_field='cohort_id', db_constraint=True, to_field='id', related_name='leaders', on_delete=OnDelete.RESTRICT)),
                ('home_cell', fields.ForeignKeyField('models.GridCell', source_field='home_cell_id', db_constraint=True, to_field='id', related_name='leaders', on_delete=OnDelete.RESTRICT)),
                ('home_path', fields.CharField(max_length=64)),
                ('source_role', fields.CharEnumField(description='MICRO_GRID_HEAD: MICRO_GRID_HEAD\nGROUP_LEADER: GROUP_LEADER\nORG_LEADER: ORG_LEADER', enum_type=SourceRole, max_length=20)),
                ('status', fields.CharEnumField(default=LeaderStatus.NOMINATED, description='NOMINATED: NOMINATED\nENROLLED: ENROLLED\nCERTIFIED: CERTIFIED\nWITHDRAWN: WITHDRAWN', enum_type=LeaderStatus, max_length=12)),
                ('nominated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('enrolled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('certified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('withdrawn_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('status_reason', fields.CharField(null=True, max_length=200)),
                ('is_demo', fields.BooleanField(default=False)),
            ],
            options={'table': 'micro_leader', 'app': 'models', 'indexes': [Index(fields=['home_cell_id', 'id'], name='leader_cell_idx'), Index(fields=['cohort_id', 'status'], name='leader_cohort_idx'), Index(fields=['home_path'], name='leader_path_idx'), Index(fields=['person_id', 'status'], name='leader_person_idx')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Activity',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('author_user_id', fields.IntField()),
                ('leader', fields.ForeignKeyField('models.MicroLeader', source_field='leader_id', null=True, db_constraint=True, to_field='id', related_name='activities', on_delete=OnDelete.RESTRICT)),
                ('cell', fields.ForeignKeyField('models.GridCell', source_field='cell_id', db_constraint=True, to_field='id', related_name='activities', on_delete=OnDelete.RESTRICT)),
                ('cell_path', fields.CharField(max_length=64)),
                ('activity_type', fields.CharEnumField(description='VISIT: VISIT\nMEDIATION: MEDIATION\nDELIBERATION: DELIBERATION\nPUBLICITY: PUBLICITY\nENVIRONMENT: ENVIRONMENT\nSAFETY_CHECK: SAFETY_CHECK\nVOLUNTEERING: VOLUNTEERING\nERRAND: ERRAND\nCULTURE_SPORTS: CULTURE_SPORTS\nPROJECT_WORK: PROJECT_WORK\nEMERGENCY: EMERGENCY\nOTHER: OTHER', enum_type=ActivityType, max_length=16)),
                ('title', fields.CharField(max_length=100)),
                ('narrative', fields.TextField(default='', unique=False)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('place', fields.CharField(default='', max_length=100)),
                ('participants', fields.IntField(default=0)),
                ('households_reached', fields.IntField(default=0)),
                ('problems', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('mediation_outcome', fields.CharEnumField(null=True, description='RESOLVED: RESOLVED\nPARTLY: PARTLY\nFAILED: FAILED\nREFERRED: REFERRED', enum_type=MediationOutcome, max_length=10)),
                ('volunteer_hours', fields.DecimalField(null=True, max_digits=6, decimal_places=1)),
                ('follow_up', fields.TextField(default='', unique=False)),
                ('project_id', fields.IntField(null=True)),
                ('status', fields.CharEnumField(default=ActivityStatus.DRAFT, description='DRAFT: DRAFT\nSUBMITTED: SUBMITTED\nVERIFIED: VERIFIED\nRETURNED: RETURNED', enum_type=ActivityStatus, max_length=10)),
                ('return_reason', fields.CharField(null=True, max_length=200)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reviewed_by_user_id', fields.IntField(null=True)),
                ('is_demo', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'activity', 'app': 'models', 'indexes': [Index(fields=['cell_path', 'started_at', 'id'], name='activity_path_time_idx'), Index(fields=['leader_id', 'started_at', 'id'], name='activity_leader_time_idx'), Index(fields=['cell_id', 'started_at', 'id'], name='activity_cell_time_idx'), Index(fields=['status', 'cell_path', 'started_at'], name='activity_status_path_idx'), Index(fields=['started_at', 'id'], name='activity_time_idx')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ActivityPhoto',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('activity', fields.ForeignKeyField('models.Activity', source_field='activity_id', db_constraint=True, to_field='id', related_name='photos', on_delete=OnDelete.CASCADE)),
                ('file_name', fields.CharField(unique=True, max_length=64)),
                ('content_type', fields.CharField(max_length=20)),
                ('size_bytes', fields.IntField()),
                ('width', fields.SmallIntField()),
                ('height', fields.SmallIntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'activity_photo', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A photo of an activity, stored under the data folder with a random name, its EXIF'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TrainingSession',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('cohort', fields.ForeignKeyField('models.Cohort', source_field='cohort_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.RESTRICT)),
                ('session_type', fields.CharEnumField(description='CASE_COACHING: CASE_COACHING\nGROUP_COACHING: GROUP_COACHING\nWORKSHOP: WORKSHOP\nSTUDY_VISIT: STUDY_VISIT\nBOOTCAMP: BOOTCAMP', enum_type=SessionType, max_length=16)),
                ('title', fields.CharField(max_length=100)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('venue', fields.CharField(max_length=100)),
                ('facilitator', fields.CharField(max_length=60)),
                ('facilitator_user_id', fields.IntField(null=True)),
                ('capacity', fields.SmallIntField()),
                ('enrolled_count', fields.SmallIntField(default=0)),
                ('hours', fields.DecimalField(max_digits=4, decimal_places=1)),
                ('required', fields.BooleanField(default=True)),
                ('check_in_code', fields.CharField(null=True, max_length=8)),
                ('check_in_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('is_demo', fields.BooleanField(default=False)),
            ],
            options={'table': 'training_session', 'app': 'models', 'indexes': [Index(fields=['cohort_id', 'starts_at'], name='session_cohort_idx')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Attendance',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('session', fields.ForeignKeyField('models.TrainingSession', source_field='session_id', db_constraint=True, to_field='id', related_name='attendance', on_delete=OnDelete.CASCADE)),
                ('leader', fields.ForeignKeyField('models.MicroLeader', source_field='leader_id', db_constraint=True, to_field='id', related_name='attendance', on_delete=OnDelete.CASCADE)),
                ('present', fields.BooleanField(default=True)),
                ('checked_in_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('corrected_by_user_id', fields.IntField(null=True)),
                ('correction_reason', fields.CharField(null=True, max_length=200)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'attendance', 'app': 'models', 'unique_together': (('session_id', 'leader_id'),), 'pk_attr': 'id', 'table_description': "One leader's presence at one session: by check-in code, or set by the facilitator's"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Enrolment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('session', fields.ForeignKeyField('models.TrainingSession', source_field='session_id', db_constraint=True, to_field='id', related_name='enrolments', on_delete=OnDelete.CASCADE)),
                ('leader', fields.ForeignKeyField('models.MicroLeader', source_field='leader_id', db_constraint=True, to_field='id', related_name='enrolments', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=EnrolmentStatus.ENROLLED, description='ENROLLED: ENROLLED\nCANCELLED: CANCELLED', enum_type=EnrolmentStatus, max_length=10)),
                ('enrolled_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'enrolment', 'app': 'models', 'unique_together': (('session_id', 'leader_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
