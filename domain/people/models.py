from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from domain.people import masking


class Person(Model):
    """A natural person. Personal fields are masked in every output unless unmasking is allowed."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50)
    mobile = fields.CharField(max_length=11, null=True, db_index=True)
    resident_id = fields.CharField(max_length=18, null=True, unique=True)
    is_demo = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "person"

    @property
    def masked_name(self) -> str:
        return masking.mask_name(self.name)

    @property
    def masked_mobile(self) -> str | None:
        return masking.mask_mobile(self.mobile) if self.mobile else None
