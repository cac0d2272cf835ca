"""A review panel with its experts, entries and organisations, built through the review service,
for the review module's tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.access import Actor, Role
from domain.accounts.models import User
from domain.organisations.models import LegalForm, Organisation, OrgField, OrgStatus
from domain.review import service
from domain.review.models import MemberSource, PanelEntry, PanelKind, ReviewPanel
from domain.review.rubric import FUNDING_RUBRIC, Rubric
from domain.review.rules import AggregationRule
from domain.review.service import PanelInput
from tests.accounts import actor_of, make_user
from tests.factories import Tree, build_tree


@dataclass
class Reviewer:
    user: User
    actor: Actor
    expert_id: int

    @property
    def id(self) -> int:
        return self.user.id


@dataclass
class ReviewWorld:
    tree: Tree
    staff: Actor
    panel: ReviewPanel
    reviewers: list[Reviewer] = field(default_factory=list)
    organisations: list[Organisation] = field(default_factory=list)
    entries: list[PanelEntry] = field(default_factory=list)

    @property
    def rubric(self) -> Rubric:
        return self.panel.parsed_rubric


def panel_input(**overrides: object) -> PanelInput:
    values: dict[str, object] = {
        "kind": PanelKind.FUNDING,
        "title": "第四届公益创投书面评审",
        "rubric": FUNDING_RUBRIC,
        "aggregation_rule": AggregationRule.TRIMMED_MEAN,
        "reviewers_per_entry": 3,
    }
    values.update(overrides)
    return PanelInput(**values)  # type: ignore[arg-type]


async def make_organisation(tree: Tree, name: str) -> Organisation:
    return await Organisation.create(
        name=name,
        legal_form=LegalForm.SOCIAL_GROUP,
        field=OrgField.CHARITY,
        status=OrgStatus.REGISTERED,
        home_cell_id=tree.community.id,
        home_path=tree.community.path,
    )


async def make_reviewer(staff: Actor, username: str) -> Reviewer:
    user = await make_user(username, Role.REVIEWER)
    expert = await service.add_expert(actor=staff, user_id=user.id, specialities="社会工作")
    return Reviewer(user, await actor_of(user), expert.id)


async def build_review(
    *, reviewers: int = 6, entries: int = 4, frozen: bool = True, **panel: object
) -> ReviewWorld:
    """A panel of `reviewers` pool experts (all members) and `entries` entries, each from its own
    applicant organisation; frozen (written scoring open) unless told otherwise."""
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    staff = await actor_of(await make_user("bureau.review", Role.BUREAU_STAFF))
    created = await service.create_panel(actor=staff, data=panel_input(**panel))
    world = ReviewWorld(tree=tree, staff=staff, panel=created)
    for n in range(reviewers):
        reviewer = await make_reviewer(staff, f"expert.{n}")
        await service.add_member(
            actor=staff, panel_id=created.id, user_id=reviewer.id, source=MemberSource.POOL
        )
        world.reviewers.append(reviewer)
    for n in range(entries):
        org = await make_organisation(tree, f"演示申报机构{n}")
        world.organisations.append(org)
        entry = await service.add_entry(
            actor=staff, panel_id=created.id, subject_id=100 + n, title=f"演示项目{n}", applicant_id=org.id
        )
        world.entries.append(entry)
    if frozen:
        world.panel = await service.freeze_panel(actor=staff, panel_id=created.id)
    return world


def full_sheet(rubric: Rubric, score: int = 8) -> dict[str, tuple[int | None, str]]:
    return {c.key: (score, f"{c.label}较好") for c in rubric.criteria}


async def reload_panel(world: ReviewWorld) -> ReviewPanel:
    return await ReviewPanel.get(id=world.panel.id)
