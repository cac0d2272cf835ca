"""The random draw of reviewers, as a pure function of the panel's data and a seed.

For each entry in id order that lacks reviewers, every member gets a random tie-break from
`random.Random(seed)` (drawn in member-id order, for every entry, so the sequence depends only on
the data), and the members free for the entry (not on it yet, not conflicted with it) are taken
least-loaded first (live assignments in this stage on the panel), ties by the tie-break. The same
seed and the same data give the same draw; the load rule keeps max - min assignments within 1
whenever conflicts allow.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence

Pair = tuple[int, int]  # (entry id, reviewer user id)


def plan_draw(
    entry_ids: Sequence[int],
    members: Collection[int],
    live: Sequence[Pair],
    conflicted: Collection[Pair],
    per_entry: int,
    seed: int,
) -> tuple[list[Pair], dict[int, int]]:
    """The (entry, reviewer) pairs to assign, and per entry how many are still missing."""
    rng = random.Random(seed)
    ordered = sorted(set(members))
    load: Counter[int] = Counter({m: 0 for m in ordered})
    on_entry: defaultdict[int, set[int]] = defaultdict(set)
    for entry_id, user_id in live:
        on_entry[entry_id].add(user_id)
        if user_id in load:
            load[user_id] += 1
    picks: list[Pair] = []
    short: dict[int, int] = {}
    for entry_id in sorted(entry_ids):
        need = per_entry - len(on_entry[entry_id])
        if need <= 0:
            continue
        tiebreak = {m: rng.random() for m in ordered}
        free = [m for m in ordered if m not in on_entry[entry_id] and (entry_id, m) not in conflicted]
        chosen = sorted(free, key=lambda m: (load[m], tiebreak[m]))[:need]
        for user_id in chosen:
            load[user_id] += 1
            picks.append((entry_id, user_id))
        if len(chosen) < need:
            short[entry_id] = need - len(chosen)
    return picks, short
