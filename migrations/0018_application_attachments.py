# Funding applications carry attachments (申报附件): PDFs and images checked by content, stored under random names (issue 15).
from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.funding.models import AttachmentKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0017_review_funding_link')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ApplicationAttachment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='attachments', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='PDF: PDF\nIMAGE: IMAGE', enum_type=AttachmentKind, max_length=8)),
                ('file_name', fields.CharField(max_length=120)),
                ('stored_name', fields.CharField(unique=True, max_length=64)),
                ('content_type', fields.CharField(max_length=20)),
                ('size_bytes', fields.IntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('uploaded_by_user_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'funding_attachment', 'app': 'models', 'indexes': [Index(fields=['application_id', 'id'], name='funding_attachment_app_idx')], 'pk_attr': 'id', 'table_description': 'A file attached to an application (申报附件): a PDF checked by parsing it, or an image'},
            bases=['Model'],
        ),
    ]
