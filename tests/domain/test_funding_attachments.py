"""Attachments of funding applications: the kind decided by the content, PDFs parsed and refused
when cut off, encrypted or scripted, images re-encoded, limits per file, count and total, only
the organisation's organisers while the application may change, nothing written on a refusal;
who reads them (staff, the organisers, an assigned reviewer not conflicted on an open panel, with
neutral names when blind). Both databases."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from domain import storage
from domain.access import ANONYMOUS, Actor, Grant, Role
from domain.audit.models import AuditEntry
from domain.errors import DomainError, NotFound, PermissionDenied
from domain.funding import applications, attachments, files
from domain.funding.errors import FundingCode
from domain.funding.models import Application, ApplicationAttachment, AppStatus, AttachmentKind, FundingRound
from domain.review import service as review_service
from domain.review.models import (
    Assignment,
    Conflict,
    ConflictReason,
    ConflictSource,
    MemberSource,
    PanelEntry,
)
from tests.conftest import SqlLog
from tests.factories import Tree, build_tree
from tests.factories_files import jpeg_bytes, pdf_bytes, png_bytes
from tests.factories_funding import CLERK, TODAY, app_input, open_round, organiser, registered_org, to_review
from tests.factories_review import Reviewer, make_reviewer

pytestmark = pytest.mark.usefixtures("db", "funding_clerks")

RESIDENT = Actor(user_id=3001, display_name="resident", grants=(Grant(Role.RESIDENT),))


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path) -> Iterator[Path]:
    previous = storage.configure(tmp_path)
    yield storage.attachments_dir()
    storage.configure(previous)


def _stored(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@dataclass
class Draft:
    tree: Tree
    round: FundingRound
    application: Application
    owner: Actor


async def _draft(**round_overrides: object) -> Draft:
    tree = await build_tree(grids=1, micro_grids_per_grid=0)
    org = await registered_org(tree)
    funding_round = await open_round(**round_overrides)
    owner = organiser(org)
    draft = await applications.create_application(
        actor=owner, round_id=funding_round.id, data=app_input(tree, org)
    )
    return Draft(tree, funding_round, draft, owner)


async def _add(d: Draft, data: bytes, name: str = "申报书.pdf") -> ApplicationAttachment:
    return await attachments.add_attachment(
        actor=d.owner, application_id=d.application.id, data=data, declared_name=name
    )


async def _nothing_written(d: Draft, folder: Path, rows: int = 0) -> None:
    assert await ApplicationAttachment.filter(application_id=d.application.id).count() == rows
    assert len(_stored(folder)) == rows
    assert not await AuditEntry.filter(action="funding.attachment_add").count() > rows


# --- content ------------------------------------------------------------------------------------


async def test_a_pdf_is_stored_as_uploaded_under_a_random_name_and_audited(data_dir: Path) -> None:
    d = await _draft()
    pdf = pdf_bytes(pages=2)
    attachment = await _add(d, pdf, "C:\\材料\\项目\u202e申报书.PDF")
    assert attachment.kind is AttachmentKind.PDF
    assert attachment.file_name == "项目申报书.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size_bytes == len(pdf)
    assert _stored(data_dir) == [attachment.stored_name]
    assert (data_dir / attachment.stored_name).read_bytes() == pdf
    assert attachment.sha256 == files.CheckedFile(AttachmentKind.PDF, pdf, "pdf", "").sha256
    entry = await AuditEntry.get(action="funding.attachment_add")
    assert (entry.object_type, entry.object_id) == ("Application", str(d.application.id))


async def test_the_content_decides_the_kind_never_the_name(data_dir: Path) -> None:
    d = await _draft()
    image = await _add(d, png_bytes(), "扫描件.pdf")
    document = await _add(d, pdf_bytes(), "照片.jpg")
    assert (image.kind, image.file_name, image.content_type) == (
        AttachmentKind.IMAGE,
        "扫描件.png",
        "image/png",
    )
    assert (document.kind, document.file_name) == (AttachmentKind.PDF, "照片.pdf")
    assert (data_dir / image.stored_name).read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"just some text, not a document\n", FundingCode.ATTACHMENT_TYPE),
        (b"", FundingCode.NO_FILE),
        (b"GIF89a" + b"\x00" * 40, FundingCode.ATTACHMENT_TYPE),
        (pdf_bytes()[:-30], FundingCode.ATTACHMENT_UNREADABLE),
        (b"%PDF-1.7\nnot really a pdf\n%%EOF\n", FundingCode.ATTACHMENT_UNREADABLE),
        (pdf_bytes(password=""), FundingCode.ATTACHMENT_ENCRYPTED),
        (pdf_bytes(password="secret"), FundingCode.ATTACHMENT_ENCRYPTED),
        (pdf_bytes(javascript=True), FundingCode.ATTACHMENT_ACTIVE_CONTENT),
        (
            pdf_bytes(javascript=True).replace(b"/JavaScript", b"/J#61vaScript"),
            FundingCode.ATTACHMENT_ACTIVE_CONTENT,
        ),
        (b"%PDF-1.7\n" + b"0" * files.MAX_PDF_BYTES + b"\n%%EOF\n", FundingCode.ATTACHMENT_TOO_LARGE),
        (b"\x89PNG" + b"0" * files.MAX_IMAGE_BYTES, FundingCode.ATTACHMENT_TOO_LARGE),
    ],
    ids=[
        "text",
        "empty",
        "gif",
        "cut-off-pdf",
        "unparsable-pdf",
        "encrypted-empty-password",
        "encrypted",
        "javascript",
        "javascript-escaped-name",
        "pdf-over-10-mb",
        "image-over-5-mb",
    ],
)
async def test_a_refused_file_writes_nothing(data_dir: Path, data: bytes, code: FundingCode) -> None:
    d = await _draft()
    with pytest.raises(DomainError) as caught:
        await _add(d, data, "文件.pdf")
    assert caught.value.code is code
    assert caught.value.field == ["file"]
    await _nothing_written(d, data_dir)


async def test_at_most_ten_files_and_thirty_mb_an_application(data_dir: Path) -> None:
    d = await _draft()
    for n in range(attachments.MAX_ATTACHMENTS):
        await _add(d, jpeg_bytes((20 + n, 20)), f"照片{n}.jpg")
    with pytest.raises(DomainError) as caught:
        await _add(d, pdf_bytes(), "第十一个.pdf")
    assert caught.value.code is FundingCode.TOO_MANY_ATTACHMENTS
    await _nothing_written(d, data_dir, rows=attachments.MAX_ATTACHMENTS)
    # the total: nine small files and one that brings the sum to 29.5 MB leave no room for 1 MB
    last = await ApplicationAttachment.filter(application_id=d.application.id).order_by("-id").first()
    assert last is not None
    await ApplicationAttachment.filter(id=last.id).update(size_bytes=29 * files.MB + files.MB // 2)
    await attachments.remove_attachment(
        actor=d.owner,
        attachment_id=(await ApplicationAttachment.filter(application_id=d.application.id).first()).id,  # type: ignore[union-attr]
    )
    with pytest.raises(DomainError) as caught:
        await _add(d, pdf_bytes(pad=files.MB), "大文件.pdf")
    assert caught.value.code is FundingCode.ATTACHMENTS_TOO_LARGE
    assert await ApplicationAttachment.filter(application_id=d.application.id).count() == 9
    assert len(_stored(data_dir)) == 9


# --- who changes them, and when -----------------------------------------------------------------


async def test_only_a_draft_or_an_application_returned_for_information_changes_its_files(
    data_dir: Path,
) -> None:
    d = await _draft()
    kept = await _add(d, pdf_bytes())
    await applications.submit(actor=d.owner, application_id=d.application.id, today=TODAY)
    with pytest.raises(DomainError) as caught:
        await _add(d, pdf_bytes(), "补充.pdf")
    assert caught.value.code is FundingCode.ATTACHMENTS_LOCKED
    with pytest.raises(DomainError) as caught:
        await attachments.remove_attachment(actor=d.owner, attachment_id=kept.id)
    assert caught.value.code is FundingCode.ATTACHMENTS_LOCKED
    await _nothing_written(d, data_dir, rows=1)
    # returned for more information, the organiser adds and removes again
    await applications.staff_move(
        actor=CLERK,
        application_id=d.application.id,
        to=AppStatus.NEEDS_INFO,
        reason="请补充材料",
        today=TODAY,
    )
    added = await _add(d, png_bytes(), "补充.png")
    await attachments.remove_attachment(actor=d.owner, attachment_id=kept.id)
    assert [a.id for a in await ApplicationAttachment.filter(application_id=d.application.id)] == [added.id]
    assert _stored(data_dir) == [added.stored_name]
    assert await AuditEntry.filter(action="funding.attachment_remove").count() == 1


async def test_nobody_else_adds_or_removes(data_dir: Path) -> None:
    d = await _draft()
    kept = await _add(d, pdf_bytes())
    other = organiser(await registered_org(d.tree, "另一家服务社"), user_id=7002)
    for stranger in (other, RESIDENT, CLERK):
        with pytest.raises(PermissionDenied):
            await attachments.add_attachment(
                actor=stranger, application_id=d.application.id, data=pdf_bytes(), declared_name="x.pdf"
            )
        with pytest.raises(PermissionDenied):
            await attachments.remove_attachment(actor=stranger, attachment_id=kept.id)
    await _nothing_written(d, data_dir, rows=1)


# --- who reads them -----------------------------------------------------------------------------


@dataclass
class OnPanel:
    d: Draft
    files: list[ApplicationAttachment]
    assigned: Reviewer
    conflicted: Reviewer
    bystander: Reviewer
    entry: PanelEntry


async def _on_panel(*, blind: bool = False) -> OnPanel:
    d = await _draft(blind=blind)
    made = [
        await _add(d, pdf_bytes(), "机构简介（平湖某某服务中心）.pdf"),
        await _add(d, png_bytes(), "现场.png"),
    ]
    submitted = await applications.submit(actor=d.owner, application_id=d.application.id, today=TODAY)
    await to_review(d.round, [submitted])
    entry = await PanelEntry.get(panel_id=d.round.panel_id, subject_id=d.application.id)
    reviewers = [await make_reviewer(CLERK, name) for name in ("expert.a", "expert.b", "expert.c")]
    for r in reviewers:
        await review_service.add_member(
            actor=CLERK, panel_id=d.round.panel_id, user_id=r.id, source=MemberSource.POOL
        )
    assigned, conflicted, bystander = reviewers
    for r in (assigned, conflicted):
        await review_service.assign_reviewer(actor=CLERK, entry_id=entry.id, reviewer_id=r.id, today=TODAY)
    await review_service.declare_conflict(
        actor=CLERK, entry_id=entry.id, reason=ConflictReason.FAMILY, note="亲属", reviewer_id=conflicted.id
    )
    return OnPanel(d, made, assigned, conflicted, bystander, entry)


async def _name(actor: Actor, attachment: ApplicationAttachment) -> str | None:
    try:
        _path, shown = await attachments.file_for_reader(actor=actor, attachment_id=attachment.id)
    except NotFound:
        return None
    return shown.name


async def test_staff_the_organisers_and_an_assigned_reviewer_read_the_files_nobody_else() -> None:
    w = await _on_panel()
    pdf = w.files[0]
    other = organiser(await registered_org(w.d.tree, "另一家服务社"), user_id=7002)
    readers = {
        "organiser": w.d.owner,
        "staff": CLERK,
        "assigned reviewer": w.assigned.actor,
        "conflicted reviewer": w.conflicted.actor,
        "unassigned reviewer": w.bystander.actor,
        "another organisation": other,
        "resident": RESIDENT,
        "anonymous": ANONYMOUS,
    }
    names = {who: await _name(actor, pdf) for who, actor in readers.items()}
    real = "机构简介（平湖某某服务中心）.pdf"
    assert names == {
        "organiser": real,
        "staff": real,
        "assigned reviewer": real,
        "conflicted reviewer": None,
        "unassigned reviewer": None,
        "another organisation": None,
        "resident": None,
        "anonymous": None,
    }
    # a conflict found later keeps the reviewer out even while the assignment is still live
    conflict = await Conflict.create(
        panel_id=w.d.round.panel_id,
        entry_id=w.entry.id,
        reviewer_id=w.assigned.id,
        reason=ConflictReason.FORMER_EMPLOYMENT,
        source=ConflictSource.AUTOMATIC,
    )
    assert await Assignment.exists(entry_id=w.entry.id, reviewer_id=w.assigned.id, live=True)
    assert await _name(w.assigned.actor, pdf) is None
    await conflict.delete()
    # once the panel closes, the reviewer's access ends with it
    await review_service.advance_stage(actor=CLERK, panel_id=w.d.round.panel_id)
    assert await _name(w.assigned.actor, pdf) is None
    assert await _name(CLERK, pdf) == real


async def test_a_blind_panels_reviewer_sees_neutral_names_staff_the_real_ones() -> None:
    w = await _on_panel(blind=True)
    application = await Application.filter(id=w.d.application.id).select_related("round").get()
    shown = await attachments.visible_attachments(w.assigned.actor, application)
    assert [(s.name, s.kind) for s in shown] == [
        ("附件1.pdf", AttachmentKind.PDF),
        ("附件2.png", AttachmentKind.IMAGE),
    ]
    assert await _name(w.assigned.actor, w.files[1]) == "附件2.png"
    assert [s.name for s in await attachments.visible_attachments(CLERK, application)] == [
        "机构简介（平湖某某服务中心）.pdf",
        "现场.png",
    ]
    assert await attachments.visible_attachments(w.conflicted.actor, application) == []


async def test_the_list_is_one_statement_for_staff_and_two_for_a_reviewer(sql_log: SqlLog) -> None:
    w = await _on_panel()
    application = await Application.filter(id=w.d.application.id).select_related("round").get()
    for reader, statements in ((CLERK, 1), (w.d.owner, 1), (w.assigned.actor, 2), (ANONYMOUS, 0)):
        sql_log.reset()
        shown = await attachments.visible_attachments(reader, application)
        assert sql_log.count == statements
        assert len(shown) == (0 if reader is ANONYMOUS else 2)
    sql_log.reset()
    grouped = await attachments.attachments_of([application.id, application.id + 1])
    assert sql_log.count == 1
    assert [len(grouped[application.id]), len(grouped[application.id + 1])] == [2, 0]
