from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from domain.access import Role
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('seq', fields.BigIntField(unique=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('actor_user_id', fields.IntField(null=True)),
                ('actor_label', fields.CharField(null=True, max_length=100)),
                ('token_id', fields.IntField(null=True)),
                ('action', fields.CharField(max_length=60)),
                ('object_type', fields.CharField(null=True, max_length=40)),
                ('object_id', fields.CharField(null=True, max_length=40)),
                ('summary', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('request_id', fields.CharField(null=True, max_length=64)),
                ('ip', fields.CharField(null=True, max_length=45)),
                ('prev_hash', fields.CharField(max_length=64)),
                ('hash', fields.CharField(max_length=64)),
            ],
            options={'table': 'audit_log', 'app': 'models', 'indexes': [Index(fields=['actor_user_id', 'seq'], name='audit_actor_idx'), Index(fields=['action', 'seq'], name='audit_action_idx'), Index(fields=['object_type', 'object_id', 'seq'], name='audit_object_idx'), Index(fields=['at'], name='audit_at_idx')], 'pk_attr': 'id', 'table_description': 'One append-only audit record.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RateCounter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(max_length=120)),
                ('window_no', fields.BigIntField()),
                ('count', fields.IntField(default=0)),
            ],
            options={'table': 'rate_counter', 'app': 'models', 'unique_together': (('key', 'window_no'),), 'pk_attr': 'id', 'table_description': 'A fixed-window counter shared by every worker process (rate limits).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='users', on_delete=OnDelete.RESTRICT)),
                ('username', fields.CharField(unique=True, max_length=40)),
                ('password_hash', fields.CharField(null=True, max_length=200)),
                ('is_active', fields.BooleanField(default=True)),
                ('is_app', fields.BooleanField(default=False)),
                ('is_demo', fields.BooleanField(default=False)),
                ('failed_attempts', fields.SmallIntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('password_changed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_sign_in_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'app_user', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A sign-in account, always of a Person. App accounts (for third-party apps) sign in with'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=60)),
                ('prefix', fields.CharField(max_length=16)),
                ('secret_hash', fields.CharField(unique=True, max_length=64)),
                ('scopes', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_token', 'app': 'models', 'indexes': [Index(fields=['user_id', 'created_at'], name='api_token_user_idx')], 'pk_attr': 'id', 'table_description': 'A bearer token for third-party apps. The secret is shown once, and only its SHA-256 is kept.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RoleAssignment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='role_assignments', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(description='RESIDENT: RESIDENT\nMICRO_LEADER: MICRO_LEADER\nORGANISER: ORGANISER\nGRID_STAFF: GRID_STAFF\nREVIEWER: REVIEWER\nBUREAU_STAFF: BUREAU_STAFF\nADMIN: ADMIN', enum_type=Role, max_length=16)),
                ('cell', fields.ForeignKeyField('models.GridCell', source_field='cell_id', null=True, db_constraint=True, to_field='id', related_name='role_assignments', on_delete=OnDelete.RESTRICT)),
                ('organisation_id', fields.IntField(null=True)),
                ('granted_by', fields.ForeignKeyField('models.User', source_field='granted_by_id', null=True, db_constraint=True, to_field='id', related_name='granted_roles', on_delete=OnDelete.SET_NULL)),
                ('granted_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'role_assignment', 'app': 'models', 'indexes': [Index(fields=['user_id', 'revoked_at'], name='role_assignment_user_idx')], 'pk_attr': 'id', 'table_description': 'A role of a user, optionally scoped to a grid subtree or an organisation.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('secret_hash', fields.CharField(unique=True, max_length=64)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ip', fields.CharField(null=True, max_length=45)),
                ('user_agent', fields.CharField(null=True, max_length=200)),
            ],
            options={'table': 'user_session', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A signed-in browser. The cookie holds a random secret, and only its SHA-256 is stored.'},
            bases=['Model'],
        ),
    ]
