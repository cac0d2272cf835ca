# The working-day calendar (issue 15): public holidays and adjusted working days (调休上班) for periods counted in working days (公示).
from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.calendar.models import DayKind
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("models", "0013_role_organisation")]

    initial = False

    operations = [
        ops.CreateModel(
            name="CalendarDay",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("day", fields.DateField(unique=True)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="HOLIDAY: HOLIDAY\nWORKDAY: WORKDAY", enum_type=DayKind, max_length=8
                    ),
                ),
                ("name", fields.CharField(max_length=20)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "calendar_day",
                "app": "models",
                "pk_attr": "id",
                "table_description": "One day that differs from the ordinary week, with the holiday it belongs to (国庆节).",
            },
            bases=["Model"],
        ),
    ]
