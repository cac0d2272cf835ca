"""Per-request DataLoaders of the organisation registry: one statement per batch."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from api.schema.loaders import loader_field
from domain import clock
from domain.organisations import eligibility, queries
from domain.organisations.eligibility import Eligibility
from domain.organisations.models import AnnualReport, Organisation, OrganisationMember, RatingRecord, Sanction


async def organisations_by_id(keys: list[int]) -> list[Organisation | None]:
    found = await queries.organisations_by_ids(keys)
    return [found.get(k) for k in keys]


async def members_by_organisation(keys: list[int]) -> list[list[OrganisationMember]]:
    grouped = await queries.current_members(keys)
    return [grouped.get(k, []) for k in keys]


async def sanctions_by_organisation(keys: list[int]) -> list[list[Sanction]]:
    grouped = await queries.sanctions_of(keys)
    return [grouped.get(k, []) for k in keys]


async def ratings_by_organisation(keys: list[int]) -> list[list[RatingRecord]]:
    grouped = await queries.ratings_of(keys)
    return [grouped.get(k, []) for k in keys]


async def eligibility_by_organisation(keys: list[int]) -> list[Eligibility]:
    found = await eligibility.eligibility_of(keys, clock.today())
    return [found[k] for k in keys]


async def reports_by_organisation(keys: list[int]) -> list[list[AnnualReport]]:
    grouped = await queries.reports_of(keys)
    return [grouped.get(k, []) for k in keys]


async def members_by_id(keys: list[int]) -> list[OrganisationMember | None]:
    found = await queries.members_by_ids(keys)
    return [found.get(k) for k in keys]


async def sanctions_by_id(keys: list[int]) -> list[Sanction | None]:
    found = await queries.sanctions_by_ids(keys)
    return [found.get(k) for k in keys]


async def reports_by_id(keys: list[int]) -> list[AnnualReport | None]:
    found = await queries.reports_by_ids(keys)
    return [found.get(k) for k in keys]


@dataclass
class OrganisationLoaders:
    organisation_by_id: DataLoader[int, Organisation | None] = loader_field(organisations_by_id)
    members_by_organisation: DataLoader[int, list[OrganisationMember]] = loader_field(members_by_organisation)
    sanctions_by_organisation: DataLoader[int, list[Sanction]] = loader_field(sanctions_by_organisation)
    ratings_by_organisation: DataLoader[int, list[RatingRecord]] = loader_field(ratings_by_organisation)
    eligibility_by_organisation: DataLoader[int, Eligibility] = loader_field(eligibility_by_organisation)
    reports_by_organisation: DataLoader[int, list[AnnualReport]] = loader_field(reports_by_organisation)
    member_by_id: DataLoader[int, OrganisationMember | None] = loader_field(members_by_id)
    sanction_by_id: DataLoader[int, Sanction | None] = loader_field(sanctions_by_id)
    report_by_id: DataLoader[int, AnnualReport | None] = loader_field(reports_by_id)
