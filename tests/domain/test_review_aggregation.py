"""The review module's maths, on hand-computed panels: the trimmed mean and its median fallback,
z-normalisation against a harsh and a lenient reviewer, Kendall's W with a tie and on an
incomplete design, the leave-one-out agreement that flags a reversed reviewer (and drops nobody),
and the ranking's tie-break. Then property checks over generated panels. No database."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.review.aggregation import (
    ConcordanceBasis,
    aggregate_panel,
    concordance,
    kendall_w,
    rank,
    reviewer_agreement,
    z_scores,
)
from domain.review.rules import AggregationRule

TRIMMED = AggregationRule.TRIMMED_MEAN
MEDIAN = AggregationRule.MEDIAN
Z = AggregationRule.Z_SCORE

# --- per entry -----------------------------------------------------------------------------------


def test_five_reviewers_drop_the_highest_and_the_lowest_total() -> None:
    # GIVEN an entry scored 60, 72, 75, 81 and 95 by five reviewers
    panel = aggregate_panel({1: {11: 60, 12: 72, 13: 75, 14: 81, 15: 95}}, TRIMMED)
    # WHEN it is aggregated under the trimmed mean
    entry = panel.entry(1)
    # THEN 60 and 95 are dropped: (72 + 75 + 81) / 3 = 76, beside the other figures
    assert entry.trimmed_mean == pytest.approx(76)
    assert entry.aggregate == pytest.approx(76)
    assert entry.applied is TRIMMED
    assert not entry.fell_back_to_median
    assert entry.mean == pytest.approx(383 / 5)
    assert entry.median == 75
    assert entry.spread == 35
    assert entry.reviewers == 5
    assert entry.totals == ((11, 60), (12, 72), (13, 75), (14, 81), (15, 95))


def test_three_reviewers_fall_back_to_the_median_and_say_so() -> None:
    # GIVEN an entry scored 50, 80 and 90 on a trimmed-mean panel
    panel = aggregate_panel({1: {11: 50, 12: 80, 13: 90}}, TRIMMED)
    entry = panel.entry(1)
    # THEN there is no trimmed mean, the aggregate is the median 80, and the result says so
    assert entry.trimmed_mean is None
    assert entry.aggregate == 80
    assert entry.applied is MEDIAN
    assert entry.fell_back_to_median
    assert entry.mean == pytest.approx(220 / 3)
    # AND four reviewers are not enough either
    four = aggregate_panel({1: {11: 50, 12: 80, 13: 90, 14: 100}}, TRIMMED).entry(1)
    assert (four.aggregate, four.applied) == (85, MEDIAN)
    # AND on a median panel nothing fell back
    assert not aggregate_panel({1: {11: 50, 12: 80, 13: 90}}, MEDIAN).entry(1).fell_back_to_median


def test_z_scores_undo_a_harsh_and_a_lenient_reviewer() -> None:
    # GIVEN A scores all four entries 90, 80, 70, 60; the harsh H scores only entries 1 and 2
    # (50, 40) and the lenient L only entries 3 and 4 (95, 85)
    totals = {
        1: {1: 90.0, 2: 50.0},
        2: {1: 80.0, 2: 40.0},
        3: {1: 70.0, 3: 95.0},
        4: {1: 60.0, 3: 85.0},
    }
    panel = aggregate_panel(totals, Z)
    # THEN A's z: mean 75, population sd √125, so z = ±15/√125 = ±3/√5 and ±5/√125 = ±1/√5;
    # H's and L's: mean 45 and 90, sd 5, so z = ±1
    z = z_scores(totals)
    assert z[1][1] == pytest.approx(3 / math.sqrt(5))
    assert z[2][1] == pytest.approx(1 / math.sqrt(5))
    assert (z[1][2], z[2][2], z[3][3], z[4][3]) == (pytest.approx(1), -1, 1, -1)
    # AND entry 1's z aggregate is (3/√5 + 1) / 2, rescaled with the pooled mean 570/8 = 71.25
    # and pooled sd √(2737.5/8)
    e1 = panel.entry(1)
    assert e1.z_mean == pytest.approx((3 / math.sqrt(5) + 1) / 2)
    assert panel.pooled_mean == pytest.approx(71.25)
    assert panel.pooled_sd == pytest.approx(math.sqrt(2737.5 / 8))
    assert e1.z_display == pytest.approx(71.25 + e1.z_mean * math.sqrt(2737.5 / 8))
    assert e1.aggregate == e1.z_display
    # AND the raw means put the lenient reviewer's entries first (3, 4, 1, 2) while the z order
    # follows what each reviewer said about their own entries: 1, 3, 2, 4
    by_mean = sorted(panel.entries, key=lambda e: -e.mean)
    assert [e.entry_id for e in by_mean] == [3, 4, 1, 2]
    assert [r.entry.entry_id for r in rank(panel.entries, Z)] == [1, 3, 2, 4]
    # AND the harsh reviewer is visible: mean 45, sd 5
    assert (panel.reviewer(2).mean, panel.reviewer(2).sd) == (45, 5)


def test_a_reviewer_with_one_entry_or_one_score_contributes_z_zero() -> None:
    # GIVEN reviewer 7 scored one entry and reviewer 8 gave 70 to every entry
    totals = {1: {6: 90.0, 7: 40.0, 8: 70.0}, 2: {6: 50.0, 8: 70.0}}
    # THEN both contribute z = 0, so entry 1's z mean is (1 + 0 + 0) / 3
    z = z_scores(totals)
    assert (z[1][7], z[1][8], z[2][8]) == (0, 0, 0)
    assert aggregate_panel(totals, Z).entry(1).z_mean == pytest.approx(1 / 3)


def test_an_entry_without_sheets_is_unscored_not_zero() -> None:
    panel = aggregate_panel({1: {1: 80.0}, 2: {}}, MEDIAN)
    assert [e.entry_id for e in panel.entries] == [1]
    assert panel.unscored == (2,)


# --- Kendall's W ---------------------------------------------------------------------------------

# Three reviewers rank four entries; reviewer 2 ties entries 1 and 2.
#            e1  e2  e3  e4        ranks (1 = lowest)     tie groups
# R1         90  80  70  60        4    3    2    1        —
# R2         85  85  60  50        3.5  3.5  2    1        one pair: 2³ − 2 = 6
# R3         70  90  60  65        3    4    1    2        —
# R_i                              10.5 10.5 5    4
# mean R = m(n+1)/2 = 3·5/2 = 7.5; S = 3² + 3² + 2.5² + 3.5² = 36.5
# W = 12·36.5 / (3²·(4³ − 4) − 3·6) = 438 / 522 = 73/87
TIED_TABLE = [[90, 80, 70, 60], [85, 85, 60, 50], [70, 90, 60, 65]]


def test_kendalls_w_with_a_tie_matches_the_hand_computation() -> None:
    assert kendall_w(TIED_TABLE) == pytest.approx(73 / 87)
    # without the tie correction it would be 438/540
    assert kendall_w(TIED_TABLE) != pytest.approx(438 / 540)


def test_the_panels_w_over_a_complete_design_uses_everyone() -> None:
    totals = {e + 1: {r + 1: float(TIED_TABLE[r][e]) for r in range(3)} for e in range(4)}
    result = concordance(totals)
    assert result.basis is ConcordanceBasis.ALL
    assert result.w == pytest.approx(73 / 87)
    assert (result.reviewer_ids, result.entry_ids) == ((1, 2, 3), (1, 2, 3, 4))


def test_an_incomplete_design_uses_the_largest_complete_block() -> None:
    # GIVEN reviewers 1–3 scored entries 1–4 (the tied table) and reviewer 4 only entries 1 and 2
    totals = {e + 1: {r + 1: float(TIED_TABLE[r][e]) for r in range(3)} for e in range(4)}
    totals[1][4] = 10.0
    totals[2][4] = 20.0
    # WHEN W is computed
    result = concordance(totals)
    # THEN it is over reviewers 1–3 × entries 1–4 (12 cells; 4 × 2 entries is too few entries)
    assert result.basis is ConcordanceBasis.BLOCK
    assert result.exhaustive
    assert (result.reviewer_ids, result.entry_ids) == ((1, 2, 3), (1, 2, 3, 4))
    assert result.w == pytest.approx(73 / 87)


def test_the_largest_block_may_trade_entries_for_reviewers() -> None:
    # GIVEN reviewers 1 and 2 share entries 1–4, and all four reviewers share entries 1–3
    sets = {1: {1, 2, 3, 4, 5}, 2: {1, 2, 3, 4, 6}, 3: {1, 2, 3, 5, 6}, 4: {1, 2, 3, 7}}
    totals: dict[int, dict[int, float]] = {}
    for reviewer, entries in sets.items():
        for entry in entries:
            totals.setdefault(entry, {})[reviewer] = float(entry * 10)
    # THEN the largest block is the four reviewers on entries 1–3 (12 cells beats 2 × 4 = 8)
    result = concordance(totals)
    assert (result.reviewer_ids, result.entry_ids) == ((1, 2, 3, 4), (1, 2, 3))
    assert result.w == pytest.approx(1)


def test_a_scattered_design_falls_back_to_a_greedy_block_and_says_so() -> None:
    # GIVEN 14 reviewers over 20 entries, reviewer r missing only entry r: 2¹⁴ intersections,
    # beyond the exhaustive search
    totals = {e: {r: float(e + r) for r in range(1, 15) if r != e} for e in range(1, 21)}
    # WHEN W is computed
    result = concordance(totals)
    # THEN the greedy peel leaves out reviewers 14, 13, ... (the higher id on a tie); the best
    # step is 10 reviewers × entries 11–20 = 100 cells (9 × 11 and 11 × 9 are 99)
    assert not result.exhaustive
    assert result.reviewer_ids == tuple(range(1, 11))
    assert result.entry_ids == tuple(range(11, 21))
    assert result.w == pytest.approx(1)


def test_no_complete_block_means_no_w_and_a_reason() -> None:
    # GIVEN two reviewers who never scored the same three entries
    totals = {1: {1: 80.0, 2: 70.0}, 2: {1: 60.0}, 3: {1: 50.0}, 4: {2: 40.0}, 5: {2: 30.0}}
    result = concordance(totals)
    assert result.w is None
    assert result.basis is ConcordanceBasis.NONE
    assert result.reason


# --- agreement of each reviewer ------------------------------------------------------------------

REVERSED_PANEL = {
    # reviewer:  A=1  B=2  C=3  D=4 (D reverses the order)
    1: {1: 90.0, 2: 88.0, 3: 85.0, 4: 50.0},
    2: {1: 80.0, 2: 82.0, 3: 86.0, 4: 60.0},
    3: {1: 70.0, 2: 69.0, 3: 72.0, 4: 70.0},
    4: {1: 60.0, 2: 61.0, 3: 58.0, 4: 80.0},
    5: {1: 50.0, 2: 52.0, 3: 55.0, 4: 90.0},
}


def test_a_reviewer_who_reverses_the_order_is_flagged_and_still_counted() -> None:
    panel = aggregate_panel(REVERSED_PANEL, TRIMMED)
    # THEN D against the others' means (87.7, 82.7, 70.3, 59.7, 52.3): exactly reversed, rho = −1
    d = panel.reviewer(4)
    assert d.rho == pytest.approx(-1)
    assert d.flagged
    # AND A against B, C, D: means 74.3, 76, 70.3, 66.3, 65.7 rank 4, 5, 3, 2, 1 against A's
    # 5, 4, 3, 2, 1: Σd² = 2, rho = 1 − 6·2/(5·24) = 0.9; B and C likewise
    for reviewer in (1, 2, 3):
        assert panel.reviewer(reviewer).rho == pytest.approx(0.9)
        assert not panel.reviewer(reviewer).flagged
    # AND D still counts: entry 1's mean includes D's 50
    assert panel.entry(1).reviewers == 4
    assert panel.entry(1).mean == pytest.approx((90 + 88 + 85 + 50) / 4)


def test_rho_needs_three_entries_shared_with_others() -> None:
    # GIVEN reviewer 3 shares only two entries with the others
    totals = {1: {1: 90.0, 2: 80.0, 3: 10.0}, 2: {1: 70.0, 2: 60.0, 3: 90.0}, 3: {1: 50.0, 2: 40.0}}
    agreement = {a.reviewer_id: a for a in reviewer_agreement(totals)}
    # THEN their rho is not computed and they are not flagged, with the reason
    assert agreement[3].rho is None
    assert not agreement[3].flagged
    assert agreement[3].common == 2
    assert agreement[3].reason
    assert agreement[1].rho is not None


# --- ranking -------------------------------------------------------------------------------------


def _panel_for_ranking() -> dict[int, dict[int, float]]:
    def sheets(*values: float) -> dict[int, float]:
        return {reviewer: value for reviewer, value in enumerate(values, start=1)}

    return {
        13: sheets(60, 80, 100),  # median 80, spread 40
        12: sheets(70, 80, 90),  # median 80, spread 20, 3 reviewers: ties with 10
        11: sheets(75, 85, 95),  # median 85
        10: sheets(70, 80, 90),
        14: sheets(78, 80, 82, 80),  # median 80, spread 4
        15: sheets(70, 75, 80, 85, 90),  # median 80, spread 20, 5 reviewers
    }


def test_ties_are_broken_by_median_spread_reviewers_then_id_and_share_a_rank() -> None:
    panel = aggregate_panel(_panel_for_ranking(), MEDIAN)
    ranked = rank(panel.entries, MEDIAN)
    # THEN 11 (85) first; among the 80s: smaller spread (14), more reviewers (15), then 10 and 12,
    # equal on everything, share rank 4 in id order; 13 (spread 40) is sixth
    assert [(r.rank, r.entry.entry_id) for r in ranked] == [
        (1, 11),
        (2, 14),
        (3, 15),
        (4, 10),
        (4, 12),
        (6, 13),
    ]
    assert [r.aggregate for r in ranked] == [85, 80, 80, 80, 80, 80]
    # AND the order does not depend on the input order
    assert rank(reversed(panel.entries), MEDIAN) == ranked


def test_a_trimmed_mean_ranking_uses_each_entrys_applied_figure() -> None:
    panel = aggregate_panel(_panel_for_ranking(), TRIMMED)
    ranked = rank(panel.entries, TRIMMED)
    # 15 has five reviewers: trimmed (75+80+85)/3 = 80; the others fall back to their medians
    assert ranked[0].entry.entry_id == 11
    assert {r.entry.entry_id: r.applied for r in ranked}[15] is TRIMMED
    assert {r.entry.entry_id: r.applied for r in ranked}[10] is MEDIAN


# --- properties ----------------------------------------------------------------------------------

scores = st.floats(min_value=0, max_value=100, allow_nan=False).map(lambda x: round(x, 1))


@st.composite
def complete_tables(draw: st.DrawFn) -> list[list[float]]:
    m = draw(st.integers(min_value=2, max_value=6))
    n = draw(st.integers(min_value=3, max_value=8))
    return [draw(st.lists(scores, min_size=n, max_size=n)) for _ in range(m)]


@settings(max_examples=200, deadline=None)
@given(complete_tables())
def test_w_is_between_zero_and_one(table: list[list[float]]) -> None:
    w = kendall_w(table)
    assert w is None or -1e-12 <= w <= 1 + 1e-12


@st.composite
def incomplete_panels(draw: st.DrawFn) -> dict[int, dict[int, float]]:
    reviewers = draw(st.integers(min_value=1, max_value=7))
    entries = draw(st.integers(min_value=1, max_value=10))
    totals: dict[int, dict[int, float]] = {}
    for entry in range(entries):
        chosen = draw(st.sets(st.integers(min_value=0, max_value=reviewers - 1), max_size=reviewers))
        totals[entry] = {reviewer: draw(scores) for reviewer in chosen}
    return totals


@settings(max_examples=200, deadline=None)
@given(incomplete_panels(), st.sampled_from(list(AggregationRule)))
def test_any_design_gives_bounded_figures_and_drops_nobody(
    totals: dict[int, dict[int, float]], rule: AggregationRule
) -> None:
    panel = aggregate_panel(totals, rule)
    w = panel.concordance.w
    assert w is None or -1e-12 <= w <= 1 + 1e-12
    assert (w is None) == (panel.concordance.reason is not None)
    for entry in panel.entries:
        low, high = min(x for _, x in entry.totals), max(x for _, x in entry.totals)
        assert low - 1e-9 <= entry.median <= high + 1e-9
        assert entry.reviewers == len(totals[entry.entry_id])
    for agreement in panel.reviewers:
        assert agreement.rho is None or -1 - 1e-9 <= agreement.rho <= 1 + 1e-9
        assert agreement.flagged == (agreement.rho is not None and agreement.rho < 0.3)
    sheets = sum(len(by) for by in totals.values())
    assert sum(a.entries for a in panel.reviewers) == sheets
    assert len(rank(panel.entries, rule)) == len(panel.entries)


@settings(max_examples=100, deadline=None)
@given(st.lists(scores, min_size=3, max_size=8, unique=True), st.integers(min_value=2, max_value=6))
def test_identical_reviewers_agree_perfectly(row: list[float], m: int) -> None:
    totals = {e: {r: row[e] for r in range(m)} for e in range(len(row))}
    panel = aggregate_panel(totals, TRIMMED)
    assert panel.concordance.w == pytest.approx(1)
    assert all(a.rho == pytest.approx(1) and not a.flagged for a in panel.reviewers)


@settings(max_examples=100, deadline=None)
@given(complete_tables(), st.floats(min_value=-30, max_value=30))
def test_a_reviewer_shifting_every_total_changes_no_z_aggregate(
    table: list[list[float]], shift: float
) -> None:
    totals = {e: {r: row[e] for r, row in enumerate(table)} for e in range(len(table[0]))}
    shifted = {e: {r: x + shift if r == 0 else x for r, x in by.items()} for e, by in totals.items()}
    before = aggregate_panel(totals, Z)
    after = aggregate_panel(shifted, Z)
    assert [e.z_mean for e in after.entries] == pytest.approx([e.z_mean for e in before.entries], abs=1e-9)
