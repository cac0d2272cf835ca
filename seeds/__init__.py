"""Reference and demo data. `load_all` is the single entry point; every loader it calls is
idempotent, so it can run on every start of a demo instance."""

from __future__ import annotations

from dataclasses import dataclass, field

from seeds.accounts import load_demo_accounts
from seeds.activities import ActivitySeedReport, load_activity_seeds
from seeds.calendar import load_calendar_seeds
from seeds.funding import FundingSeedReport, load_funding_seeds
from seeds.generate import DEFAULT_SEED
from seeds.leaders import LeaderSeedReport, load_leader_seeds
from seeds.loader import SeedReport, load_grid_seeds
from seeds.organisations import OrganisationSeedReport, load_organisation_seeds

__all__ = [
    "DEFAULT_SEED",
    "LoadReport",
    "SeedReport",
    "load_activity_seeds",
    "load_all",
    "load_calendar_seeds",
    "load_demo_accounts",
    "load_funding_seeds",
    "load_grid_seeds",
    "load_leader_seeds",
    "load_organisation_seeds",
]


@dataclass(frozen=True)
class LoadReport(SeedReport):
    """The grid and account report of `load_all`, with the leader and activity seeds after it."""

    leaders: LeaderSeedReport = field(default_factory=LeaderSeedReport)
    activities: ActivitySeedReport = field(default_factory=ActivitySeedReport)
    organisations: OrganisationSeedReport = field(default_factory=OrganisationSeedReport)
    calendar_days: int = 0
    funding: FundingSeedReport = field(default_factory=FundingSeedReport)

    @property
    def inserted(self) -> int:
        return (
            super().inserted
            + self.leaders.inserted
            + self.activities.inserted
            + self.organisations.inserted
            + self.calendar_days
            + self.funding.inserted
        )

    def __str__(self) -> str:
        """One line per loader for the `seed` command."""
        calendar = f"工作日历：新增 {self.calendar_days} 天（国务院 2026 年节假日安排，非演示数据）"
        loaders = (self.leaders, self.activities, self.organisations, calendar, self.funding)
        return "\n".join([super().__str__(), *map(str, loaders)])


async def load_all(*, seed: int = DEFAULT_SEED) -> LoadReport:
    """Load every seed into the current Tortoise connection, each after what it stands on: the
    grid tree, the demo accounts (grid staff are scoped to its towns), the micro-leaders (homed in
    its cells, `demo.leader` among them), their activities (entered and reviewed by the demo
    accounts), the organisation registry with social work (homed in its towns and units), and the
    official holiday arrangement of the working-day calendar (publicity periods count on it), and
    the venture-funding rounds (applicants from the registry, reviewed by demo experts)."""
    grids = await load_grid_seeds(seed=seed)
    accounts = await load_demo_accounts(seed=seed)
    leaders = await load_leader_seeds(seed=seed)
    activities = await load_activity_seeds(seed=seed)
    organisations = await load_organisation_seeds(seed=seed)
    calendar_days = await load_calendar_seeds()
    funding = await load_funding_seeds(seed=seed)
    return LoadReport(
        grids.cells, grids.people, accounts, leaders, activities, organisations, calendar_days, funding
    )
