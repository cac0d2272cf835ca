# Table versions for the result cache of public reads (issue 16, domain/versions.py): the
# `table_version` table, one row per table the compiled read path may read plus the epoch, and the
# triggers that move a table's version on every committed write to it (statement-level, bumped at
# COMMIT on PostgreSQL; row-level on SQLite). A later migration that adds a versioned table calls
# `versions.install` again (idempotent).
from tortoise import migrations
from tortoise.migrations import operations as ops

from domain import versions


class Migration(migrations.Migration):
    dependencies = [("models", "0019_audit_partitions")]

    initial = False

    operations = [
        ops.RunPython(
            lambda apps, editor: versions.install(editor.client),
            reverse_code=lambda apps, editor: None,
        ),
    ]
