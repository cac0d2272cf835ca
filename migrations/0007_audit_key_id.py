from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_activity_month_count')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AuditEntry',
            name='key_id',
            field=fields.CharField(db_default='sha256-legacy', max_length=40),
        ),
    ]
