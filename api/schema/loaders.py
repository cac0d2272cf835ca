"""A helper for per-request loader groups: each field is a fresh DataLoader per request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import field
from typing import TypeVar

from strawberry.dataloader import DataLoader

K = TypeVar("K")
V = TypeVar("V")


def loader_field(fn: Callable[[list[K]], Awaitable[list[V]]]) -> DataLoader[K, V]:
    """A dataclass field holding a new DataLoader over `fn`, built with each loader group."""
    return field(default_factory=lambda: DataLoader(fn))
