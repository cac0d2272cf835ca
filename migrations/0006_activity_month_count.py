from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.activities.models import ActivityType
from tortoise import fields
from tortoise.indexes import Index
from domain.activities import rollup

class Migration(migrations.Migration):
    dependencies = [('models', '0005_activity_levels')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ActivityMonthCount',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('town_id', fields.IntField()),
                ('unit_id', fields.IntField()),
                ('activity_type', fields.CharEnumField(description='VISIT: VISIT\nMEDIATION: MEDIATION\nDELIBERATION: DELIBERATION\nPUBLICITY: PUBLICITY\nENVIRONMENT: ENVIRONMENT\nSAFETY_CHECK: SAFETY_CHECK\nVOLUNTEERING: VOLUNTEERING\nERRAND: ERRAND\nCULTURE_SPORTS: CULTURE_SPORTS\nPROJECT_WORK: PROJECT_WORK\nEMERGENCY: EMERGENCY\nOTHER: OTHER', enum_type=ActivityType, max_length=16)),
                ('month', fields.IntField()),
                ('n', fields.IntField()),
            ],
            options={'table': 'activity_month_count', 'app': 'models', 'unique_together': (('town_id', 'unit_id', 'activity_type', 'month'),), 'pk_attr': 'id', 'table_description': 'Verified records per community/village, type and Shanghai calendar month (yyyymm).'},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='ActivityMonthCount',
            index=Index(fields=['town_id', 'month', 'unit_id', 'activity_type', 'n'], name='activity_month_read_idx'),
        ),
        # Existing verified records: the rollup computed from the log, as `linzhi rollup rebuild` does.
        ops.RunPython(
            lambda apps, editor: rollup.rebuild_on(editor.client),
            reverse_code=lambda apps, editor: None,
        ),
    ]
