"""The bureau's spreadsheet of a round's results: bureau staff only, at most `MAX_EXPORT` rows
(more is refused, never cut) and audited, since it lists every applicant's request and award."""

from __future__ import annotations

from dataclasses import dataclass

from domain.access import Actor
from domain.audit import service as audit
from domain.errors import ErrorCode, ValidationError
from domain.funding import policy, queries
from domain.funding.models import HOLDS_POOL, Application, FundingRound

MAX_EXPORT = 5000


@dataclass(frozen=True)
class Results:
    funding_round: FundingRound
    applications: list[Application]

    @staticmethod
    def awarded(application: Application) -> int:
        """The award the application holds of the pool (0 for a waitlisted or unselected one)."""
        return int(application.award_fen or 0) if application.status in HOLDS_POOL else 0

    @property
    def requested_fen(self) -> int:
        return sum(a.requested_fen for a in self.applications)

    @property
    def awarded_fen(self) -> int:
        return sum(self.awarded(a) for a in self.applications)


async def export_results(*, actor: Actor, round_id: int) -> Results:
    """The round's applications from their review on (`queries.RANKED_STATUSES`), by id, with
    their organisation: three statements and the audit record."""
    policy.require_bureau(actor)
    funding_round = await queries.round_by_id(round_id)
    rows = await queries.applications_in(round_id, queries.RANKED_STATUSES, limit=MAX_EXPORT + 1)
    if len(rows) > MAX_EXPORT:
        message = f"一次最多导出 {MAX_EXPORT} 条申报"
        raise ValidationError(ErrorCode.INVALID, message, ["roundId"])
    await audit.record(actor, "funding.results_export", "FundingRound", round_id, rows=len(rows))
    return Results(funding_round, rows)
