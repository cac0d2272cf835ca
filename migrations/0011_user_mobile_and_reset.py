from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_households_estimated')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='mobile',
            field=fields.CharField(null=True, unique=True, max_length=11),
        ),
        ops.AddField(
            model_name='User',
            name='must_change_password',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        # Existing accounts sign in by their person's mobile, unless another account's person has
        # the same one: those keep no sign-in mobile (they sign in by username), so the unique
        # index always holds and this never fails; `linzhi check-accounts` lists them.
        ops.RunSQL(
            [
                "UPDATE app_user SET mobile = (SELECT p.mobile FROM person p WHERE p.id = app_user.person_id) "
                "WHERE (SELECT COUNT(*) FROM app_user u JOIN person p ON p.id = u.person_id "
                "JOIN person mine ON mine.id = app_user.person_id "
                "WHERE p.mobile = mine.mobile AND mine.mobile <> '') = 1",
            ],
            reverse_sql=[],
        ),
    ]
