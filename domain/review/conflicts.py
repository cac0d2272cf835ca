"""Conflicts of interest: the declared ones (rows of `Conflict`) and the ones found automatically.

A reviewer is found conflicted with an entry when they hold, or held until fewer than
`CONFLICT_YEARS` years ago, a role in its applicant or sponsor organisation: an expert's
affiliation (`ExpertAffiliation`) or a membership of the organisation (`OrganisationMember`, by
the account's person). An ongoing role in the applicant is SAME_ORGANISATION, in the sponsor
SPONSOR; an ended one FORMER_EMPLOYMENT.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from tortoise.expressions import Q

from domain.accounts.models import User
from domain.clock import years_later
from domain.organisations.models import OrganisationMember
from domain.review.models import CONFLICT_YEARS, Conflict, ConflictReason, ExpertAffiliation, PanelEntry

Pair = tuple[int, int]  # (entry id, reviewer user id)


def _recent(today: date) -> Q:
    return Q(ended_on__isnull=True) | Q(ended_on__gte=years_later(today, -CONFLICT_YEARS))


async def _roles(orgs: set[int], user_ids: list[int], today: date) -> dict[Pair, bool]:
    """(user, organisation) -> whether the role is ongoing, for every recent role: three statements."""
    roles: dict[Pair, bool] = {}
    affiliations = await ExpertAffiliation.filter(
        _recent(today), organisation_id__in=orgs, expert__user_id__in=user_ids
    ).values("expert__user_id", "organisation_id", "ended_on")
    user_of_person = dict(await User.filter(id__in=user_ids).values_list("person_id", "id"))
    members = await OrganisationMember.filter(
        _recent(today), organisation_id__in=orgs, person_id__in=list(user_of_person)
    ).values("person_id", "organisation_id", "ended_on")
    rows = [(r["expert__user_id"], r["organisation_id"], r["ended_on"]) for r in affiliations]
    rows += [(user_of_person[r["person_id"]], r["organisation_id"], r["ended_on"]) for r in members]
    for user_id, organisation_id, ended_on in rows:
        key = (user_id, organisation_id)
        roles[key] = roles.get(key, False) or ended_on is None
    return roles


async def automatic(
    entries: Sequence[PanelEntry], user_ids: Iterable[int], today: date
) -> dict[Pair, ConflictReason]:
    """The conflicts found from roles, for every entry and user given."""
    users = sorted(set(user_ids))
    orgs = {e.applicant_id for e in entries} | {e.sponsor_id for e in entries if e.sponsor_id is not None}
    if not users or not orgs:
        return {}
    roles = await _roles(orgs, users, today)
    found: dict[Pair, ConflictReason] = {}
    for entry in entries:
        for user_id in users:
            reason = _reason(entry, user_id, roles)
            if reason is not None:
                found[(entry.id, user_id)] = reason
    return found


def _reason(entry: PanelEntry, user_id: int, roles: dict[Pair, bool]) -> ConflictReason | None:
    applicant = roles.get((user_id, entry.applicant_id))
    sponsor = roles.get((user_id, entry.sponsor_id)) if entry.sponsor_id is not None else None
    if applicant:
        return ConflictReason.SAME_ORGANISATION
    if sponsor:
        return ConflictReason.SPONSOR
    if applicant is not None or sponsor is not None:
        return ConflictReason.FORMER_EMPLOYMENT
    return None


async def declared(panel_id: int) -> dict[Pair, ConflictReason]:
    rows = await Conflict.filter(panel_id=panel_id).values_list("entry_id", "reviewer_id", "reason")
    return {(entry_id, reviewer_id): ConflictReason(reason) for entry_id, reviewer_id, reason in rows}
