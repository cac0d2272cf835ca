"""The venture-funding seeds: the report's total exactly, awards the product's own allocation
would make over the product's own ranking, the outlier reviewer flagged, truthful demo data, and
a fourth round open with `demo.organiser`'s draft. One load per database."""

from __future__ import annotations

import pytest

from domain.funding import review as funding_review
from domain.funding.models import (
    Application,
    AppStatus,
    FundingRound,
    RoundStage,
    Tranche,
    TrancheStatus,
)
from domain.review.models import Expert, ReviewPanel
from seeds import load_all, pinghu

pytestmark = pytest.mark.usefixtures("db")

REPORT_TOTAL_FEN = 2_035_000_00  # "连续3届投入203.5万元"


async def test_the_seeded_rounds_award_the_reports_total_as_the_product_would() -> None:
    await load_all()
    past = await FundingRound.filter(stage=RoundStage.FINISHED).order_by("edition")
    assert [r.edition for r in past] == [1, 2, 3]
    assert all(r.is_demo for r in await FundingRound.all())
    # THEN the awards of the three past rounds total the report's 203.5万元 exactly
    awards = {
        r.id: await Application.filter(round_id=r.id, award_fen__isnull=False).values_list(
            "award_fen", flat=True
        )
        for r in past
    }
    assert sum(sum(a) for a in awards.values()) == REPORT_TOTAL_FEN
    for funding_round in past:
        # AND each round funded its ranking best first until the next request no longer fit
        # (computed here from the ranking and the requests, not by the allocation code)
        results = await funding_review.results(funding_round)
        requested = dict(
            await Application.filter(round_id=funding_round.id).values_list("id", "requested_fen")
        )
        left, expected = funding_round.pool_fen, []
        for application_id in results.ranking:
            if requested[application_id] > left:
                break
            expected.append(application_id)
            left -= requested[application_id]
        funded = await Application.filter(round_id=funding_round.id, award_fen__isnull=False).values_list(
            "id", flat=True
        )
        assert sorted(funded) == sorted(expected)
        assert sum(awards[funding_round.id]) <= funding_round.pool_fen
        # AND the reviewers agree, except the third round's outlier, flagged and not dropped
        flagged = [r.reviewer_id for r in results.result.reviewers if r.flagged]
        assert len(flagged) == (1 if funding_round.edition == 3 else 0)
        assert len(results.result.reviewers) == await Expert.filter(is_demo=True).count() == 12
    # AND the failed project of the second round stopped its later tranches
    failed = await Application.get(round_id=past[1].id, status=AppStatus.CLOSED_FAILED)
    statuses = await Tranche.filter(application_id=failed.id).order_by("seq").values_list("status", flat=True)
    assert statuses == [TrancheStatus.PAID, TrancheStatus.CANCELLED, TrancheStatus.CANCELLED]
    # AND no project borrows a real place name
    places = {d.name for d in pinghu.REAL_DIVISIONS}
    names = await Application.all().values_list("project_name", flat=True)
    assert [n for n in names if any(p in n for p in places)] == []
    # AND the fourth round is open, with demo.organiser's draft among its applications
    current = await FundingRound.get(edition=4)
    assert current.stage is RoundStage.OPEN
    assert (await ReviewPanel.get(id=current.panel_id)).frozen_at is None
    drafts = await Application.filter(round_id=current.id, status=AppStatus.DRAFT).values_list(
        "project_name", flat=True
    )
    assert drafts == ["楼道睦邻互助计划"]
