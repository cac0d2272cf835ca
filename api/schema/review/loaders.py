"""Per-request DataLoaders of the review module: one statement per batch. They load rows by id;
who may see them is decided by the resolvers (`domain.review.queries`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from api.schema.loaders import loader_field
from domain.review.models import ReviewPanel, Score, ScoreSheet


async def panels_by_id(keys: list[int]) -> list[ReviewPanel | None]:
    found = {p.id: p for p in await ReviewPanel.filter(id__in=keys)}
    return [found.get(k) for k in keys]


async def sheets_by_assignment(keys: list[int]) -> list[ScoreSheet | None]:
    found = {s.assignment_id: s for s in await ScoreSheet.filter(assignment_id__in=keys)}
    return [found.get(k) for k in keys]


async def scores_by_sheet(keys: list[int]) -> list[list[Score]]:
    found: defaultdict[int, list[Score]] = defaultdict(list)
    for score in await Score.filter(sheet_id__in=keys).order_by("sheet_id", "id"):
        found[score.sheet_id].append(score)
    return [found[k] for k in keys]


@dataclass
class ReviewLoaders:
    panel_by_id: DataLoader[int, ReviewPanel | None] = loader_field(panels_by_id)
    sheet_by_assignment: DataLoader[int, ScoreSheet | None] = loader_field(sheets_by_assignment)
    scores_by_sheet: DataLoader[int, list[Score]] = loader_field(scores_by_sheet)
