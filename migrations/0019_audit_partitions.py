"""The audit log in parallel chains (issue 16): `chain`, `chain_seq` (unique together) and `form`.
Existing rows become the start of chain 0 and keep their hashes (domain/audit/service.py).

The lead re-chains this migration's dependency when merging it after 0018/0019 of other branches."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint


async def _sequence_past_seq(apps: object, editor: object) -> None:
    """PostgreSQL numbers new rows' `seq` from the id sequence (domain/audit/service.py): start
    it past every existing seq and id."""
    client = editor.client  # type: ignore[attr-defined]
    if client.capabilities.dialect == "postgres":
        await client.execute_script(
            "SELECT setval(pg_get_serial_sequence('audit_log', 'id'), "
            "GREATEST((SELECT max(seq) FROM audit_log), (SELECT max(id) FROM audit_log), 1))"
        )


class Migration(migrations.Migration):
    dependencies = [('models', '0018_application_attachments')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AuditEntry',
            name='chain',
            field=fields.SmallIntField(db_default=0),
        ),
        ops.AddField(
            model_name='AuditEntry',
            name='chain_seq',
            field=fields.BigIntField(db_default=0),
        ),
        ops.AddField(
            model_name='AuditEntry',
            name='form',
            field=fields.SmallIntField(db_default=1),
        ),
        # Rows written before: the start of chain 0, numbered as before, hashed as before (form 1).
        ops.RunSQL(["UPDATE audit_log SET chain_seq = seq"], reverse_sql=[]),
        ops.RunPython(_sequence_past_seq, reverse_code=lambda apps, editor: None),
        ops.AddConstraint(
            model_name='AuditEntry',
            constraint=UniqueConstraint(fields=('chain', 'chain_seq'), name=None),
        ),
    ]
