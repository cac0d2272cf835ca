"""A rubric: the criteria an entry is scored on, their weights (summing to 100) and the score
range every criterion is scored in. A panel's rubric is fixed when its round opens.

The weighted total of one reviewer's sheet is on a 0–100 scale:
    total = Σ weight_c × (score_c − min) / (max − min)
so a sheet of all-maximum scores totals 100 and one of all-minimum scores totals 0, whatever
the range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.errors import ErrorCode
from domain.input import Errors
from domain.review.errors import ReviewCode

WEIGHT_TOTAL = 100
MAX_CRITERIA = 12
MAX_SCORE = 100


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    weight: int


@dataclass(frozen=True)
class Rubric:
    criteria: tuple[Criterion, ...]
    score_min: int = 0
    score_max: int = 10

    def check(self) -> None:
        """Every broken rule at once (`ValidationErrors`), field paths under `rubric`."""
        errors = Errors()
        keys = [c.key for c in self.criteria]
        if not 1 <= len(self.criteria) <= MAX_CRITERIA:
            errors.add(ReviewCode.INVALID_RUBRIC, f"评分标准须有 1–{MAX_CRITERIA} 项", "rubric.criteria")
        if len(set(keys)) != len(keys):
            errors.add(ReviewCode.INVALID_RUBRIC, "评分项不能重复", "rubric.criteria")
        for index, criterion in enumerate(self.criteria):
            if not 1 <= len(criterion.label.strip()) <= 40:
                errors.add(
                    ErrorCode.INVALID_LENGTH, "评分项名称须为 1–40 个字符", f"rubric.criteria.{index}.label"
                )
            if criterion.weight <= 0:
                errors.add(ReviewCode.INVALID_RUBRIC, "权重须为正整数", f"rubric.criteria.{index}.weight")
        if sum(c.weight for c in self.criteria) != WEIGHT_TOTAL:
            errors.add(ReviewCode.INVALID_RUBRIC, f"各项权重之和须为 {WEIGHT_TOTAL}", "rubric.criteria")
        if not 0 <= self.score_min < self.score_max <= MAX_SCORE:
            errors.add(
                ReviewCode.INVALID_RUBRIC, f"分值范围须在 0–{MAX_SCORE} 之间且下限小于上限", "rubric.scoreMax"
            )
        errors.raise_any()

    def weighted_total(self, scores: Mapping[str, int]) -> float:
        """The 0–100 total of one complete sheet (every criterion scored, within range)."""
        span = self.score_max - self.score_min
        return sum(c.weight * (scores[c.key] - self.score_min) / span for c in self.criteria)

    def to_json(self) -> dict[str, Any]:
        return {
            "criteria": [{"key": c.key, "label": c.label, "weight": c.weight} for c in self.criteria],
            "scoreMin": self.score_min,
            "scoreMax": self.score_max,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rubric:
        criteria = tuple(
            Criterion(str(c["key"]), str(c["label"]), int(c["weight"])) for c in data["criteria"]
        )
        return cls(criteria, int(data.get("scoreMin", 0)), int(data.get("scoreMax", 10)))


def _rubric(*items: tuple[str, str, int]) -> Rubric:
    return Rubric(tuple(Criterion(key, label, weight) for key, label, weight in items))


# domain.md, "Public-interest venture funding": the default rubric (100).
FUNDING_RUBRIC = _rubric(
    ("need", "需求分析", 20),
    ("design", "项目设计", 20),
    ("feasibility", "可行性", 15),
    ("budget", "预算合理性", 15),
    ("capacity", "机构能力", 10),
    ("innovation", "创新性", 10),
    ("sustainability", "可持续性/社会效益", 10),
)

# domain.md, "Micro-governance project competition": the default rubric (100).
COMPETITION_RUBRIC = _rubric(
    ("need", "居民需求", 25),
    ("participation", "居民参与", 20),
    ("operability", "可操作性", 20),
    ("innovation", "创新性", 15),
    ("sustainability", "可持续性", 10),
    ("budget", "预算", 10),
)
