# A role's organisation becomes a real foreign key (issue 14). Until now `organisation_id` was an
# integer naming no table, and the organisation registry (0012) has since given out ids of its own:
# an old integer would silently point at whichever organisation got that id. So every grant that
# carried one is revoked here (its audit entry keeps the old number); an administrator grants it
# again by picking the organisation.
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0012_organisations')]

    initial = False

    operations = [
        ops.RunSQL(
            [
                "UPDATE role_assignment SET revoked_at = CURRENT_TIMESTAMP "
                "WHERE organisation_id IS NOT NULL AND revoked_at IS NULL",
            ],
            reverse_sql=[],
        ),
        ops.RemoveField(model_name='RoleAssignment', name='organisation_id'),
        ops.AddField(
            model_name='RoleAssignment',
            name='organisation',
            field=fields.ForeignKeyField('models.Organisation', source_field='organisation_id', null=True, db_constraint=True, to_field='id', related_name='role_assignments', on_delete=OnDelete.RESTRICT),
        ),
    ]
