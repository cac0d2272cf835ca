"""Benchmark data of the new domains: organisations and venture funding, as rows for `bench.generate`.

Organisations (`Scale.organisations`) spread over the towns: about a quarter registered (社会团体,
社会服务机构, 基金会: a civil-affairs unified social credit code with a correct check digit from
`seeds.organisations.demo_uscc`, `MJDM` where a real code has its organisation code), the rest
filed community groups (备案, a `YS-JZ-...` filing number, filed with their community or village);
about 3% deregistered (the public directory leaves them out), some with an A-level rating (valid
or expired), a few on a sanction list. Names are numbered and say 基准 (benchmark): clearly
generated, never a real body's.

Venture funding: three FINISHED rounds (2023-2025) with `Scale.applications` applications each,
carried through to their results (about 40% awarded: closed, a few closed failed or terminated;
the rest not selected, ineligible or withdrawn), and one round OPEN for applications (drafts and
submissions). Each round has its review panel (the rows a round needs); no score sheets, budget
lines, agreements or tranches: the benchmark reads the public results, which show none of them.

Everything is `is_demo`; a random stream of its own (`random.Random(f"{seed}-domains")`), so the
grid, leaders and activities of a seed are what they were.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from domain.funding.models import AppStatus, RoundStage
from domain.funding.rounds import DEFAULT_PLAN
from domain.grids.codes import GridKind
from domain.organisations.models import (
    LegalForm,
    OrgField,
    OrgStatus,
    Rating,
    SanctionList,
    rating_valid_until,
)
from domain.review.models import PanelKind, PanelStage
from domain.review.rubric import FUNDING_RUBRIC
from domain.review.rules import AggregationRule
from seeds.organisations import SUFFIXES, WORDS, demo_uscc

TODAY = date(2026, 11, 28)  # bench.generate's ANCHOR day
LOADED_AT = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
FEN = 100
CAP_YUAN = 100_000
FINISHED_YEARS = (2023, 2024, 2025)
OPEN_YEAR = 2026
CN_NUMBERS = "一二三四五六七八九十"
KIND_DIGIT = {LegalForm.SOCIAL_GROUP: "1", LegalForm.SERVICE_INSTITUTION: "2", LegalForm.FOUNDATION: "3"}
FORM_TABLE = (
    (LegalForm.SOCIAL_GROUP,) * 11
    + (LegalForm.SERVICE_INSTITUTION,) * 12
    + (LegalForm.FOUNDATION,) * 1
    + (LegalForm.COMMUNITY_GROUP,) * 76
)
# A finished round's applications by outcome (weights): awarded ones hold money of the pool.
OUTCOMES = (
    (AppStatus.CLOSED, 34),
    (AppStatus.CLOSED_FAILED, 4),
    (AppStatus.TERMINATED, 2),
    (AppStatus.NOT_SELECTED, 45),
    (AppStatus.INELIGIBLE, 10),
    (AppStatus.WITHDRAWN, 5),
)
AWARDED = frozenset({AppStatus.CLOSED, AppStatus.CLOSED_FAILED, AppStatus.TERMINATED})
THEMES = ("银龄助老", "助残融合", "四点半课堂", "邻里调解", "垃圾分类", "楼道微治理", "心理关爱", "睦邻议事")
FORMS = ("服务计划", "营造项目", "关爱行动", "赋能计划", "示范项目")

ORGANISATION_COLUMNS = [
    "id",
    "name",
    "legal_form",
    "field",
    "status",
    "uscc",
    "filing_number",
    "filing_cell_id",
    "home_cell_id",
    "home_path",
    "town_id",
    "founded_on",
    "filed_on",
    "registered_on",
    "deregistered_on",
    "social_work",
    "rating",
    "rating_valid_until",
    "contact_id",
    "summary",
    "is_demo",
    "created_at",
    "updated_at",
]
RATING_COLUMNS = ["id", "organisation_id", "level", "rated_on", "valid_until", "is_demo"]
SANCTION_COLUMNS = [
    "id",
    "organisation_id",
    "list",
    "reason",
    "source",
    "listed_on",
    "removed_on",
    "removal_reason",
    "is_demo",
]
PANEL_COLUMNS = [
    "id",
    "kind",
    "title",
    "rubric",
    "aggregation_rule",
    "blind",
    "roadshow",
    "reviewers_per_entry",
    "stage",
    "frozen_at",
    "publicity_starts_on",
    "publicity_ends_on",
    "created_by_id",
    "is_demo",
    "created_at",
    "updated_at",
]
ROUND_COLUMNS = [
    "id",
    "edition",
    "year",
    "title",
    "stage",
    "pool_fen",
    "cap_fen",
    "max_grant_share_pct",
    "min_matching_share_pct",
    "max_applications_per_org",
    "allow_filed",
    "tranche_plan",
    "publicity_days",
    "pass_mark",
    "second_approval_over_fen",
    "opened_at",
    "panel_id",
    "is_demo",
    "created_at",
    "updated_at",
]
APPLICATION_COLUMNS = [
    "id",
    "round_id",
    "organisation_id",
    "sponsor_id",
    "project_name",
    "target_group",
    "problem",
    "plan",
    "milestones",
    "cell_ids",
    "need_ids",
    "requested_fen",
    "budget_total_fen",
    "award_fen",
    "status",
    "eligibility_notes",
    "submitted_at",
    "created_by_user_id",
    "is_demo",
    "created_at",
    "updated_at",
]
# (table, columns) in load order: parents first
TABLES = (
    ("organisation", ORGANISATION_COLUMNS),
    ("organisation_rating", RATING_COLUMNS),
    ("organisation_sanction", SANCTION_COLUMNS),
    ("review_panel", PANEL_COLUMNS),
    ("funding_round", ROUND_COLUMNS),
    ("funding_application", APPLICATION_COLUMNS),
)


@dataclass(frozen=True)
class Place:
    """A town and its communities and villages: (id, code, path) each."""

    town: tuple[int, str, str]
    units: tuple[tuple[int, str, str], ...]


@dataclass(frozen=True)
class Org:
    id: int
    legal_form: LegalForm
    status: OrgStatus
    home_cell_id: int


@dataclass
class Rows:
    """The rows of each table in `TABLES`, by table name."""

    by_table: dict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: {t: [] for t, _ in TABLES})


def places_of(cells: Sequence[Any]) -> list[Place]:
    """The towns of `bench.generate`'s tree (its `Cell`s) with their units, in tree order."""
    towns = [c for c in cells if c.kind is GridKind.TOWN]
    return [
        Place(
            (t.id, t.code, t.path),
            tuple(
                (u.id, u.code, u.path) for u in t.children if u.kind in (GridKind.COMMUNITY, GridKind.VILLAGE)
            ),
        )
        for t in towns
    ]


def _day(rng: random.Random, first_year: int, last_year: int) -> date:
    return date(rng.randint(first_year, last_year), rng.randint(1, 12), rng.randint(1, 28))


def _organisation(rng: random.Random, i: int, place: Place, rows: Rows) -> Org:
    form = rng.choice(FORM_TABLE)
    registered = form is not LegalForm.COMMUNITY_GROUP
    org_field = rng.choice([f for (f_form, f) in SUFFIXES if f_form is form])
    social_work = org_field is OrgField.SOCIAL_WORK
    name = f"基准{i:04d}{rng.choice(WORDS)}{rng.choice(SUFFIXES[(form, org_field)])}"
    unit = rng.choice(place.units) if place.units else place.town
    home = place.town if registered and rng.random() < 0.5 else unit
    founded = _day(rng, 2005 if registered else 2012, 2025)
    status = OrgStatus.REGISTERED if registered else OrgStatus.FILED
    on = min(founded + timedelta(days=rng.randint(30, 400)), TODAY)
    deregistered = None
    if rng.random() < 0.03:
        status = OrgStatus.DEREGISTERED
        deregistered = min(on + timedelta(days=rng.randint(200, 900)), TODAY)
    rating = valid_until = None
    if registered and rng.random() < 0.3:
        rating = rng.choices([Rating.A5, Rating.A4, Rating.A3, Rating.A2], [1, 3, 5, 2])[0]
        rated_on = _day(rng, 2019, 2025)
        valid_until = rating_valid_until(rated_on)
        rows.by_table["organisation_rating"].append(
            (len(rows.by_table["organisation_rating"]) + 1, i, rating.value, rated_on, valid_until, True)
        )
    if rng.random() < 0.01:
        listed = min(_day(rng, 2023, 2026), TODAY)
        sanctions = rows.by_table["organisation_sanction"]
        reason, source = "未按规定报送年度报告（基准数据）", "平湖市民政局（基准数据）"
        sanctions.append(
            (len(sanctions) + 1, i, SanctionList.ABNORMAL.value, reason, source, listed, None, "", True)
        )
    rows.by_table["organisation"].append(
        (
            i,
            name,
            form.value,
            org_field.value,
            status.value,
            demo_uscc(KIND_DIGIT[form], i) if registered else None,
            None if registered else f"YS-JZ-{place.town[1]}-{i:05d}",
            None if registered else unit[0],
            home[0],
            home[2],
            place.town[0],
            founded,
            None if registered else on,
            on if registered else None,
            deregistered,
            social_work,
            rating.value if rating else None,
            valid_until,
            None,
            "",
            True,
            LOADED_AT,
            LOADED_AT,
        )
    )
    return Org(i, form, status, home[0])


def organisations(rng: random.Random, places: Sequence[Place], count: int, rows: Rows) -> list[Org]:
    """Organisations 1..count, each in a town taken in turn."""
    return [_organisation(rng, i, places[i % len(places)], rows) for i in range(1, count + 1)]


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 1, 30, tzinfo=UTC)


def _round(rows: Rows, edition: int, year: int, stage: RoundStage, pool_fen: int) -> int:
    """A round and its review panel (ids = the edition): the round's id."""
    finished = stage is RoundStage.FINISHED
    panel = (
        edition,
        PanelKind.FUNDING.value,
        f"第{edition}届公益创投评审（基准）",
        json.dumps(FUNDING_RUBRIC.to_json(), ensure_ascii=False),
        AggregationRule.TRIMMED_MEAN.value,
        False,
        False,
        5,
        (PanelStage.CLOSED if finished else PanelStage.SETUP).value,
        _at(date(year, 6, 1)) if finished else None,
        date(year, 7, 1) if finished else None,
        date(year, 7, 7) if finished else None,
        None,
        True,
        LOADED_AT,
        LOADED_AT,
    )
    plan = json.dumps([{"percent": s.percent, "trigger": s.trigger.value} for s in DEFAULT_PLAN])
    rows.by_table["review_panel"].append(panel)
    rows.by_table["funding_round"].append(
        (
            edition,
            edition,
            year,
            f"第{CN_NUMBERS[edition - 1]}届公益创投（基准）",
            stage.value,
            pool_fen,
            CAP_YUAN * FEN,
            60,
            40,
            1,
            True,
            plan,
            5,
            60,
            0,
            _at(date(year, 3, 1)),
            edition,
            True,
            LOADED_AT,
            LOADED_AT,
        )
    )
    return edition


def _applications(
    rng: random.Random, rows: Rows, round_id: int, year: int, count: int, orgs: Sequence[Org], finished: bool
) -> int:
    """`count` applications of distinct organisations to one round: the sum of the awards."""
    on_register = [o for o in orgs if o.status is not OrgStatus.DEREGISTERED]
    sponsors = [o for o in on_register if o.legal_form is not LegalForm.COMMUNITY_GROUP]
    statuses = [s for s, _ in OUTCOMES]
    weights = [w for _, w in OUTCOMES]
    names = [f"{theme}{form}" for theme in THEMES for form in FORMS]
    apps = rows.by_table["funding_application"]
    awarded = 0
    for org in rng.sample(on_register, min(count, len(on_register))):
        requested = rng.randrange(30_000, CAP_YUAN + 1, 1_000) * FEN
        if finished:
            status = rng.choices(statuses, weights)[0]
        else:
            status = rng.choice((AppStatus.DRAFT, AppStatus.SUBMITTED, AppStatus.SUBMITTED))
        award = requested - rng.randrange(0, 10) * 1_000 * FEN if status in AWARDED else None
        awarded += award or 0
        sponsor = rng.choice(sponsors).id if org.legal_form is LegalForm.COMMUNITY_GROUP else None
        submitted = None if status is AppStatus.DRAFT else _at(date(year, 4, rng.randint(1, 28)))
        apps.append(
            (
                len(apps) + 1,
                round_id,
                org.id,
                sponsor,
                f"{rng.choice(names)}（基准{len(apps) + 1}）",
                "社区居民",
                "（基准数据）社区调研发现的需求与问题分析。",
                "（基准数据）项目实施方案、进度安排与预期成效。",
                "[]",
                json.dumps([org.home_cell_id]),
                "[]",
                requested,
                requested * 10 // 6 + FEN,  # the grant at most 60% of the budget
                award,
                status.value,
                "[]",
                submitted,
                None,
                True,
                _at(date(year, 3, rng.randint(2, 28))),
                LOADED_AT,
            )
        )
    return awarded


def funding(rng: random.Random, orgs: Sequence[Org], per_round: int, rows: Rows) -> None:
    """Three finished rounds and an open one (editions 1..4)."""
    for edition, year in enumerate(FINISHED_YEARS, start=1):
        round_id = _round(rows, edition, year, RoundStage.FINISHED, 0)
        awarded = _applications(rng, rows, round_id, year, per_round, orgs, finished=True)
        pool = -(-awarded // (100_000 * FEN)) * 100_000 * FEN  # the awards, up to whole 100,000 yuan
        row = rows.by_table["funding_round"][-1]
        rows.by_table["funding_round"][-1] = (*row[:5], pool, *row[6:])
    edition = len(FINISHED_YEARS) + 1
    round_id = _round(rows, edition, OPEN_YEAR, RoundStage.OPEN, 3_000_000 * FEN)
    _applications(rng, rows, round_id, OPEN_YEAR, max(1, per_round // 3), orgs, finished=False)


def build(seed: int, cells: Sequence[Any], organisation_count: int, per_round: int) -> Rows:
    """Every row of the new domains for a seed, deterministic."""
    rng = random.Random(f"{seed}-domains")
    rows = Rows()
    orgs = organisations(rng, places_of(cells), organisation_count, rows)
    funding(rng, orgs, per_round, rows)
    return rows
