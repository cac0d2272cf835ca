from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_training')]

    initial = False

    operations = [
        ops.AddField(
            model_name='GridCell',
            name='households_estimated',
            field=fields.BooleanField(db_default=False),
        ),
        # Existing rows: a demo cell's figure is generated, and so is any sum that includes one.
        ops.RunSQL(
            [
                "UPDATE grid_cell SET households_estimated = TRUE WHERE is_demo "
                "OR EXISTS (SELECT 1 FROM grid_cell d WHERE d.is_demo AND d.path LIKE grid_cell.path || '%')",
            ],
            reverse_sql=[],
        ),
    ]
