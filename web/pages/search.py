"""One search over what the reader may see: grid cells (everyone), micro-leaders by name (staff
only, who see full names: a name search on masked names would confirm who is a leader) and
activity records by title (`policy.visible_filter`: a public reader finds only published records,
shown at their grid). Each section shows at most `SECTION_SIZE` hits, in a fixed number of
statements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from domain.access import Actor
from domain.activities import queries as activity_queries
from domain.activities.queries import FeedFilter
from domain.leaders import queries as leader_queries
from domain.leaders.policy import can_search_by_name
from domain.leaders.queries import LeaderFilter
from domain.pagination import PageRequest
from web.pages.activities import ActivityRow, activity_rows
from web.pages.grids import SearchResults, search_cells
from web.pages.leaders import LeaderRow, leader_rows

SECTION_SIZE = 10
MAX_QUERY_LENGTH = 50


T = TypeVar("T")


@dataclass(frozen=True)
class Section(Generic[T]):
    rows: list[T]
    more: bool  # more hits than shown


@dataclass(frozen=True)
class SearchPage:
    query: str
    cells: SearchResults
    leaders: Section[LeaderRow] | None  # None: the reader may not search people by name
    activities: Section[ActivityRow]


async def search(actor: Actor, query: str) -> SearchPage:
    first = PageRequest(first=SECTION_SIZE)
    cells = await search_cells(query, None, SECTION_SIZE)
    leaders = None
    if can_search_by_name(actor):
        page = await leader_queries.leaders_page(actor, LeaderFilter(search=query), first)
        leaders = Section(await leader_rows(actor, page.items, {}), page.has_next)
    found = await activity_queries.activity_feed(actor, FeedFilter(search=query), first)
    activities = Section(await activity_rows(actor, found.items), found.has_next)
    return SearchPage(query, cells, leaders, activities)
