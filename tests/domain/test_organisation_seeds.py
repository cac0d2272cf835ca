"""The registry and social-work seeds: the report's headline figures exactly, truthful demo data
(every row marked, valid but unmistakably invented codes, no real place in a name), and a second
load that changes nothing. One load per database (a few seconds)."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from domain.access import Role
from domain.accounts.models import RoleAssignment
from domain.grids.models import GridCell
from domain.organisations.codes import validate_uscc
from domain.organisations.eligibility import eligibility_of
from domain.organisations.models import LegalForm, Organisation, OrgField, OrgStatus
from domain.organisations.queries import DirectoryFilter, totals_by_status
from domain.socialwork.models import SocialWorker, Station, Supervisee, SupervisionRecord
from seeds import load_all, load_organisation_seeds, pinghu

pytestmark = pytest.mark.usefixtures("db")


async def test_the_seeded_registry_tells_the_reports_figures_and_nothing_real() -> None:
    await load_all()
    totals = await totals_by_status(DirectoryFilter())
    assert (totals[OrgStatus.REGISTERED], totals[OrgStatus.FILED]) == (560, 1989)
    organisations = await Organisation.all()
    assert all(org.is_demo for org in organisations)
    assert sum(org.is_agency for org in organisations) == 24
    real_places = {d.name for d in pinghu.REAL_DIVISIONS} | {
        d.name.removesuffix("街道").removesuffix("镇") for d in pinghu.TOWNS
    }
    assert [org.name for org in organisations if any(place in org.name for place in real_places)] == []
    for org in organisations:
        if org.legal_form.registered:
            assert validate_uscc(org.uscc or "", org.legal_form) == org.uscc
            assert org.uscc[8:12] == "MJDM"
        else:
            assert org.filing_number.startswith("YS-")
    towns = Counter(org.town_id for org in organisations)
    assert len(towns) == len(pinghu.TOWNS)
    assert min(towns.values()) > 100

    workers = await SocialWorker.all()
    assert len(workers) == 2300
    assert sum(w.supervisor_level is not None for w in workers) == 32
    assert await Station.all().count() == len(pinghu.TOWNS)
    records = await SupervisionRecord.all()
    assert min(r.held_on for r in records) >= date(2025, 11, 30)
    assert await Supervisee.all().count() >= len(records)

    listed = await eligibility_of([org.id for org in organisations], date(2026, 11, 30))
    refused = [e for e in listed.values() if not e.eligible]
    assert 0 < len(refused) < 30

    # the demo organiser acts for a filed 居民互助类 organisation of 当湖街道
    grant = await RoleAssignment.get(user__username="demo.organiser", role=Role.ORGANISER)
    acted_for = await Organisation.get(id=grant.organisation_id).select_related("home_cell")
    assert (acted_for.status, acted_for.field) == (OrgStatus.FILED, OrgField.MUTUAL_AID)
    assert acted_for.home_cell.path.startswith((await GridCell.get(code=pinghu.TOWNS[0].code)).path)


async def test_a_second_load_changes_nothing() -> None:
    await load_all()
    before = await Organisation.all().count()
    report = await load_organisation_seeds()
    assert report.inserted == 0
    assert await Organisation.all().count() == before
    assert {org.legal_form for org in await Organisation.filter(social_work=True)} == {
        LegalForm.SERVICE_INSTITUTION
    }
