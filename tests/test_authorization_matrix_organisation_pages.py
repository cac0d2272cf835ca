"""The state-changing pages of the organisation registry and the supervision log, walked with every
role and anonymous through a real browser session: outcomes match docs/permissions.md (grid staff
are scoped over the filing community, the ORGANISER acts for the filed organisation), a refusal
changes nothing, and it is the policy (not the CSRF check) that refuses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

import httpx
import pytest

from domain.access import Role
from domain.accounts.service import SYSTEM, grant_role
from domain.audit.models import AuditEntry
from domain.organisations import members, service
from domain.organisations.models import (
    AnnualReport,
    MemberRole,
    Organisation,
    OrganisationMember,
    RatingRecord,
    Sanction,
    SanctionList,
)
from domain.people.models import Person
from domain.permissions import MATRIX, Access
from domain.socialwork.models import SocialWorker, SupervisionRecord, SupervisorLevel
from tests.accounts import make_user
from tests.domain.test_organisations import code, filed, registered
from tests.domain.test_socialwork import _agency, _worker
from tests.factories import BUREAU, build_tree
from tests.web.session import Browser, signed_in
from web.localtime import today_local

ACTORS: list[Role | None] = [None, *Role]
TODAY = today_local()
YESTERDAY = date.fromordinal(TODAY.toordinal() - 1).isoformat()


@dataclass
class World:
    browser: Browser
    filed: Organisation
    registered: Organisation
    sanction: Sanction
    member: OrganisationMember
    report: AnnualReport
    person: Person
    community_id: int
    supervisor: SocialWorker
    workers: tuple[SocialWorker, SocialWorker]


async def _world(client: httpx.AsyncClient, role: Role | None) -> World:
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    org = await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    other = await service.create_organisation(actor=BUREAU, data=registered(tree), today=TODAY)
    sanction = await service.add_sanction(
        actor=BUREAU,
        organisation_id=org.id,
        sanction_list=SanctionList.ABNORMAL,
        reason="未报送年报",
        source="平湖市民政局",
        listed_on=date(2026, 5, 1),
        today=TODAY,
    )
    person = await Person.create(name="沈一鸣", mobile="13912345678")
    member = await members.add_member(
        actor=BUREAU,
        organisation_id=org.id,
        person_id=person.id,
        role=MemberRole.MEMBER,
        started_on=date(2025, 1, 1),
        today=TODAY,
    )
    report = await members.submit_annual_report(
        actor=BUREAU, organisation_id=org.id, year=TODAY.year - 2, today=TODAY
    )
    agency = await _agency(tree, serial="MJ5870009")
    supervisor = await _worker(9, agency, SupervisorLevel.SUPERVISOR)
    workers = (await _worker(1, agency), await _worker(2, agency))
    if role is None:
        browser = Browser(client)
        await browser.open("/signin")
    else:
        user = await make_user(f"matrix.{role.value.lower()}", role, cell=tree.community)
        if role is Role.ORGANISER:
            await grant_role(actor=SYSTEM, user_id=user.id, role=role, organisation_id=org.id)
        browser = await signed_in(client, user.username)
        await browser.open("/account")
    return World(
        browser, org, other, sanction, member, report, person, tree.community.id, supervisor, workers
    )


async def _snapshot() -> tuple[object, ...]:
    return (
        sorted(await Organisation.all().values_list("id", "status", "legal_form", "uscc")),
        sorted(await Sanction.all().values_list("id", "removed_on")),
        await RatingRecord.all().count(),
        sorted(await OrganisationMember.all().values_list("id", "ended_on")),
        sorted(await AnnualReport.all().values_list("id", "year", "status")),
        await SupervisionRecord.all().count(),
        await AuditEntry.exclude(action__in=["auth.sign_in"]).count(),
    )


async def _file(w: World) -> bool:
    form = {
        "name": "矩阵读书会",
        "legal_form": "COMMUNITY_GROUP",
        "field": "CULTURE_SPORTS",
        "home_cell": str(w.community_id),
        "filing_number": "矩阵备-001",
        "filing_cell": str(w.community_id),
        "filed_on": YESTERDAY,
    }
    await w.browser.submit("/organisations", form)
    return await Organisation.exists(name="矩阵读书会")


async def _register(w: World) -> bool:
    form = {
        "name": "矩阵社会团体",
        "legal_form": "SOCIAL_GROUP",
        "field": "CHARITY",
        "home_cell": str(w.community_id),
        "uscc": code("1", "MJ5870077"),
        "registered_on": YESTERDAY,
    }
    await w.browser.submit("/organisations", form)
    return await Organisation.exists(name="矩阵社会团体")


async def _upgrade(w: World) -> bool:
    form = {"legal_form": "SOCIAL_GROUP", "uscc": code("1", "MJ5870088"), "registered_on": YESTERDAY}
    await w.browser.submit(f"/organisations/{w.filed.id}/upgrade", form)
    return (await Organisation.get(id=w.filed.id)).uscc is not None


async def _deregister(w: World) -> bool:
    await w.browser.submit(f"/organisations/{w.filed.id}/deregister", {"on": YESTERDAY, "reason": "解散"})
    return (await Organisation.get(id=w.filed.id)).deregistered_on is not None


async def _list(w: World) -> bool:
    form = {"list": "DISHONEST", "reason": "矩阵", "source": "平湖市民政局", "listed_on": YESTERDAY}
    await w.browser.submit(f"/organisations/{w.filed.id}/sanctions", form)
    return await Sanction.filter(organisation_id=w.filed.id).count() == 2


async def _lift(w: World) -> bool:
    url = f"/organisations/{w.filed.id}/sanctions/{w.sanction.id}/lift"
    await w.browser.submit(url, {"on": YESTERDAY, "reason": "已补报"})
    return (await Sanction.get(id=w.sanction.id)).removed_on is not None


async def _rate(w: World) -> bool:
    await w.browser.submit(
        f"/organisations/{w.registered.id}/ratings", {"level": "A4", "rated_on": YESTERDAY}
    )
    return await RatingRecord.exists(organisation_id=w.registered.id)


async def _decide(w: World) -> bool:
    url = f"/organisations/{w.filed.id}/reports/{w.report.id}/decide"
    await w.browser.submit(url, {"decision": "accept"})
    return (await AnnualReport.get(id=w.report.id)).decided_on is not None


async def _add_member(w: World) -> bool:
    form = {
        "person_name": "沈一鸣",
        "person_mobile": "13912345678",
        "role": "CONTACT",
        "started_on": YESTERDAY,
    }
    await w.browser.submit(f"/organisations/{w.filed.id}/members", form)
    return await OrganisationMember.exists(organisation_id=w.filed.id, role=MemberRole.CONTACT)


async def _end_member(w: World) -> bool:
    await w.browser.submit(f"/organisations/{w.filed.id}/members/{w.member.id}/end", {"ended_on": YESTERDAY})
    return (await OrganisationMember.get(id=w.member.id)).ended_on is not None


async def _submit_report(w: World) -> bool:
    await w.browser.submit(f"/organisations/{w.filed.id}/reports", {"year": str(TODAY.year - 1)})
    return await AnnualReport.exists(organisation_id=w.filed.id, year=TODAY.year - 1)


async def _log_supervision(w: World) -> bool:
    form = {
        "supervisor": str(w.supervisor.id),
        "supervisee_ids": [str(x.id) for x in w.workers],
        "kind": "GROUP",
        "held_on": YESTERDAY,
        "minutes": "60",
        "topics": "矩阵督导",
    }
    await w.browser.submit("/supervision", form)
    return await SupervisionRecord.exists(supervisor_id=w.supervisor.id)


@dataclass(frozen=True)
class PageCase:
    action: str
    attempt: Callable[[World], Awaitable[bool]]


ORGANISATION_PAGE_ROUTES: dict[str, PageCase] = {
    "POST /organisations (file)": PageCase("organisation.file", _file),
    "POST /organisations (register)": PageCase("organisation.register", _register),
    "POST /organisations/{id}/upgrade": PageCase("organisation.register", _upgrade),
    "POST /organisations/{id}/deregister": PageCase("organisation.register", _deregister),
    "POST /organisations/{id}/sanctions": PageCase("organisation.register", _list),
    "POST /organisations/{id}/sanctions/{id}/lift": PageCase("organisation.register", _lift),
    "POST /organisations/{id}/ratings": PageCase("organisation.register", _rate),
    "POST /organisations/{id}/reports/{id}/decide": PageCase("organisation.register", _decide),
    "POST /organisations/{id}/members": PageCase("organisation.maintain", _add_member),
    "POST /organisations/{id}/members/{id}/end": PageCase("organisation.maintain", _end_member),
    "POST /organisations/{id}/reports": PageCase("organisation.maintain", _submit_report),
    "POST /supervision": PageCase("supervision.log", _log_supervision),
}


def _expected(case: PageCase, role: Role | None) -> bool:
    """Allowed per the matrix. Here grid staff are in scope, the ORGANISER acts for the filed
    organisation (LIMITED: its members and reports), and no one signed in is the supervisor (OWN)."""
    access = next(p for p in MATRIX if p.action == case.action).access(role)
    if access is Access.LIMITED:
        return role is Role.ORGANISER
    return access in {Access.ALLOWED, Access.IN_SCOPE}


@pytest.mark.parametrize("route", list(ORGANISATION_PAGE_ROUTES))
@pytest.mark.parametrize("role", ACTORS, ids=lambda r: "anonymous" if r is None else r.value)
async def test_organisation_pages_follow_the_matrix(
    client: httpx.AsyncClient, route: str, role: Role | None
) -> None:
    # GIVEN a filed organisation with a sanction, a member and a report, a registered one, a
    # supervisor with two colleagues, and a browser of `role` (scoped over the filing community;
    # the ORGANISER for the filed organisation), or an anonymous one
    case = ORGANISATION_PAGE_ROUTES[route]
    world = await _world(client, role)
    before = await _snapshot()
    # WHEN they post the route's form with the page's CSRF token
    allowed = await case.attempt(world)
    # THEN the outcome is the documented one, and a refusal changed nothing
    assert allowed is _expected(case, role)
    answer = world.browser.last
    assert answer is not None
    assert answer.status_code < 500
    assert "请求已过期" not in answer.text
    if not allowed:
        assert answer.status_code in (303, 403)
        assert await _snapshot() == before
