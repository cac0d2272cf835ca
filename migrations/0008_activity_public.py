from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from domain.activities.models import PUBLIC_TYPES

# Existing verified records: public by the default rule for their type
# (`domain.activities.models.PUBLIC_BY_DEFAULT`), details not public; other records not public.
_PUBLIC_TYPES = ", ".join(f"'{kind.value}'" for kind in sorted(PUBLIC_TYPES))


class Migration(migrations.Migration):
    dependencies = [('models', '0007_audit_key_id')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Activity',
            name='details_public',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Activity',
            name='is_public',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.RunSQL(
            [
                "UPDATE activity SET is_public = TRUE "
                f"WHERE status = 'VERIFIED' AND activity_type IN ({_PUBLIC_TYPES})",
            ],
            reverse_sql=[],
        ),
    ]
