# Funding rounds are scored on review panels (FundingRound.panel); panels carry their results' publicity period (公示), and objections to it are recorded under a real name (issue 15).
from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.review.models import ObjectionStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0016_review')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Objection',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('panel', fields.ForeignKeyField('models.ReviewPanel', source_field='panel_id', db_constraint=True, to_field='id', related_name='objections', on_delete=OnDelete.CASCADE)),
                ('entry', fields.ForeignKeyField('models.PanelEntry', source_field='entry_id', null=True, db_constraint=True, to_field='id', related_name='objections', on_delete=OnDelete.CASCADE)),
                ('lodged_by', fields.ForeignKeyField('models.User', source_field='lodged_by_id', db_constraint=True, to_field='id', related_name='objections', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=50)),
                ('mobile', fields.CharField(max_length=11)),
                ('text', fields.CharField(max_length=2000)),
                ('status', fields.CharEnumField(default=ObjectionStatus.OPEN, description='OPEN: OPEN\nUPHELD: UPHELD\nDISMISSED: DISMISSED', enum_type=ObjectionStatus, max_length=10)),
                ('answer', fields.CharField(default='', max_length=2000)),
                ('resolved_by', fields.ForeignKeyField('models.User', source_field='resolved_by_id', null=True, db_constraint=True, to_field='id', related_name='resolved_objections', on_delete=OnDelete.SET_NULL)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'review_objection', 'app': 'models', 'indexes': [Index(fields=['panel_id', 'status'], name='review_objection_panel_idx')], 'pk_attr': 'id', 'table_description': "A written objection to a panel's publicised results (公示异议), under the objector's real"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='FundingRound',
            name='panel',
            field=fields.ForeignKeyField('models.ReviewPanel', source_field='panel_id', db_constraint=True, to_field='id', related_name='funding_rounds', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='ReviewPanel',
            name='publicity_ends_on',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='ReviewPanel',
            name='publicity_starts_on',
            field=fields.DateField(null=True),
        ),
    ]
