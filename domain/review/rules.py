"""How a panel turns its reviewers' weighted totals into one score per entry. The rule is part of
the panel's configuration and is fixed before scoring opens; every rule's figures are shown side
by side whatever the rule (`domain.review.aggregation`)."""

from __future__ import annotations

from enum import StrEnum


class AggregationRule(StrEnum):
    TRIMMED_MEAN = "TRIMMED_MEAN"
    """Drop the highest and the lowest total and average the rest, with 5 or more reviewers;
    with fewer, the median."""
    MEDIAN = "MEDIAN"
    Z_SCORE = "Z_SCORE"
    """The mean of each reviewer's z-normalised totals (a reviewer's totals standardised over the
    entries they scored), so a harsh or a lenient reviewer weighs no more than another."""

    @property
    def label(self) -> str:
        return {
            "TRIMMED_MEAN": "去掉最高最低分后取平均（不足5人取中位数）",
            "MEDIAN": "中位数",
            "Z_SCORE": "标准分平均",
        }[self.value]
