"""Per-request DataLoaders for the activity log."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from api.schema.loaders import loader_field
from domain.activities import queries
from domain.activities.models import ActivityPhoto, ActivityType


async def photos_by_activity(keys: list[int]) -> list[list[ActivityPhoto]]:
    grouped = await queries.photos_of(keys)
    return [grouped.get(k, []) for k in keys]


async def verified_counts_by_leader(keys: list[int]) -> list[dict[ActivityType, int]]:
    counts = await queries.verified_counts_by_type(keys)
    return [counts.get(k, {}) for k in keys]


@dataclass
class ActivityLoaders:
    photos_by_activity: DataLoader[int, list[ActivityPhoto]] = loader_field(photos_by_activity)
    verified_counts_by_leader: DataLoader[int, dict[ActivityType, int]] = loader_field(
        verified_counts_by_leader
    )
