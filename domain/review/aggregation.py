"""The panel's figures from its reviewers' weighted totals: pure functions, no database.

Input: `totals[entry][reviewer]`, the 0–100 weighted total (`Rubric.weighted_total`) of every
submitted sheet. Reviewers may score different subsets of the entries (conflicts, workload):
incomplete designs are normal and every figure below says how it treats them. Nobody is ever
dropped: an outlier reviewer is flagged and still counts under every rule.

Per entry (`EntryResult`), with x_1..x_k the totals of its k reviewers:
- mean = Σx / k, median, spread = max − min, k;
- trimmed mean = the mean of the totals without one highest and one lowest, only with k ≥ 5;
  with fewer the TRIMMED_MEAN rule applies the median instead (`applied` says MEDIAN);
- z aggregate: each reviewer r's totals are standardised over the entries r scored,
  z = (x − mean_r) / sd_r with the population sd; a reviewer with one entry or with sd 0
  contributes z = 0. The entry's z aggregate is the mean of its reviewers' z; for display it is
  rescaled as pooled_mean + z × pooled_sd, the pooled mean and population sd of every total on
  the panel. The rescaled figure is not clamped, so its order is exactly the z order (it can
  leave 0–100 only at the extremes of a very dispersed panel).
- aggregate: the figure the panel's `AggregationRule` names (TRIMMED_MEAN, MEDIAN or Z_SCORE,
  the latter on the rescaled display scale).

Agreement of the panel (`Concordance`): Kendall's W with the tie correction, over a complete
block of reviewers × entries (see `concordance`).

Per reviewer (`ReviewerAgreement`): the leave-one-out Spearman correlation between the
reviewer's totals and the consensus of the others (see `reviewer_agreement`); a reviewer with
rho < 0.3 is flagged for the panel chair to look at, never dropped.

Entries are ranked by `rank` with a documented deterministic tie-break.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from domain.review.rules import AggregationRule

EntryId = int
ReviewerId = int
Totals = Mapping[EntryId, Mapping[ReviewerId, float]]

TRIM_MIN_REVIEWERS = 5
"""The trimmed mean drops one highest and one lowest total only with at least this many."""
FLAG_BELOW = 0.3
"""A reviewer whose leave-one-out Spearman rho is below this is flagged."""
MIN_COMMON_ENTRIES = 3
"""Fewer entries shared with the others and a reviewer's rho is not computed."""
MIN_CONCORDANCE_ENTRIES = 3
"""Kendall's W over fewer entries says little (with two it only asks which one is better)."""
BLOCK_SEARCH_LIMIT = 5_000
"""At most this many candidate blocks are examined exhaustively for Kendall's W on an incomplete
design; beyond, a greedy search (`concordance`)."""
PRECISION = 9
"""Figures are compared rounded to this many decimals, so sums of the same totals taken in
another order tie."""


@dataclass(frozen=True)
class EntryResult:
    entry_id: EntryId
    totals: tuple[tuple[ReviewerId, float], ...]
    """The raw weighted totals, by reviewer id."""
    reviewers: int
    mean: float
    median: float
    trimmed_mean: float | None
    """None with fewer than `TRIM_MIN_REVIEWERS` reviewers (the rule falls back to the median)."""
    z_mean: float
    """The mean of the reviewers' z-scores for this entry."""
    z_display: float
    """`z_mean` rescaled onto the panel's 0–100 scale: pooled_mean + z_mean × pooled_sd."""
    spread: float
    aggregate: float
    """The figure under the panel's rule (`applied` names the figure actually used)."""
    rule: AggregationRule
    """The panel's rule."""
    applied: AggregationRule
    """The figure `aggregate` is: MEDIAN when TRIMMED_MEAN falls back for too few reviewers."""

    def under(self, rule: AggregationRule) -> tuple[float, AggregationRule]:
        """The aggregate under `rule` and the figure actually used (MEDIAN for a TRIMMED_MEAN
        entry with fewer than five reviewers)."""
        if rule is AggregationRule.Z_SCORE:
            return self.z_display, rule
        if rule is AggregationRule.TRIMMED_MEAN and self.trimmed_mean is not None:
            return self.trimmed_mean, rule
        return self.median, AggregationRule.MEDIAN

    @property
    def fell_back_to_median(self) -> bool:
        """True when the panel's rule is TRIMMED_MEAN and the median was used instead."""
        return self.rule is AggregationRule.TRIMMED_MEAN and self.applied is AggregationRule.MEDIAN


class ConcordanceBasis(StrEnum):
    ALL = "ALL"
    """Every reviewer scored every entry."""
    BLOCK = "BLOCK"
    """Over the largest complete block of reviewers × entries (the design is incomplete)."""
    NONE = "NONE"
    """Not computable; `reason` says why."""


@dataclass(frozen=True)
class Concordance:
    w: float | None
    basis: ConcordanceBasis
    reviewer_ids: tuple[ReviewerId, ...]
    entry_ids: tuple[EntryId, ...]
    reason: str | None = None
    exhaustive: bool = True
    """False when the design was too scattered to examine every block: the block is then the
    best one a greedy search found (see `concordance`)."""


@dataclass(frozen=True)
class ReviewerAgreement:
    reviewer_id: ReviewerId
    entries: int
    """How many entries the reviewer scored."""
    common: int
    """Entries the reviewer scored that at least one other reviewer also scored."""
    mean: float
    """The reviewer's mean total (a harsh reviewer's is low)."""
    sd: float
    """The population sd of the reviewer's totals (0 with one entry)."""
    rho: float | None
    """Leave-one-out Spearman rho; None when not computable (`reason`)."""
    flagged: bool
    reason: str | None = None


@dataclass(frozen=True)
class PanelResult:
    rule: AggregationRule
    entries: tuple[EntryResult, ...]
    """By entry id; entries without any submitted sheet are in `unscored` instead."""
    unscored: tuple[EntryId, ...]
    pooled_mean: float
    pooled_sd: float
    concordance: Concordance
    reviewers: tuple[ReviewerAgreement, ...]
    """By reviewer id."""

    def entry(self, entry_id: EntryId) -> EntryResult:
        return next(e for e in self.entries if e.entry_id == entry_id)

    def reviewer(self, reviewer_id: ReviewerId) -> ReviewerAgreement:
        return next(r for r in self.reviewers if r.reviewer_id == reviewer_id)


@dataclass(frozen=True)
class RankedEntry:
    rank: int
    """The displayed rank: entries equal on every tie-break key but the id share it (1, 2, 2, 4)."""
    entry: EntryResult
    aggregate: float
    applied: AggregationRule


# --- the whole panel ------------------------------------------------------------------------------


def aggregate_panel(totals: Totals, rule: AggregationRule) -> PanelResult:
    """Every figure of the panel under `rule`. Entries whose mapping is empty are `unscored`."""
    scored = {e: dict(by) for e, by in totals.items() if by}
    every = [x for by in scored.values() for x in by.values()]
    pooled_mean = statistics.fmean(every) if every else 0.0
    pooled_sd = statistics.pstdev(every) if every else 0.0
    z = z_scores(scored)
    entries = tuple(_entry_result(e, scored[e], z[e], pooled_mean, pooled_sd, rule) for e in sorted(scored))
    return PanelResult(
        rule=rule,
        entries=entries,
        unscored=tuple(sorted(e for e, by in totals.items() if not by)),
        pooled_mean=pooled_mean,
        pooled_sd=pooled_sd,
        concordance=concordance(scored),
        reviewers=reviewer_agreement(scored),
    )


def _entry_result(
    entry_id: EntryId,
    by_reviewer: Mapping[ReviewerId, float],
    z: Mapping[ReviewerId, float],
    pooled_mean: float,
    pooled_sd: float,
    rule: AggregationRule,
) -> EntryResult:
    values = list(by_reviewer.values())
    z_mean = statistics.fmean(z.values())
    result = EntryResult(
        entry_id=entry_id,
        totals=tuple(sorted(by_reviewer.items())),
        reviewers=len(values),
        mean=statistics.fmean(values),
        median=float(statistics.median(values)),
        trimmed_mean=trimmed_mean(values),
        z_mean=z_mean,
        z_display=pooled_mean + z_mean * pooled_sd,
        spread=max(values) - min(values),
        aggregate=0.0,
        rule=rule,
        applied=rule,
    )
    aggregate, applied = result.under(rule)
    return replace(result, aggregate=aggregate, applied=applied)


def trimmed_mean(values: Sequence[float]) -> float | None:
    """The mean without one highest and one lowest value; None with fewer than five values."""
    if len(values) < TRIM_MIN_REVIEWERS:
        return None
    return statistics.fmean(sorted(values)[1:-1])


def z_scores(totals: Totals) -> dict[EntryId, dict[ReviewerId, float]]:
    """z[entry][reviewer] = (x − mean_r) / sd_r over the entries reviewer r scored (population
    sd); 0 for a reviewer with a single entry or with all totals equal."""
    by_reviewer: dict[ReviewerId, dict[EntryId, float]] = {}
    for entry_id, by in totals.items():
        for reviewer_id, x in by.items():
            by_reviewer.setdefault(reviewer_id, {})[entry_id] = x
    z: dict[EntryId, dict[ReviewerId, float]] = {e: {} for e in totals}
    for reviewer_id, own in by_reviewer.items():
        mean = statistics.fmean(own.values())
        sd = statistics.pstdev(own.values()) if len(own) > 1 else 0.0
        for entry_id, x in own.items():
            z[entry_id][reviewer_id] = (x - mean) / sd if sd > 0 else 0.0
    return z


# --- ranks and correlation -----------------------------------------------------------------------


def average_ranks(values: Sequence[float]) -> list[float]:
    """Rank 1 for the smallest value; tied values share the mean of the ranks they occupy."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and _same(values[order[end + 1]], values[order[start]]):
            end += 1
        for i in order[start : end + 1]:
            ranks[i] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def _same(a: float, b: float) -> bool:
    return round(a, PRECISION) == round(b, PRECISION)


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman's rho: the Pearson correlation of the average ranks (exact with ties). None when
    either side has all values tied (no order to correlate)."""
    rx, ry = average_ranks(xs), average_ranks(ys)
    mx, my = statistics.fmean(rx), statistics.fmean(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


# --- per reviewer --------------------------------------------------------------------------------


def reviewer_agreement(totals: Totals) -> tuple[ReviewerAgreement, ...]:
    """For each reviewer r: over the entries r scored that at least one other reviewer scored,
    rho = Spearman(r's totals, consensus), consensus = the mean of the other reviewers' totals on
    each entry. Needs at least three such entries (else rho None, not flagged); flagged when
    rho < 0.3. Nobody is dropped from any figure."""
    reviewer_ids = sorted({r for by in totals.values() for r in by})
    return tuple(_agreement_of(r, totals) for r in reviewer_ids)


def _agreement_of(reviewer_id: ReviewerId, totals: Totals) -> ReviewerAgreement:
    own: list[float] = []
    consensus: list[float] = []
    for entry_id in sorted(totals):
        by = totals[entry_id]
        others = [x for r, x in by.items() if r != reviewer_id]
        if reviewer_id in by and others:
            own.append(by[reviewer_id])
            consensus.append(statistics.fmean(others))
    scored = [by[reviewer_id] for by in totals.values() if reviewer_id in by]
    rho: float | None = None
    reason: str | None = None
    if len(own) < MIN_COMMON_ENTRIES:
        reason = f"与其他评审共同评分的项目不足 {MIN_COMMON_ENTRIES} 个"
    else:
        rho = spearman(own, consensus)
        if rho is None:
            reason = "本人或其他评审对共同项目的评分全部相同，无法计算排序相关"
    return ReviewerAgreement(
        reviewer_id=reviewer_id,
        entries=len(scored),
        common=len(own),
        mean=statistics.fmean(scored),
        sd=statistics.pstdev(scored) if len(scored) > 1 else 0.0,
        rho=rho,
        flagged=rho is not None and rho < FLAG_BELOW,
        reason=reason,
    )


# --- Kendall's W ---------------------------------------------------------------------------------


def kendall_w(table: Sequence[Sequence[float]]) -> float | None:
    """Kendall's coefficient of concordance of m reviewers (rows) over the same n entries
    (columns), with the tie correction:

        R_i = Σ_j rank_j(i)  (average ranks within each reviewer's row)
        S   = Σ_i (R_i − m(n + 1)/2)²
        T_j = Σ over the groups of tied values in row j of (t³ − t)
        W   = 12 S / (m²(n³ − n) − m Σ_j T_j)

    0 is no agreement, 1 identical orders. None with fewer than two reviewers or two entries, or
    when every reviewer tied every entry (the denominator is 0)."""
    m = len(table)
    n = len(table[0]) if m else 0
    if m < 2 or n < 2:
        return None
    rank_sums = [0.0] * n
    ties = 0
    for row in table:
        for i, r in enumerate(average_ranks(row)):
            rank_sums[i] += r
        ties += _tie_term(row)
    mean_sum = m * (n + 1) / 2
    s = sum((r - mean_sum) ** 2 for r in rank_sums)
    denominator = m * m * (n**3 - n) - m * ties
    if denominator <= 0:
        return None
    return 12 * s / denominator


def _tie_term(row: Sequence[float]) -> int:
    groups: dict[float, int] = {}
    for x in row:
        key = round(x, PRECISION)
        groups[key] = groups.get(key, 0) + 1
    return sum(t**3 - t for t in groups.values())


def concordance(totals: Totals) -> Concordance:
    """Kendall's W of the panel. W needs every reviewer to rank the same entries, so on an
    incomplete design it is computed over a complete block: a set of at least two reviewers and
    at least three entries that each of those reviewers scored. The block chosen is the largest
    by reviewers × entries (then more entries, then more reviewers, then the smaller entry ids):
    on a complete design that is the whole table (basis ALL).

    Search: every maximal complete block's entries are an intersection of reviewers' entry sets,
    so all such intersections are examined, up to `BLOCK_SEARCH_LIMIT` of them (`exhaustive`).
    Beyond that (many reviewers who each missed a few different entries) the candidates are
    those of a greedy peel instead: from all reviewers, repeatedly leave out the reviewer whose
    absence leaves the most common entries; each step's common entries, with every reviewer
    who scored all of them, is a candidate (`exhaustive` is then False: the block is the best
    found, possibly not the largest). When no block exists, or every reviewer in it tied every
    entry, W is None with a reason (basis NONE)."""
    entry_sets = _entry_sets(totals)
    candidates = _closed_entry_sets(entry_sets)
    exhaustive = candidates is not None
    block = _largest_block(entry_sets, candidates if candidates is not None else _peeled(entry_sets))
    if block is None:
        reason = f"没有至少 2 位评审共同评分的 {MIN_CONCORDANCE_ENTRIES} 个以上项目，无法计算肯德尔协调系数"
        return Concordance(None, ConcordanceBasis.NONE, (), (), reason, exhaustive)
    reviewer_ids, entry_ids = block
    table = [[totals[e][r] for e in entry_ids] for r in reviewer_ids]
    w = kendall_w(table)
    if w is None:
        reason = "所有评审对这些项目的评分都相同"
        return Concordance(None, ConcordanceBasis.NONE, reviewer_ids, entry_ids, reason, exhaustive)
    complete = len(reviewer_ids) == len(entry_sets) and len(entry_ids) == len(totals)
    basis = ConcordanceBasis.ALL if complete else ConcordanceBasis.BLOCK
    return Concordance(w, basis, reviewer_ids, entry_ids, None, exhaustive)


def _entry_sets(totals: Totals) -> dict[ReviewerId, frozenset[EntryId]]:
    sets: dict[ReviewerId, set[EntryId]] = {}
    for entry_id, by in totals.items():
        for reviewer_id in by:
            sets.setdefault(reviewer_id, set()).add(entry_id)
    return {r: frozenset(s) for r, s in sets.items()}


def _largest_block(
    entry_sets: Mapping[ReviewerId, frozenset[EntryId]], candidates: Iterable[frozenset[EntryId]]
) -> tuple[tuple[ReviewerId, ...], tuple[EntryId, ...]] | None:
    """The best complete block whose entries are one of `candidates`, with every reviewer who
    scored all of them; None when no candidate has two such reviewers."""
    found: list[tuple[tuple[int, int, int, tuple[int, ...]], tuple[ReviewerId, ...], tuple[EntryId, ...]]]
    found = []
    for entries in candidates:
        reviewers = tuple(sorted(r for r, s in entry_sets.items() if entries <= s))
        if len(reviewers) < 2 or len(entries) < MIN_CONCORDANCE_ENTRIES:
            continue
        ordered = tuple(sorted(entries))
        negated = tuple(-e for e in ordered)
        key = (len(reviewers) * len(ordered), len(ordered), len(reviewers), negated)
        found.append((key, reviewers, ordered))
    if not found:
        return None
    best = max(found, key=lambda block: block[0])
    return best[1], best[2]


def _closed_entry_sets(
    entry_sets: Mapping[ReviewerId, frozenset[EntryId]],
) -> set[frozenset[EntryId]] | None:
    """Every intersection of reviewers' entry sets with at least three entries (each reviewer's
    own set included); None beyond `BLOCK_SEARCH_LIMIT`."""
    base = [s for s in entry_sets.values() if len(s) >= MIN_CONCORDANCE_ENTRIES]
    found: set[frozenset[EntryId]] = set(base)
    frontier = list(found)
    while frontier:
        grown: list[frozenset[EntryId]] = []
        for current in frontier:
            for other in base:
                common = current & other
                if len(common) >= MIN_CONCORDANCE_ENTRIES and common not in found:
                    found.add(common)
                    grown.append(common)
            if len(found) > BLOCK_SEARCH_LIMIT:
                return None
        frontier = grown
    return found


def _peeled(entry_sets: Mapping[ReviewerId, frozenset[EntryId]]) -> list[frozenset[EntryId]]:
    """The common entries of all reviewers, then of all but the one whose absence leaves the most
    common entries (the higher id on a tie), and so on down to two reviewers."""
    remaining = dict(entry_sets)
    candidates: list[frozenset[EntryId]] = []
    while len(remaining) >= 2:
        candidates.append(frozenset.intersection(*remaining.values()))
        if len(remaining) == 2:
            break
        leave_out = max(
            remaining,
            key=lambda r: (len(frozenset.intersection(*(s for q, s in remaining.items() if q != r))), r),
        )
        del remaining[leave_out]
    return candidates


# --- ranking -------------------------------------------------------------------------------------


def rank(results: Iterable[EntryResult], rule: AggregationRule) -> tuple[RankedEntry, ...]:
    """Entries best first under `rule`. Order, deterministic whatever the input order:
    1. aggregate under `rule`, higher first;
    2. median, higher first;
    3. spread (max − min), smaller first (the reviewers agreed more);
    4. number of reviewers, more first;
    5. entry id, smaller first (earlier submission).
    The displayed rank is shared by entries equal on 1–4 (standard competition ranking:
    1, 2, 2, 4); figures compare at `PRECISION` decimals."""
    keyed = []
    for entry in results:
        aggregate, applied = entry.under(rule)
        tie_key = (
            -round(aggregate, PRECISION),
            -round(entry.median, PRECISION),
            round(entry.spread, PRECISION),
            -entry.reviewers,
        )
        keyed.append((tie_key, entry.entry_id, entry, aggregate, applied))
    keyed.sort(key=lambda item: (item[0], item[1]))
    ranked: list[RankedEntry] = []
    for position, (tie_key, _, entry, aggregate, applied) in enumerate(keyed, start=1):
        shared = ranked and keyed[position - 2][0] == tie_key
        number = ranked[-1].rank if shared else position
        ranked.append(RankedEntry(number, entry, aggregate, applied))
    return tuple(ranked)
