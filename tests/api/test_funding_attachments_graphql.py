"""Attachments over GraphQL: `Application.attachments` and `node(id:)` for the organisers and
staff (real names), a blind panel's assigned reviewer (neutral names), nobody else; the list's
statements do not grow with the applications; `fundingAttachmentRemove` in a draft only, a
refusal a userError that changes nothing. Both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from domain import storage
from domain.access import Role
from domain.accounts import service as accounts
from domain.accounts.service import SYSTEM
from domain.funding import applications, attachments
from domain.funding.models import Application, ApplicationAttachment, FundingRound
from domain.organisations.models import Organisation
from domain.review import service as review_service
from domain.review.models import ConflictReason, MemberSource, PanelEntry
from tests.accounts import make_user
from tests.api.graphql import bearer, global_id, gql
from tests.conftest import SqlLog
from tests.factories import Tree, build_tree
from tests.factories_files import pdf_bytes, png_bytes
from tests.factories_funding import (
    CLERK,
    TODAY,
    app_input,
    open_round,
    organiser,
    registered_org,
    to_review,
)
from tests.factories_review import make_reviewer

pytestmark = pytest.mark.usefixtures("funding_clerks")

RESOLVERS = {"x-linzhi-read-path": "resolvers"}
FIELDS = "id kind kindLabel fileName sizeBytes url"
MINE = f"""
query ($first: Int) {{ myApplications(first: $first) {{
  nodes {{ projectName attachments {{ {FIELDS} }} }} }} }}
"""
NODE = f"query ($id: ID!) {{ node(id: $id) {{ ... on ApplicationAttachment {{ {FIELDS} }} }} }}"
REMOVE = """
mutation ($i: FundingAttachmentRemoveInput!) { fundingAttachmentRemove(input: $i) {
  application { projectName attachments { fileName } } userErrors { code field message } } }
"""


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path) -> Iterator[Path]:
    previous = storage.configure(tmp_path)
    yield storage.attachments_dir()
    storage.configure(previous)


async def _organiser_headers(org: Organisation, username: str = "org.chen") -> dict[str, str]:
    user = await make_user(username)
    await accounts.grant_role(actor=SYSTEM, user_id=user.id, role=Role.ORGANISER, organisation_id=org.id)
    return await bearer(user, "write:funding")


async def _drafts(tree: Tree, org: Organisation, count: int, start: int = 0) -> list[Application]:
    funding_round = await FundingRound.get_or_none(edition=1) or await open_round(max_applications_per_org=5)
    made = []
    for n in range(start, start + count):
        draft = await applications.create_application(
            actor=organiser(org),
            round_id=funding_round.id,
            data=app_input(tree, org, project_name=f"项目{n}"),
        )
        for name, data in ((f"申报书{n}.pdf", pdf_bytes()), (f"现场{n}.png", png_bytes())):
            await attachments.add_attachment(
                actor=organiser(org), application_id=draft.id, data=data, declared_name=name
            )
        made.append(draft)
    return made


async def test_the_organisers_list_reads_in_a_fixed_number_of_statements(
    client: httpx.AsyncClient, sql_log: SqlLog
) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    headers = await _organiser_headers(org)
    await _drafts(tree, org, 1)
    await gql(client, MINE, headers={**headers, **RESOLVERS}, first=10)  # the token's first use is noted
    counts = []
    for more in (0, 2):
        if more:
            await _drafts(tree, org, more, start=1)
        sql_log.reset()
        body = await gql(client, MINE, headers={**headers, **RESOLVERS}, first=10)
        counts.append(sql_log.count)
    nodes = body["data"]["myApplications"]["nodes"]
    assert len(nodes) == 3
    first = nodes[0]["attachments"]
    assert [(a["kind"], a["kindLabel"], a["fileName"]) for a in first] == [
        ("PDF", "PDF 文档", "申报书0.pdf"),
        ("IMAGE", "图片", "现场0.png"),
    ]
    row = await ApplicationAttachment.get(file_name="申报书0.pdf")
    assert first[0]["url"] == f"/funding/attachments/{row.id}"
    assert first[0]["sizeBytes"] == row.size_bytes
    assert first[0]["id"] == global_id("ApplicationAttachment", row.id)
    # the token with its account, its grants, the rate counter, the page, and one statement for
    # every application's attachments together, however many applications there are
    assert counts == [5, 5]


async def test_node_names_the_file_as_its_reader_may_see_it(client: httpx.AsyncClient) -> None:
    # GIVEN a blind round's application with a PDF, on the panel with an assigned reviewer and a
    # conflicted one
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round(blind=True)
    owner = organiser(org)
    draft = await applications.create_application(
        actor=owner, round_id=funding_round.id, data=app_input(tree, org)
    )
    pdf = await attachments.add_attachment(
        actor=owner, application_id=draft.id, data=pdf_bytes(), declared_name="演示公益服务中心简介.pdf"
    )
    await to_review(
        funding_round, [await applications.submit(actor=owner, application_id=draft.id, today=TODAY)]
    )
    entry = await PanelEntry.get(panel_id=funding_round.panel_id, subject_id=draft.id)
    assigned, conflicted = [await make_reviewer(CLERK, n) for n in ("expert.a", "expert.b")]
    for r in (assigned, conflicted):
        await review_service.add_member(
            actor=CLERK, panel_id=funding_round.panel_id, user_id=r.id, source=MemberSource.POOL
        )
        await review_service.assign_reviewer(actor=CLERK, entry_id=entry.id, reviewer_id=r.id, today=TODAY)
    await review_service.declare_conflict(
        actor=conflicted.actor, entry_id=entry.id, reason=ConflictReason.FAMILY
    )
    other = await registered_org(tree, "另一家服务社")
    readers = {
        "organiser": await _organiser_headers(org),
        "another organiser": await _organiser_headers(other, "org.other"),
        "staff": await bearer(await make_user("bureau.zhou", Role.BUREAU_STAFF)),
        "assigned": await bearer(assigned.user),
        "conflicted": await bearer(conflicted.user),
        "resident": await bearer(await make_user("resident.wu", Role.RESIDENT)),
        "anonymous": {},
    }
    names = {}
    for who, headers in readers.items():
        body = await gql(client, NODE, headers=headers, id=global_id("ApplicationAttachment", pdf.id))
        node = body["data"]["node"]
        names[who] = node["fileName"] if node else None
    assert names == {
        "organiser": "演示公益服务中心简介.pdf",
        "another organiser": None,
        "staff": "演示公益服务中心简介.pdf",
        "assigned": "附件1.pdf",
        "conflicted": None,
        "resident": None,
        "anonymous": None,
    }


async def test_remove_works_in_a_draft_and_is_a_user_error_after_submission(
    client: httpx.AsyncClient,
) -> None:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    headers = await _organiser_headers(org)
    (draft,) = await _drafts(tree, org, 1)
    pdf, png = await ApplicationAttachment.filter(application_id=draft.id).order_by("id")
    # WHEN the organiser removes the PDF from the draft
    body = await gql(client, REMOVE, headers=headers, i={"id": global_id("ApplicationAttachment", pdf.id)})
    # THEN the application comes back without it
    payload = body["data"]["fundingAttachmentRemove"]
    assert payload["userErrors"] == []
    assert payload["application"]["attachments"] == [{"fileName": "现场0.png"}]
    # WHEN the draft is submitted, THEN removing is refused with its code and nothing changes
    await applications.submit(actor=organiser(org), application_id=draft.id, today=TODAY)
    body = await gql(client, REMOVE, headers=headers, i={"id": global_id("ApplicationAttachment", png.id)})
    payload = body["data"]["fundingAttachmentRemove"]
    assert payload["application"] is None
    assert [e["code"] for e in payload["userErrors"]] == ["ATTACHMENTS_LOCKED"]
    assert "不能增删附件" in payload["userErrors"][0]["message"]
    # a malformed ID is a userError of the input, too
    body = await gql(client, REMOVE, headers=headers, i={"id": global_id("Application", draft.id)})
    assert [e["code"] for e in body["data"]["fundingAttachmentRemove"]["userErrors"]] == ["INVALID"]
    assert [a.id for a in await ApplicationAttachment.filter(application_id=draft.id)] == [png.id]
