from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.grids.codes import GridKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Person',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=50)),
                ('mobile', fields.CharField(null=True, db_index=True, max_length=11)),
                ('resident_id', fields.CharField(null=True, unique=True, max_length=18)),
                ('is_demo', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'person', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A natural person. Personal fields are masked in every output unless unmasking is allowed.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GridCell',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='CITY: CITY\nTOWN: TOWN\nCOMMUNITY: COMMUNITY\nVILLAGE: VILLAGE\nGRID: GRID\nMICRO_GRID: MICRO_GRID', enum_type=GridKind, max_length=16)),
                ('code', fields.CharField(unique=True, max_length=17)),
                ('name', fields.CharField(max_length=100)),
                ('parent', fields.ForeignKeyField('models.GridCell', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
                ('path', fields.CharField(default='', max_length=64)),
                ('depth', fields.SmallIntField()),
                ('households', fields.IntField(default=0)),
                ('head', fields.ForeignKeyField('models.Person', source_field='head_id', null=True, db_constraint=True, to_field='id', related_name='headed_cells', on_delete=OnDelete.SET_NULL)),
                ('retired', fields.BooleanField(default=False)),
                ('code_verified', fields.BooleanField(default=True)),
                ('is_demo', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'grid_cell', 'app': 'models', 'indexes': [Index(fields=['path'], name='grid_cell_path_idx'), Index(fields=['parent_id', 'code'], name='grid_cell_parent_code_idx')], 'pk_attr': 'id', 'table_description': 'A node of the territorial tree (市 > 镇街 > 社区/村 > 网格 > 微网格).'},
            bases=['Model'],
        ),
    ]
