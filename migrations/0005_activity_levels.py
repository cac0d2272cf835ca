from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_activity_author_index')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='Activity',
            name='activity_path_time_idx',
            fields=None,
        ),
        ops.RemoveIndex(
            model_name='Activity',
            name='activity_status_path_idx',
            fields=None,
        ),
        ops.AddField(
            model_name='Activity',
            name='grid_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Activity',
            name='town_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Activity',
            name='unit_id',
            field=fields.IntField(null=True),
        ),
        # Existing rows: the level ids are the path's 2nd, 3rd and 4th 8-digit segments.
        ops.RunSQL(
            [
                "UPDATE activity SET town_id = CAST(substr(cell_path, 9, 8) AS INTEGER) WHERE length(cell_path) >= 16",
                "UPDATE activity SET unit_id = CAST(substr(cell_path, 17, 8) AS INTEGER) WHERE length(cell_path) >= 24",
                "UPDATE activity SET grid_id = CAST(substr(cell_path, 25, 8) AS INTEGER) WHERE length(cell_path) >= 32",
            ],
            reverse_sql=[],
        ),
        ops.AddIndex(
            model_name='Activity',
            index=Index(fields=['town_id', 'started_at', 'id'], name='activity_town_time_idx'),
        ),
        ops.AddIndex(
            model_name='Activity',
            index=Index(fields=['unit_id', 'started_at', 'id'], name='activity_unit_time_idx'),
        ),
        ops.AddIndex(
            model_name='Activity',
            index=Index(fields=['grid_id', 'started_at', 'id'], name='activity_grid_time_idx'),
        ),
        ops.AddIndex(
            model_name='Activity',
            index=Index(fields=['town_id', 'status', 'started_at', 'unit_id', 'activity_type'], name='activity_town_counts_idx'),
        ),
        ops.AddIndex(
            model_name='Activity',
            index=Index(fields=['status', 'submitted_at', 'id'], name='activity_queue_idx'),
        ),
    ]
