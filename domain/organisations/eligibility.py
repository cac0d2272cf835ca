"""Whether an organisation may take part in a publicly funded programme on a given day: the one
function venture funding, competitions and 新乡邻 networks ask (never a copy of its rules).

- A deregistered organisation may not.
- An organisation with an entry on a sanction list that is in force that day may not: 活动异常名录,
  严重违法失信名单, or a bar after a breach of a funded project (three years by default).
- A registered organisation may apply in its own name; a filed community organisation (备案, no
  legal personality) only through a sponsor named on the application (`needs_sponsor`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from domain.organisations.models import Organisation, OrgStatus, Sanction


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    needs_sponsor: bool
    reasons: tuple[str, ...]


def decide(organisation: Organisation, sanctions: Iterable[Sanction], day: date) -> Eligibility:
    """The rule over rows already read (`eligibility_of` reads them in two statements)."""
    reasons: list[str] = []
    if organisation.status is OrgStatus.DEREGISTERED:
        reasons.append("组织已注销")
    for sanction in sorted(sanctions, key=lambda s: (s.listed_on, s.id)):
        if sanction.active_on(day):
            until = f"，至 {sanction.removed_on.isoformat()}" if sanction.removed_on else ""
            reasons.append(f"列入{sanction.list.label}（{sanction.listed_on.isoformat()} 起{until}）")
    return Eligibility(
        eligible=not reasons,
        needs_sponsor=organisation.status is OrgStatus.FILED,
        reasons=tuple(reasons),
    )


async def eligibility_of(organisation_ids: Iterable[int], day: date) -> dict[int, Eligibility]:
    """Each existing organisation's eligibility on `day` (missing ids are absent): two statements."""
    wanted = set(organisation_ids)
    if not wanted:
        return {}
    organisations = await Organisation.filter(id__in=wanted)
    by_org: dict[int, list[Sanction]] = defaultdict(list)
    for sanction in await Sanction.filter(organisation_id__in=wanted, listed_on__lte=day):
        by_org[sanction.organisation_id].append(sanction)
    return {org.id: decide(org, by_org[org.id], day) for org in organisations}
