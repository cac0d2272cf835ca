"""Social-work pages: an agency's section on its organisation page, the worker directory (masked
for the public), supervisors' logs (staff and the supervisor only). Both databases."""

from __future__ import annotations

from datetime import date

import httpx

from domain.access import Role
from domain.socialwork import service
from domain.socialwork.models import Station, SupervisionForm, SupervisorLevel
from domain.socialwork.service import SupervisionInput
from tests.accounts import make_user
from tests.conftest import SqlLog
from tests.domain.test_organisations import TODAY
from tests.domain.test_socialwork import _agency, _place, _worker
from tests.factories import BUREAU, build_tree
from tests.web.html import parse
from tests.web.session import signed_in


async def test_agency_page_workers_directory_and_supervision_log(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    tree = await build_tree()
    agency = await _agency(tree)
    await _place(agency, tree.village.id)
    supervisor = await _worker(1, agency, SupervisorLevel.SUPERVISOR)
    colleague = await _worker(2, agency)
    record = SupervisionInput(
        supervisor_id=supervisor.id,
        supervisee_ids=(colleague.id,),
        form=SupervisionForm.INDIVIDUAL,
        held_on=date(TODAY.year, 3, 2),
        minutes=90,
        topics="个案评估与服务计划",
    )
    await service.log_supervision(actor=BUREAU, data=record, today=TODAY)

    page = (await client.get(f"/organisations/{agency}")).text
    assert "驻村（社区）服务" in page
    assert tree.village.name in page

    sql_log.reset()
    public = parse((await client.get("/social-workers")).text)
    assert sql_log.count == 2
    assert "演示社工1" not in public.text
    assert "演****" in public.text
    assert (await client.get(f"/supervision/{supervisor.id}")).status_code in (302, 303)  # sign in first

    await make_user("bureau.chen", Role.BUREAU_STAFF)
    staff = await signed_in(client, "bureau.chen")
    response, doc = await staff.open(f"/supervision/{supervisor.id}")
    assert "个案评估与服务计划" in doc.text
    assert "演示社工1" in doc.text

    stranger = await make_user("resident.zhao", Role.RESIDENT)
    assert stranger.person_id != supervisor.person_id
    other = await signed_in(
        httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url)), "resident.zhao"
    )
    response, _ = await other.open(f"/supervision/{supervisor.id}")
    assert response.status_code == 404


async def test_the_agency_directory_lists_agencies_and_stations_in_four_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    # GIVEN an agency placed in a community with two workers, a registered 社会服务机构 without the
    # social-work flag, and the town's station run by the agency
    tree = await build_tree()
    agency = await _agency(tree)
    await _agency(tree, social_work=False, serial="MJ5870002")
    await _place(agency, tree.community.id)
    await _worker(1, agency)
    await _worker(2, agency)
    await Station.create(name="演示社工站", town_id=tree.town.id, operator_id=agency)

    # WHEN anyone opens the agency directory
    sql_log.reset()
    response = await client.get("/agencies")

    # THEN it lists the agency only, with its workers and places, and the station with its
    # operator, in four statements
    assert response.status_code == 200
    assert sql_log.count == 4
    doc = parse(response.text)
    cards = doc.find_all(class_="org-card")
    assert [c.find("a").text for c in cards] == ["演示社工服务中心MJ5870001"]
    assert "社工 2 人 · 驻点 1 个村（社区）" in cards[0].text
    assert "演示社工站（当湖街道），由 演示社工服务中心MJ5870001 运营" in " ".join(doc.text.split())
