# Training pages (waiting list, certificates, the 待核实 cohort year).
from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.leaders.models import EnrolmentStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0008_activity_public')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Certificate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('leader', fields.OneToOneField('models.MicroLeader', source_field='leader_id', db_constraint=True, to_field='id', related_name='certificate', on_delete=OnDelete.RESTRICT)),
                ('cohort', fields.ForeignKeyField('models.Cohort', source_field='cohort_id', db_constraint=True, to_field='id', related_name='certificates', on_delete=OnDelete.RESTRICT)),
                ('number', fields.CharField(unique=True, max_length=20)),
                ('issued_on', fields.DateField()),
                ('automatic', fields.BooleanField()),
                ('is_demo', fields.BooleanField(default=False)),
            ],
            options={'table': 'certificate', 'app': 'models', 'indexes': [Index(fields=['cohort_id', 'number'], name='certificate_cohort_idx')], 'pk_attr': 'id', 'table_description': 'The 结业证书 a certification produces (automatic or by hand): one per leader, numbered'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CertificateSequence',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('year', fields.SmallIntField(unique=True)),
                ('last_number', fields.IntField()),
            ],
            options={'table': 'certificate_sequence', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The last certificate number issued per year (an atomic upsert hands out the next).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Cohort',
            name='year_unverified',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AlterField(
            model_name='Enrolment',
            name='status',
            field=fields.CharEnumField(default=EnrolmentStatus.ENROLLED, description='ENROLLED: ENROLLED\nWAITING: WAITING\nCANCELLED: CANCELLED', enum_type=EnrolmentStatus, max_length=10),
        ),
        ops.AddIndex(
            model_name='Enrolment',
            index=Index(fields=['session_id', 'status', 'enrolled_at', 'id'], name='enrolment_queue_idx'),
        ),
    ]
