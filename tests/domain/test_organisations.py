"""The organisation registry: credit-code checks against the legal form, filing and registering
with their permissions, the upgrade that keeps the filing as history, sanctions and the one
eligibility function later domains ask, ratings. Both databases."""

from __future__ import annotations

from datetime import date

import pytest
from stdnum.cn import uscc as stdnum_uscc

from domain.access import ANONYMOUS, Actor, Grant, Role
from domain.audit.models import AuditEntry
from domain.errors import DomainError, ErrorCode, PermissionDenied, Unauthenticated, ValidationErrors
from domain.organisations import members, queries, service
from domain.organisations.codes import validate_uscc
from domain.organisations.eligibility import eligibility_of
from domain.organisations.errors import OrgCode
from domain.organisations.models import (
    AnnualReport,
    LegalForm,
    MemberRole,
    Organisation,
    OrganisationMember,
    OrgField,
    OrgStatus,
    Rating,
    RatingRecord,
    ReportStatus,
    SanctionList,
)
from domain.organisations.queries import DirectoryFilter
from domain.organisations.service import OrganisationInput
from domain.pagination import PageRequest
from domain.people.models import Person
from tests.accounts import actor_of, make_user
from tests.conftest import SqlLog
from tests.factories import BUREAU, Tree, build_tree
from tests.factories_leaders import concurrently

pytestmark = pytest.mark.usefixtures("db")

TODAY = date(2026, 12, 5)


def code(kind: str, serial: str = "MJ5870001", authority: str = "5") -> str:
    """A well-formed code with a correct check digit (GB 32100)."""
    base = f"{authority}{kind}330482{serial}"
    return base + stdnum_uscc.calc_check_digit(base + "0")


def wrong_check_digit(valid: str) -> str:
    return valid[:-1] + ("1" if valid[-1] != "1" else "2")


# --- the credit code (no database) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "digit"),
    [(LegalForm.SOCIAL_GROUP, "1"), (LegalForm.SERVICE_INSTITUTION, "2"), (LegalForm.FOUNDATION, "3")],
)
def test_a_valid_code_of_the_right_form_passes_normalised(form: LegalForm, digit: str) -> None:
    valid = code(digit)
    spaced = f" {valid[:8]} {valid[8:].lower()} "
    assert validate_uscc(spaced, form) == valid


def test_a_wrong_check_digit_is_refused_with_its_own_message() -> None:
    with pytest.raises(DomainError) as caught:
        validate_uscc(wrong_check_digit(code("1")), LegalForm.SOCIAL_GROUP)
    assert caught.value.code is OrgCode.INVALID_USCC
    assert "校验位" in caught.value.message
    assert caught.value.field == ["uscc"]


def test_a_code_of_another_legal_form_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        validate_uscc(code("1"), LegalForm.FOUNDATION)
    assert "与组织类型“基金会”不符（应为 3）" in caught.value.message


def test_a_code_of_another_authority_is_refused() -> None:
    company = "91110000600037341L"  # valid check digit, registered by market regulation
    with pytest.raises(DomainError) as caught:
        validate_uscc(company, LegalForm.SOCIAL_GROUP)
    assert "第 1 位应为 5" in caught.value.message


@pytest.mark.parametrize("raw", ["5133048", "51330482MJ58700!1X", "ABCDEFGH1234567890"])
def test_malformed_codes_are_refused(raw: str) -> None:
    with pytest.raises(DomainError) as caught:
        validate_uscc(raw, LegalForm.SOCIAL_GROUP)
    assert caught.value.code is OrgCode.INVALID_USCC


# --- filing and registering ----------------------------------------------------------------------


def registered(tree: Tree, name: str = "演示公益服务中心", **overrides: object) -> OrganisationInput:
    values: dict[str, object] = {
        "name": name,
        "legal_form": LegalForm.SERVICE_INSTITUTION,
        "field": OrgField.CHARITY,
        "home_cell_id": tree.community.id,
        "uscc": code("2"),
        "registered_on": date(2020, 5, 1),
    }
    values.update(overrides)
    return OrganisationInput(**values)  # type: ignore[arg-type]


def filed(tree: Tree, name: str = "演示邻里互助队", **overrides: object) -> OrganisationInput:
    values: dict[str, object] = {
        "name": name,
        "legal_form": LegalForm.COMMUNITY_GROUP,
        "field": OrgField.MUTUAL_AID,
        "home_cell_id": tree.grids[0].id,
        "filing_number": "当湖备-2019-001",
        "filing_cell_id": tree.community.id,
        "filed_on": date(2019, 3, 1),
    }
    values.update(overrides)
    return OrganisationInput(**values)  # type: ignore[arg-type]


async def test_bureau_registers_an_organisation_with_its_place_and_an_audit_row() -> None:
    tree = await build_tree()
    org = await service.create_organisation(actor=BUREAU, data=registered(tree), today=TODAY)
    row = await Organisation.get(id=org.id)
    assert (row.status, row.uscc, row.town_id, row.home_path) == (
        OrgStatus.REGISTERED,
        code("2"),
        tree.town.id,
        tree.community.path,
    )
    assert await AuditEntry.filter(action="organisation.register", object_id=str(org.id)).count() == 1


async def test_bad_input_reports_every_error_at_once_and_creates_nothing() -> None:
    tree = await build_tree()
    bad = registered(tree, name="x", uscc=wrong_check_digit(code("2")), founded_on=date(2030, 1, 1))
    with pytest.raises(ValidationErrors) as caught:
        await service.create_organisation(actor=BUREAU, data=bad, today=TODAY)
    fields = sorted(e.field[0] for e in caught.value.errors if e.field)
    assert fields == ["foundedOn", "name", "uscc"]
    assert await Organisation.all().count() == 0


async def test_one_code_registers_once_even_when_two_requests_race() -> None:
    tree = await build_tree()
    results = await concurrently(
        lambda: service.create_organisation(actor=BUREAU, data=registered(tree, "演示甲中心"), today=TODAY),
        lambda: service.create_organisation(actor=BUREAU, data=registered(tree, "演示乙中心"), today=TODAY),
    )
    assert len(results.ok()) == 1
    assert results.errors() == [ErrorCode.DUPLICATE_CODE]
    assert await Organisation.all().count() == 1


async def test_a_name_in_use_is_refused() -> None:
    tree = await build_tree()
    await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    again = filed(tree, filing_number="当湖备-2019-002")
    with pytest.raises(ValidationErrors) as caught:
        await service.create_organisation(actor=BUREAU, data=again, today=TODAY)
    assert caught.value.code is ErrorCode.DUPLICATE_NAME


async def test_grid_staff_file_in_their_scope_but_never_register_nor_file_elsewhere() -> None:
    tree = await build_tree()
    staff = await actor_of(await make_user("community.staff", Role.GRID_STAFF, cell=tree.community))
    org = await service.create_organisation(actor=staff, data=filed(tree), today=TODAY)
    assert org.status is OrgStatus.FILED
    with pytest.raises(PermissionDenied):
        await service.create_organisation(actor=staff, data=registered(tree), today=TODAY)
    elsewhere = filed(tree, "演示村舞蹈队", home_cell_id=tree.village.id, filing_cell_id=tree.village.id)
    with pytest.raises(PermissionDenied):
        await service.create_organisation(actor=staff, data=elsewhere, today=TODAY)
    with pytest.raises(Unauthenticated):
        await service.create_organisation(actor=ANONYMOUS, data=filed(tree, "演示合唱团"), today=TODAY)


async def test_an_organiser_token_without_the_scope_is_refused() -> None:
    tree = await build_tree()
    token = Actor(
        user_id=99, grants=(Grant(Role.BUREAU_STAFF),), token_scopes=frozenset({"read"}), token_id=1
    )
    with pytest.raises(PermissionDenied) as caught:
        await service.create_organisation(actor=token, data=registered(tree), today=TODAY)
    assert "write:organisations" in caught.value.message


async def test_a_filed_organisation_acts_inside_its_filing_cell() -> None:
    tree = await build_tree()
    outside = filed(tree, home_cell_id=tree.village.id)
    with pytest.raises(ValidationErrors) as caught:
        await service.create_organisation(actor=BUREAU, data=outside, today=TODAY)
    assert caught.value.field == ["homeCellId"]


async def test_the_upgrade_keeps_the_filing_as_history() -> None:
    tree = await build_tree()
    org = await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    await service.upgrade_to_registered(
        actor=BUREAU,
        organisation_id=org.id,
        legal_form=LegalForm.SOCIAL_GROUP,
        uscc=code("1"),
        registered_on=date(2022, 6, 1),
        today=TODAY,
    )
    row = await Organisation.get(id=org.id)
    assert (row.status, row.legal_form, row.uscc) == (OrgStatus.REGISTERED, LegalForm.SOCIAL_GROUP, code("1"))
    assert (row.filing_number, row.filed_on) == ("当湖备-2019-001", date(2019, 3, 1))
    with pytest.raises(DomainError) as caught:  # registered is not upgraded twice
        await service.upgrade_to_registered(
            actor=BUREAU,
            organisation_id=org.id,
            legal_form=LegalForm.SOCIAL_GROUP,
            uscc=code("1", "MJ5870002"),
            registered_on=date(2022, 6, 1),
            today=TODAY,
        )
    assert caught.value.code is ErrorCode.INVALID_TRANSITION


# --- sanctions and eligibility -------------------------------------------------------------------


async def test_eligibility_follows_sanctions_bars_and_deregistration() -> None:
    tree = await build_tree()
    clean = await service.create_organisation(actor=BUREAU, data=registered(tree), today=TODAY)
    group = await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    listed = await service.create_organisation(
        actor=BUREAU,
        data=registered(tree, "演示互助协会", legal_form=LegalForm.SOCIAL_GROUP, uscc=code("1")),
        today=TODAY,
    )
    await service.add_sanction(
        actor=BUREAU,
        organisation_id=listed.id,
        sanction_list=SanctionList.ABNORMAL,
        reason="未按时报送年度报告",
        source="平湖市民政局",
        listed_on=date(2026, 3, 1),
        today=TODAY,
    )
    barred = await service.add_sanction(
        actor=BUREAU,
        organisation_id=clean.id,
        sanction_list=SanctionList.BARRED,
        reason="项目资金违规使用",
        source="公益创投领导小组",
        listed_on=date(2024, 1, 10),
        today=TODAY,
    )
    assert barred.removed_on == date(2027, 1, 10)  # three years by default

    now = await eligibility_of([clean.id, group.id, listed.id], TODAY)
    assert now[group.id].eligible
    assert now[group.id].needs_sponsor
    assert not now[listed.id].eligible
    assert "活动异常名录" in now[listed.id].reasons[0]
    assert not now[clean.id].eligible
    assert "违约限制申报" in now[clean.id].reasons[0]
    later = await eligibility_of([clean.id], date(2027, 1, 10))
    assert later[clean.id].eligible
    assert not later[clean.id].needs_sponsor

    await service.lift_sanction(
        actor=BUREAU, sanction_id=(await listed.sanctions.all())[0].id, on=TODAY, reason="已整改", today=TODAY
    )
    await service.deregister(actor=BUREAU, organisation_id=group.id, on=TODAY, reason="自行解散", today=TODAY)
    after = await eligibility_of([listed.id, group.id], TODAY)
    assert after[listed.id].eligible
    assert after[group.id].reasons == ("组织已注销",)


async def test_only_the_bureau_records_sanctions() -> None:
    tree = await build_tree()
    org = await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    staff = await actor_of(await make_user("community.staff", Role.GRID_STAFF, cell=tree.community))
    with pytest.raises(PermissionDenied):
        await service.add_sanction(
            actor=staff,
            organisation_id=org.id,
            sanction_list=SanctionList.ABNORMAL,
            reason="x",
            source="y",
            listed_on=TODAY,
            today=TODAY,
        )


async def test_a_rating_is_valid_five_years_and_only_for_registered_organisations() -> None:
    tree = await build_tree()
    org = await service.create_organisation(actor=BUREAU, data=registered(tree), today=TODAY)
    rating = await service.record_rating(
        actor=BUREAU, organisation_id=org.id, level=Rating.A4, rated_on=date(2024, 2, 29), today=TODAY
    )
    assert (rating.valid_until, rating.level.label) == (date(2029, 2, 28), "4A")
    group = await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    with pytest.raises(DomainError) as caught:
        await service.record_rating(
            actor=BUREAU, organisation_id=group.id, level=Rating.A3, rated_on=TODAY, today=TODAY
        )
    assert caught.value.code is ErrorCode.NOT_FOR_TYPE
    assert await RatingRecord.all().count() == 1


# --- members and annual reports ------------------------------------------------------------------


def organiser_of(organisation_id: int, user_id: int = 501) -> Actor:
    return Actor(user_id=user_id, grants=(Grant(Role.ORGANISER, organisation_id=organisation_id),))


async def test_organisers_keep_their_own_organisation_and_no_other() -> None:
    tree = await build_tree()
    ours = await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    theirs = await service.create_organisation(
        actor=BUREAU, data=filed(tree, "演示书画社", filing_number="当湖备-2019-009"), today=TODAY
    )
    first, second = await Person.create(name="沈一鸣"), await Person.create(name="陆晓岚")
    organiser = organiser_of(ours.id)
    await members.add_member(
        actor=organiser,
        organisation_id=ours.id,
        person_id=first.id,
        role=MemberRole.CONTACT,
        started_on=date(2025, 1, 1),
        today=TODAY,
    )
    await members.add_member(
        actor=organiser,
        organisation_id=ours.id,
        person_id=second.id,
        role=MemberRole.CONTACT,
        started_on=date(2026, 1, 1),
        today=TODAY,
    )
    contacts = await OrganisationMember.filter(organisation_id=ours.id).order_by("id")
    assert [(m.person_id, m.ended_on) for m in contacts] == [(first.id, date(2026, 1, 1)), (second.id, None)]
    assert (await Organisation.get(id=ours.id)).contact_id == second.id
    with pytest.raises(PermissionDenied):
        await members.add_member(
            actor=organiser,
            organisation_id=theirs.id,
            person_id=first.id,
            role=MemberRole.MEMBER,
            started_on=TODAY,
            today=TODAY,
        )
    assert await OrganisationMember.filter(organisation_id=theirs.id).count() == 0


async def test_an_annual_report_is_for_a_finished_year_and_is_decided_once() -> None:
    tree = await build_tree()
    org = await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    organiser = organiser_of(org.id)

    async def submit(year: int) -> AnnualReport:
        return await members.submit_annual_report(
            actor=organiser, organisation_id=org.id, year=year, today=TODAY
        )

    async def decide(actor: Actor, accept: bool, note: str = "") -> AnnualReport:
        return await members.decide_annual_report(
            actor=actor, report_id=report.id, accept=accept, note=note, today=TODAY
        )

    for year in (TODAY.year, 2018):  # not finished; before the filing
        with pytest.raises(DomainError) as caught:
            await members.submit_annual_report(
                actor=organiser, organisation_id=org.id, year=year, today=TODAY
            )
        assert caught.value.field == ["year"]
    report = await members.submit_annual_report(
        actor=organiser, organisation_id=org.id, year=2025, today=TODAY
    )
    with pytest.raises(DomainError) as caught:
        await submit(2025)
    assert caught.value.code is ErrorCode.INVALID_TRANSITION
    with pytest.raises(PermissionDenied):  # the organisation does not decide its own report
        await members.decide_annual_report(
            actor=organiser, report_id=report.id, accept=True, note="", today=TODAY
        )
    with pytest.raises(DomainError) as caught:
        await members.decide_annual_report(
            actor=BUREAU, report_id=report.id, accept=False, note=" ", today=TODAY
        )
    assert caught.value.code is ErrorCode.REASON_REQUIRED
    await members.decide_annual_report(
        actor=BUREAU, report_id=report.id, accept=False, note="缺少财务报表", today=TODAY
    )
    await submit(2025)
    accepted = await members.decide_annual_report(
        actor=BUREAU, report_id=report.id, accept=True, note="", today=TODAY
    )
    assert accepted.status is ReportStatus.ACCEPTED
    assert await AuditEntry.filter(action="organisation.return_report").count() == 1


# --- the directory -------------------------------------------------------------------------------


async def test_the_directory_filters_counts_and_pages_in_one_statement_each(sql_log: SqlLog) -> None:
    tree = await build_tree()
    hall = await service.create_organisation(actor=BUREAU, data=registered(tree), today=TODAY)
    choir = await service.create_organisation(
        actor=BUREAU,
        data=filed(
            tree,
            "演示和鸣合唱团",
            field=OrgField.CULTURE_SPORTS,
            home_cell_id=tree.village.id,
            filing_cell_id=tree.town.id,
            filing_number="当湖备-2020-001",
        ),
        today=TODAY,
    )
    aid = await service.create_organisation(actor=BUREAU, data=filed(tree), today=TODAY)
    gone = await service.create_organisation(
        actor=BUREAU, data=filed(tree, "演示旧书社", filing_number="当湖备-2016-004"), today=TODAY
    )
    await service.deregister(actor=BUREAU, organisation_id=gone.id, on=TODAY, reason="自行解散", today=TODAY)
    five_a = {"level": Rating.A5, "rated_on": date(2022, 1, 4), "today": TODAY}
    await service.record_rating(actor=BUREAU, organisation_id=hall.id, **five_a)  # type: ignore[arg-type]

    async def names(**criteria: object) -> list[str]:
        wanted = DirectoryFilter(**{"day": TODAY, **criteria})  # type: ignore[arg-type]
        page = await queries.directory(wanted, PageRequest(first=10))
        return [org.name for org in page.items]

    assert await names() == [hall.name, choir.name, aid.name]  # the deregistered one is left out
    assert await names(fields=(OrgField.CULTURE_SPORTS,)) == [choir.name]
    community = tree.community.path
    assert await names(legal_forms=(LegalForm.COMMUNITY_GROUP,), subtree_path=community) == [aid.name]
    assert await names(rating=Rating.A5) == [hall.name]
    assert await names(rating=Rating.A5, day=date(2027, 1, 4)) == []  # valid until 2027-01-03
    assert await names(search="合唱") == [choir.name]
    assert await names(statuses=(OrgStatus.DEREGISTERED,)) == [gone.name]

    sql_log.reset()
    page = await queries.directory(DirectoryFilter(town_id=tree.town.id), PageRequest(first=2))
    assert ([o.id for o in page.items], page.has_next) == ([hall.id, choir.id], True)
    assert await queries.directory_count(DirectoryFilter(town_id=tree.town.id)) == 3
    totals = await queries.totals_by_status(DirectoryFilter(town_id=tree.town.id))
    assert [totals[status] for status in OrgStatus] == [2, 1, 1]  # filed, registered, deregistered
    assert sql_log.count == 3
