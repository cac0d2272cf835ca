"""`bench.generate` at the TINY scale, into a temporary SQLite file: counts and invariants; and the
benchmark's hand-written floor answers exactly what Linzhi answers on that data (the ratios compare
like with like)."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from bench import floor, operations
from domain.activities.models import location
from domain.funding.models import PUBLISHED_STATUSES
from domain.grids.codes import RULES, GridKind, kind_for_code
from domain.grids.models import path_ids
from domain.organisations.codes import validate_uscc
from domain.organisations.models import LegalForm

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("bench") / "b.sqlite3"
    done = subprocess.run(
        [sys.executable, "-m", "bench.generate", "--scale", "TINY", "--database-url", f"sqlite://{path}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return f"sqlite://{path}"


@pytest.fixture(scope="module")
def db(url: str) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(url.removeprefix("sqlite://"))
    yield connection
    connection.close()


def scalar(db: sqlite3.Connection, sql: str) -> int:
    return int(db.execute(sql).fetchone()[0])


def test_counts(db: sqlite3.Connection) -> None:
    kinds = dict(db.execute("SELECT kind, count(*) FROM grid_cell GROUP BY kind").fetchall())
    assert kinds["CITY"] == 1
    assert kinds["TOWN"] == 2
    assert kinds["COMMUNITY"] + kinds["VILLAGE"] == 10
    assert kinds["GRID"] == 50
    assert kinds["MICRO_GRID"] == 250
    assert scalar(db, "SELECT count(*) FROM micro_leader") == 201  # 200 + bench.leader
    assert scalar(db, "SELECT count(*) FROM person") == 201
    assert scalar(db, "SELECT count(*) FROM cohort") == 2
    assert scalar(db, "SELECT count(*) FROM activity") == 5_000


def test_activities_lie_in_their_leaders_subtree(db: sqlite3.Connection) -> None:
    outside = """
        SELECT count(*) FROM activity a JOIN micro_leader l ON l.id = a.leader_id
        WHERE substr(a.cell_path, 1, length(l.home_path)) <> l.home_path"""
    assert scalar(db, outside) == 0
    wrong_path = (
        "SELECT count(*) FROM activity a JOIN grid_cell c ON c.id = a.cell_id WHERE a.cell_path <> c.path"
    )
    assert scalar(db, wrong_path) == 0


def test_activity_fields(db: sqlite3.Connection) -> None:
    verified = scalar(db, "SELECT count(*) FROM activity WHERE status = 'VERIFIED'")
    assert 0.85 * 5_000 < verified < 0.95 * 5_000
    checks = {
        "mediation without outcome": "activity_type = 'MEDIATION' AND mediation_outcome IS NULL",
        "volunteering without hours": "activity_type = 'VOLUNTEERING' AND volunteer_hours IS NULL",
        "visit reaching nobody": "activity_type = 'VISIT' AND households_reached < 1",
        "outside the three years": "started_at < '2023-11-28' OR started_at >= '2026-11-28 04:00'",
        "ends before it starts": "ended_at <= started_at",
        "not the bench author": "author_user_id <> 1",
    }
    for what, condition in checks.items():
        assert scalar(db, f"SELECT count(*) FROM activity WHERE {condition}") == 0, what


def test_households_roll_up(db: sqlite3.Connection) -> None:
    city = scalar(db, "SELECT households FROM grid_cell WHERE kind = 'CITY'")
    assert city == scalar(db, "SELECT sum(households) FROM grid_cell WHERE kind = 'MICRO_GRID'")
    bad_micro = (
        "SELECT count(*) FROM grid_cell WHERE kind = 'MICRO_GRID' AND households NOT BETWEEN 20 AND 100"
    )
    assert scalar(db, bad_micro) == 0
    mismatched = """
        SELECT count(*) FROM grid_cell p
        WHERE p.kind <> 'MICRO_GRID'
          AND p.households <> (SELECT sum(c.households) FROM grid_cell c WHERE c.parent_id = p.id)"""
    assert scalar(db, mismatched) == 0


def test_codes_and_paths(db: sqlite3.Connection) -> None:
    rows = db.execute(
        "SELECT c.kind, c.code, c.path, p.code, p.path FROM grid_cell c "
        "LEFT JOIN grid_cell p ON p.id = c.parent_id"
    ).fetchall()
    for kind, code, path, parent_code, parent_path in rows:
        assert len(code) == RULES[GridKind(kind)].length, code
        assert kind_for_code(code) is GridKind(kind), code
        if parent_code is not None:
            assert code.startswith(parent_code), code
            assert path.startswith(parent_path), code


def test_bench_account(db: sqlite3.Connection) -> None:
    row = db.execute(
        """SELECT u.id, l.status, c.kind, substr(c.code, 1, 9) FROM app_user u
           JOIN micro_leader l ON l.person_id = u.person_id JOIN grid_cell c ON c.id = l.home_cell_id
           WHERE u.username = 'bench.leader'"""
    ).fetchone()
    first_town = scalar(db, "SELECT min(code) FROM grid_cell WHERE kind = 'TOWN'")
    assert row == (1, "ENROLLED", "MICRO_GRID", str(first_town))
    role = "SELECT count(*) FROM role_assignment WHERE user_id = 1 AND role = 'MICRO_LEADER'"
    assert scalar(db, role) == 1


def test_activities_carry_their_levels(db: sqlite3.Connection) -> None:
    rows = db.execute("SELECT cell_id, cell_path, town_id, unit_id, grid_id FROM activity").fetchall()
    levels = [location(cell_id, path) for cell_id, path, *_ in rows]
    expected = [(e["town_id"], e["unit_id"], e["grid_id"]) for e in levels]
    wrong = [row for row, e in zip(rows, expected, strict=True) if row[2:] != e]
    assert len(rows) == 5_000
    assert wrong == []


def test_organisations(db: sqlite3.Connection) -> None:
    rows = db.execute(
        "SELECT o.name, o.legal_form, o.status, o.uscc, o.filing_number, o.home_path, o.town_id, "
        "c.path, f.path, o.is_demo FROM organisation o JOIN grid_cell c ON c.id = o.home_cell_id "
        "LEFT JOIN grid_cell f ON f.id = o.filing_cell_id"
    ).fetchall()
    assert len(rows) == 150
    statuses = {status for _, _, status, *_ in rows}
    assert statuses == {"REGISTERED", "FILED", "DEREGISTERED"}  # the directory leaves some out
    assert len({name for name, *_ in rows}) == 150
    for name, form, _, uscc, filing, home_path, town_id, cell_path, filing_path, is_demo in rows:
        assert name.startswith("基准"), name
        assert is_demo, name
        assert home_path == cell_path, name
        assert town_id == path_ids(cell_path)[1], name
        if LegalForm(form).registered:
            assert validate_uscc(uscc, LegalForm(form)) == uscc, name
            assert filing is None, name
        else:
            assert uscc is None, name
            assert filing, name
            assert cell_path.startswith(filing_path), name
    assert scalar(db, "SELECT count(*) FROM organisation_rating") == scalar(
        db, "SELECT count(*) FROM organisation WHERE rating IS NOT NULL"
    )
    assert scalar(db, "SELECT count(*) FROM organisation_sanction") > 0


def test_funding_rounds_and_their_results(db: sqlite3.Connection) -> None:
    stages = db.execute("SELECT stage, count(*) FROM funding_round GROUP BY stage").fetchall()
    assert dict(stages) == {"FINISHED": 3, "OPEN": 1}
    published = ", ".join(f"'{s}'" for s in PUBLISHED_STATUSES)
    per_round = db.execute(
        f"SELECT r.stage, count(*), sum(a.status IN ({published})), sum(coalesce(a.award_fen, 0)), "
        "r.pool_fen FROM funding_application a JOIN funding_round r ON r.id = a.round_id GROUP BY r.id"
    ).fetchall()
    for stage, total, results, awarded, pool in per_round:
        if stage == "FINISHED":
            assert total == 30
            assert 0 < results < total  # the public rule filters something
            assert 0 < awarded <= pool
        else:
            assert results == 0
            assert awarded == 0
    bad = {
        "award over the request or the cap": "a.award_fen > a.requested_fen OR a.award_fen > r.cap_fen",
        "grant over 60% of the budget": "a.requested_fen * 100 > a.budget_total_fen * r.max_grant_share_pct",
        "filed without a sponsor": "o.legal_form = 'COMMUNITY_GROUP' AND a.sponsor_id IS NULL",
    }
    for what, condition in bad.items():
        sql = (
            "SELECT count(*) FROM funding_application a JOIN funding_round r ON r.id = a.round_id "
            f"JOIN organisation o ON o.id = a.organisation_id WHERE {condition}"
        )
        assert scalar(db, sql) == 0, what
    twice = (
        "SELECT count(*) FROM (SELECT 1 FROM funding_application "
        "GROUP BY round_id, organisation_id HAVING count(*) > 1)"
    )
    assert scalar(db, twice) == 0


async def _answers(url: str) -> dict[str, tuple[object, object]]:
    """Each floor-backed operation's JSON from Linzhi (in process, as a client sends it) and from
    the floor, with q3's deep page opened by Linzhi's own second-page cursor."""
    picks = await operations.pick(url)
    linzhi_app = create_app(Settings.from_env().with_(database_url=url, env="development"))
    floor_app = floor.create_app(url)
    answers: dict[str, tuple[object, object]] = {}
    async with linzhi_app.router.lifespan_context(linzhi_app), floor_app.router.lifespan_context(floor_app):
        to_linzhi = httpx.AsyncClient(transport=httpx.ASGITransport(app=linzhi_app), base_url="http://l")
        to_floor = httpx.AsyncClient(transport=httpx.ASGITransport(app=floor_app), base_url="http://f")
        async with to_linzhi, to_floor:
            first = {"subtree": operations.global_id("GridCell", picks.town_id), "after": None}
            page = await to_linzhi.post("/graphql", json=operations.graphql(operations.Q3, first))
            cursor = page.json()["data"]["activities"]["pageInfo"]["endCursor"]
            for op in operations.build(picks, cursor, 2):
                if op.floor_path is None:
                    continue
                assert op.body is not None
                ours = (await to_linzhi.post(op.path, json=op.body)).json()
                theirs = (await to_floor.get(op.floor_path)).json()
                answers[op.name] = (ours, theirs)
    return answers


def test_the_floor_answers_exactly_what_linzhi_answers(url: str) -> None:
    # GIVEN the TINY benchmark data
    # WHEN every operation with a floor is asked of Linzhi and of the floor
    answers = asyncio.run(_answers(url))
    # THEN both give the same, non-empty JSON
    assert sorted(answers) == ["f1", "o1", "q1", "q2", "q3deep", "q3p1", "q4"]
    for name, (ours, theirs) in answers.items():
        assert isinstance(ours, dict), name
        assert "errors" not in ours, (name, ours)
        assert all(ours["data"].values()), (name, ours)
        assert isinstance(theirs, dict), name
        assert ours["data"] == theirs["data"], name


async def _pages(url: str, paths: list[str]) -> list[tuple[str, str]]:
    """Each page's HTML from Linzhi and from the floor (anonymous), the CSRF token (random per
    response) blanked."""
    linzhi_app = create_app(Settings.from_env().with_(database_url=url, env="development"))
    floor_app = floor.create_app(url)
    pages: list[tuple[str, str]] = []
    async with linzhi_app.router.lifespan_context(linzhi_app), floor_app.router.lifespan_context(floor_app):
        to_linzhi = httpx.AsyncClient(transport=httpx.ASGITransport(app=linzhi_app), base_url="http://b")
        to_floor = httpx.AsyncClient(transport=httpx.ASGITransport(app=floor_app), base_url="http://b")
        async with to_linzhi, to_floor:
            for path in paths:
                ours, theirs = await to_linzhi.get(path), await to_floor.get(path)
                assert ours.status_code == theirs.status_code == 200, path
                pages.append((CSRF.sub("", ours.text), CSRF.sub("", theirs.text)))
    return pages


CSRF = re.compile(r'"X-CSRF-Token": "[^"]*"')


def test_the_p2_floor_renders_linzhis_feed_page(url: str, db: sqlite3.Connection) -> None:
    # GIVEN the TINY data: the city, a town, a unit, the grid with the most published records
    # whose details are public (so leaders' masked names show), and a micro-grid
    def code(sql: str) -> str:
        return str(db.execute(sql).fetchone()[0])

    published = "a.status = 'VERIFIED' AND a.is_public AND a.details_public"
    codes = [
        code("SELECT code FROM grid_cell WHERE length(path) = 8"),
        code("SELECT code FROM grid_cell WHERE length(path) = 16 ORDER BY id LIMIT 1"),
        code("SELECT code FROM grid_cell WHERE length(path) = 24 ORDER BY id LIMIT 1"),
        code(
            f"SELECT g.code FROM grid_cell g JOIN activity a ON a.grid_id = g.id AND {published} "
            "GROUP BY g.code ORDER BY count(*) DESC LIMIT 1"
        ),
        code("SELECT code FROM grid_cell WHERE length(path) = 40 ORDER BY id LIMIT 1"),
    ]
    # WHEN each feed page is asked of Linzhi and of the floor (p2's one statement)
    pages = asyncio.run(_pages(url, [f"/grids/{c}/activities" for c in codes]))
    # THEN the floor's page is Linzhi's, byte for byte, records and masked authors included
    for c, (ours, theirs) in zip(codes, pages, strict=True):
        assert ours == theirs, c
    assert "活动记录" in pages[0][0]
    assert sum(page.count('class="activity-card') for page, _ in pages) > 0
