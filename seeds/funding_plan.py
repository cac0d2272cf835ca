"""The plan of the demo venture-funding rounds, before any row exists: pure and reproducible.

The report says only "连续3届投入203.5万元开展市级公益创投活动": three consecutive rounds with
2,035,000 yuan in total. Everything else is generated and shown as 演示数据: the years, the split
across rounds (`ROUND_AWARDS_YUAN`), the applications, their scores and who scored them.

How the awards come to total exactly 2,035,000 yuan without fixing them by hand: each round's
pool is its share of the total; the applications are scored first (a latent quality per
application, a leniency per reviewer, noise, and one outlier reviewer in the third round who
scores against the consensus), ranked by the round's rule, and the requests of the
applications that the pool reaches are then topped up within the cap until the funded requests
use the pool to the fen. The allocation itself is left to the funding domain's own function,
which funds best-to-worst within the pool: the seed test checks that it lands on the total.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from domain.review.rubric import FUNDING_RUBRIC, Rubric

TOTAL_AWARDS_YUAN = 2_035_000  # the report's 203.5万元
ROUND_AWARDS_YUAN = (600_000, 680_000, 755_000)  # generated split (演示)
ROUND_YEARS = (2018, 2019, 2020)  # generated: the report names three consecutive rounds only
OPEN_ROUND_YEAR = 2026
CAP_YUAN = 50_000
REQUEST_STEP_YUAN = 1_000
APPLICATIONS = (26, 30, 34)
OPEN_ROUND_APPLICATIONS = 6
EXPERTS = 12
REVIEWERS_PER_APPLICATION = 5
OUTLIER_ROUND = 3  # its outlier expert ranks against everyone else
FEN = 100

assert sum(ROUND_AWARDS_YUAN) == TOTAL_AWARDS_YUAN


@dataclass
class ApplicationPlan:
    number: int
    quality: float
    requested_yuan: int
    matching_yuan: int
    sheets: dict[int, dict[str, int]] = field(default_factory=dict)
    """Expert index -> criterion key -> score."""


@dataclass
class RoundPlan:
    edition: int
    year: int
    pool_yuan: int
    applications: list[ApplicationPlan]
    outlier: int | None = None
    """The expert index who scores against the consensus, if any."""


def _score(
    rng: random.Random, rubric: Rubric, quality: float, leniency: float, against: bool
) -> dict[str, int]:
    span = rubric.score_max - rubric.score_min
    sheet: dict[str, int] = {}
    for criterion in rubric.criteria:
        level = (1 - quality) if against else quality
        raw = rubric.score_min + span * level + leniency + rng.gauss(0, 0.6)
        sheet[criterion.key] = max(rubric.score_min, min(rubric.score_max, round(raw)))
    return sheet


def _applications(rng: random.Random, count: int) -> list[ApplicationPlan]:
    plans = []
    for number in range(1, count + 1):
        requested = rng.randrange(15_000, CAP_YUAN + 1, REQUEST_STEP_YUAN)
        # matching of at least 40 % of the budget: grant <= 60 %
        matching = -(-requested * 40 // 60 // REQUEST_STEP_YUAN) * REQUEST_STEP_YUAN
        plans.append(ApplicationPlan(number, rng.uniform(0.35, 0.95), requested, matching))
    return plans


def _review(rng: random.Random, plan: RoundPlan, leniency: list[float]) -> None:
    """Five experts per application, the least loaded first (ties in seeded random order)."""
    load = [0] * EXPERTS
    for application in plan.applications:
        order = sorted(range(EXPERTS), key=lambda e: (load[e], rng.random()))
        for expert in order[:REVIEWERS_PER_APPLICATION]:
            load[expert] += 1
            against = expert == plan.outlier
            application.sheets[expert] = _score(
                rng, FUNDING_RUBRIC, application.quality, leniency[expert], against
            )


def _top_up(plan: RoundPlan, ranking: list[int]) -> None:
    """Raise the funded requests within the cap (and their matching with them) until the
    applications the pool reaches, best first, use it exactly."""
    by_number = {a.number: a for a in plan.applications}
    funded, used = [], 0
    for number in ranking:
        application = by_number[number]
        if used + application.requested_yuan > plan.pool_yuan:
            break
        funded.append(application)
        used += application.requested_yuan
    remainder = plan.pool_yuan - used
    for application in funded:
        extra = min(remainder, CAP_YUAN - application.requested_yuan)
        application.requested_yuan += extra
        application.matching_yuan = max(application.matching_yuan, -(-application.requested_yuan * 40 // 60))
        remainder -= extra
    if remainder:
        raise AssertionError(f"第{plan.edition}届的资金池无法在上限内恰好用完")


Ranking = Callable[[dict[int, dict[int, float]]], list[int]]


def plan_rounds(seed: int, rank: Ranking) -> list[RoundPlan]:
    """The three past rounds, scored and with requests that use each pool exactly. `rank` maps
    {application number: {expert: weighted total}} to the numbers best first (the review
    module's ranking under the round's rule), so the plan agrees with what the product shows."""
    rng = random.Random(seed * 31 + 15)
    leniency = [rng.uniform(-1.2, 1.2) for _ in range(EXPERTS)]
    plans = []
    for index, (year, awards) in enumerate(zip(ROUND_YEARS, ROUND_AWARDS_YUAN, strict=True)):
        edition = index + 1
        outlier = rng.randrange(EXPERTS) if edition == OUTLIER_ROUND else None
        plan = RoundPlan(edition, year, awards, _applications(rng, APPLICATIONS[index]), outlier)
        _review(rng, plan, leniency)
        totals = {
            a.number: {e: FUNDING_RUBRIC.weighted_total(s) for e, s in a.sheets.items()}
            for a in plan.applications
        }
        _top_up(plan, rank(totals))
        plans.append(plan)
    return plans
