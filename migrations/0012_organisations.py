# The organisation registry and social work (issue 14): organisations, members, sanction lists, ratings, annual reports, stations, agency placements, social workers, supervision.
from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.organisations.models import LegalForm, MemberRole, OrgField, OrgStatus, Rating, ReportStatus, SanctionList
from domain.socialwork.models import CertificateLevel, SupervisionForm, SupervisorLevel
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0011_user_mobile_and_reset')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Organisation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('legal_form', fields.CharEnumField(description='SOCIAL_GROUP: SOCIAL_GROUP\nSERVICE_INSTITUTION: SERVICE_INSTITUTION\nFOUNDATION: FOUNDATION\nCOMMUNITY_GROUP: COMMUNITY_GROUP', enum_type=LegalForm, max_length=20)),
                ('field', fields.CharEnumField(description='CULTURE_SPORTS: CULTURE_SPORTS\nCHARITY: CHARITY\nLIFE_SERVICE: LIFE_SERVICE\nMUTUAL_AID: MUTUAL_AID\nMEDIATION: MEDIATION\nSOCIAL_WORK: SOCIAL_WORK\nOTHER: OTHER', enum_type=OrgField, max_length=20)),
                ('status', fields.CharEnumField(description='FILED: FILED\nREGISTERED: REGISTERED\nDEREGISTERED: DEREGISTERED', enum_type=OrgStatus, max_length=12)),
                ('uscc', fields.CharField(null=True, unique=True, max_length=18)),
                ('filing_number', fields.CharField(null=True, unique=True, max_length=40)),
                ('filing_cell', fields.ForeignKeyField('models.GridCell', source_field='filing_cell_id', null=True, db_constraint=True, to_field='id', related_name='filed_organisations', on_delete=OnDelete.RESTRICT)),
                ('home_cell', fields.ForeignKeyField('models.GridCell', source_field='home_cell_id', db_constraint=True, to_field='id', related_name='organisations', on_delete=OnDelete.RESTRICT)),
                ('home_path', fields.CharField(max_length=100)),
                ('town_id', fields.IntField(null=True)),
                ('founded_on', fields.DateField(null=True)),
                ('filed_on', fields.DateField(null=True)),
                ('registered_on', fields.DateField(null=True)),
                ('deregistered_on', fields.DateField(null=True)),
                ('social_work', fields.BooleanField(default=False)),
                ('rating', fields.CharEnumField(null=True, description='A5: A5\nA4: A4\nA3: A3\nA2: A2\nA1: A1', enum_type=Rating, max_length=2)),
                ('rating_valid_until', fields.DateField(null=True)),
                ('contact', fields.ForeignKeyField('models.Person', source_field='contact_id', null=True, db_constraint=True, to_field='id', related_name='contact_for', on_delete=OnDelete.SET_NULL)),
                ('summary', fields.CharField(default='', max_length=500)),
                ('is_demo', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'organisation', 'app': 'models', 'indexes': [Index(fields=['town_id', 'status', 'id'], name='organisation_town_idx'), Index(fields=['home_path'], name='organisation_path_idx'), Index(fields=['legal_form', 'status', 'id'], name='organisation_form_idx'), Index(fields=['rating', 'rating_valid_until'], name='organisation_rating_idx')], 'pk_attr': 'id', 'table_description': "A social organisation. `home_path` and `town_id` copy the home cell's place in the tree so a"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AnnualReport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='annual_reports', on_delete=OnDelete.CASCADE)),
                ('year', fields.SmallIntField()),
                ('status', fields.CharEnumField(description='SUBMITTED: SUBMITTED\nACCEPTED: ACCEPTED\nRETURNED: RETURNED', enum_type=ReportStatus, max_length=10)),
                ('submitted_on', fields.DateField()),
                ('decided_on', fields.DateField(null=True)),
                ('note', fields.CharField(default='', max_length=500)),
                ('is_demo', fields.BooleanField(default=False)),
            ],
            options={'table': 'organisation_annual_report', 'app': 'models', 'unique_together': (('organisation_id', 'year'),), 'pk_attr': 'id', 'table_description': "An organisation's annual report (年度报告) for one year."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OrganisationMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.RESTRICT)),
                ('role', fields.CharEnumField(description='LEGAL_REPRESENTATIVE: LEGAL_REPRESENTATIVE\nCONTACT: CONTACT\nMEMBER: MEMBER', enum_type=MemberRole, max_length=24)),
                ('started_on', fields.DateField(null=True)),
                ('ended_on', fields.DateField(null=True)),
                ('is_demo', fields.BooleanField(default=False)),
            ],
            options={'table': 'organisation_member', 'app': 'models', 'indexes': [Index(fields=['organisation_id', 'role', 'id'], name='organisation_member_org_idx')], 'pk_attr': 'id', 'table_description': 'A role of a person in an organisation, ended by ended_on (history is kept).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Placement',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('agency', fields.ForeignKeyField('models.Organisation', source_field='agency_id', db_constraint=True, to_field='id', related_name='placements', on_delete=OnDelete.RESTRICT)),
                ('cell', fields.ForeignKeyField('models.GridCell', source_field='cell_id', db_constraint=True, to_field='id', related_name='agency_placements', on_delete=OnDelete.RESTRICT)),
                ('started_on', fields.DateField()),
                ('ended_on', fields.DateField(null=True)),
                ('is_demo', fields.BooleanField(default=False)),
            ],
            options={'table': 'agency_placement', 'app': 'models', 'indexes': [Index(fields=['agency_id', 'started_on'], name='agency_placement_agency_idx'), Index(fields=['cell_id', 'started_on'], name='agency_placement_cell_idx')], 'pk_attr': 'id', 'table_description': 'An agency stationed in a village or community (驻村/驻社区服务) from a date, until `ended_on`.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RatingRecord',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='ratings', on_delete=OnDelete.CASCADE)),
                ('level', fields.CharEnumField(description='A5: A5\nA4: A4\nA3: A3\nA2: A2\nA1: A1', enum_type=Rating, max_length=2)),
                ('rated_on', fields.DateField()),
                ('valid_until', fields.DateField()),
                ('is_demo', fields.BooleanField(default=False)),
            ],
            options={'table': 'organisation_rating', 'app': 'models', 'indexes': [Index(fields=['organisation_id', 'rated_on'], name='organisation_rating_org_idx')], 'pk_attr': 'id', 'table_description': 'An A-level evaluation result: the current rating is the latest one still valid.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Sanction',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='sanctions', on_delete=OnDelete.CASCADE)),
                ('list', fields.CharEnumField(description='ABNORMAL: ABNORMAL\nDISHONEST: DISHONEST\nBARRED: BARRED', enum_type=SanctionList, max_length=12)),
                ('reason', fields.CharField(max_length=500)),
                ('source', fields.CharField(max_length=200)),
                ('listed_on', fields.DateField()),
                ('removed_on', fields.DateField(null=True)),
                ('removal_reason', fields.CharField(default='', max_length=500)),
                ('is_demo', fields.BooleanField(default=False)),
            ],
            options={'table': 'organisation_sanction', 'app': 'models', 'indexes': [Index(fields=['organisation_id', 'listed_on'], name='organisation_sanction_org_idx')], 'pk_attr': 'id', 'table_description': 'An entry on a sanction list, with the deciding source, lifted by `removed_on`.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Station',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('town', fields.ForeignKeyField('models.GridCell', source_field='town_id', db_constraint=True, to_field='id', related_name='social_work_stations', on_delete=OnDelete.RESTRICT)),
                ('operator', fields.ForeignKeyField('models.Organisation', source_field='operator_id', null=True, db_constraint=True, to_field='id', related_name='operated_stations', on_delete=OnDelete.SET_NULL)),
                ('opened_on', fields.DateField(null=True)),
                ('is_demo', fields.BooleanField(default=False)),
            ],
            options={'table': 'social_work_station', 'app': 'models', 'unique_together': (('town_id', 'name'),), 'pk_attr': 'id', 'table_description': 'A town social-work station (镇街社工站), run by an agency or by the town itself.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SocialWorker',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.OneToOneField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='social_worker', on_delete=OnDelete.RESTRICT)),
                ('level', fields.CharEnumField(description='ASSISTANT: ASSISTANT\nINTERMEDIATE: INTERMEDIATE\nSENIOR: SENIOR', enum_type=CertificateLevel, max_length=12)),
                ('certificate_number', fields.CharField(unique=True, max_length=40)),
                ('certificate_year', fields.SmallIntField()),
                ('employer', fields.ForeignKeyField('models.Organisation', source_field='employer_id', null=True, db_constraint=True, to_field='id', related_name='social_workers', on_delete=OnDelete.SET_NULL)),
                ('station', fields.ForeignKeyField('models.Station', source_field='station_id', null=True, db_constraint=True, to_field='id', related_name='social_workers', on_delete=OnDelete.SET_NULL)),
                ('supervisor_level', fields.CharEnumField(null=True, description='ASSISTANT: ASSISTANT\nTRAINEE: TRAINEE\nSUPERVISOR: SUPERVISOR', enum_type=SupervisorLevel, max_length=12)),
                ('is_demo', fields.BooleanField(default=False)),
            ],
            options={'table': 'social_worker', 'app': 'models', 'indexes': [Index(fields=['employer_id', 'level'], name='social_worker_employer_idx'), Index(fields=['supervisor_level', 'id'], name='social_worker_supervisor_idx')], 'pk_attr': 'id', 'table_description': 'A certified social worker: one row per person, the highest certificate held.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SupervisionRecord',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('supervisor', fields.ForeignKeyField('models.SocialWorker', source_field='supervisor_id', db_constraint=True, to_field='id', related_name='supervisions_given', on_delete=OnDelete.RESTRICT)),
                ('form', fields.CharEnumField(description='INDIVIDUAL: INDIVIDUAL\nGROUP: GROUP\nPEER: PEER', enum_type=SupervisionForm, max_length=12)),
                ('held_on', fields.DateField()),
                ('minutes', fields.SmallIntField()),
                ('topics', fields.CharField(max_length=500)),
                ('follow_up', fields.CharField(default='', max_length=500)),
                ('author_user_id', fields.IntField(null=True)),
                ('is_demo', fields.BooleanField(default=False)),
            ],
            options={'table': 'supervision_record', 'app': 'models', 'indexes': [Index(fields=['supervisor_id', 'held_on'], name='supervision_supervisor_idx')], 'pk_attr': 'id', 'table_description': 'One supervision meeting: a supervisor with one supervisee (individual) or several.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Supervisee',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('record', fields.ForeignKeyField('models.SupervisionRecord', source_field='record_id', db_constraint=True, to_field='id', related_name='supervisees', on_delete=OnDelete.CASCADE)),
                ('worker', fields.ForeignKeyField('models.SocialWorker', source_field='worker_id', db_constraint=True, to_field='id', related_name='supervisions_received', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'supervisee', 'app': 'models', 'unique_together': (('record_id', 'worker_id'),), 'pk_attr': 'id', 'table_description': 'A social worker supervised in a record.'},
            bases=['Model'],
        ),
    ]
