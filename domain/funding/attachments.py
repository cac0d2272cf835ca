"""Attachments of applications (申报附件): PDFs and images an organiser adds to their
organisation's application while they may still change it, and who may read them.

- Adding and removing: an ORGANISER acting for the application's organisation
  (`policy.require_applicant`), while the application is a draft or returned for more
  information (DRAFT, NEEDS_INFO: the states its content may change in). At most
  `MAX_ATTACHMENTS` files and `MAX_TOTAL_BYTES` in all per application; each file checked by its
  content (`domain.funding.files`). Audited like the application's other writes; a refusal
  writes nothing (no row, no file left in the folder).
- Reading (the list and the file): bureau staff and the organisation's organisers
  (`queries.sees_in_full`), and a reviewer holding a live assignment on the application's entry
  of its round's panel while the panel is open, not conflicted with it
  (`domain.review.queries.reviewing`); a blind panel's reviewer sees neutral names (附件1.pdf),
  never the uploader's. Nobody else, the public included: to them an attachment does not exist.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tortoise.transactions import in_transaction

from domain.access import Actor
from domain.activities import photos
from domain.audit import service as audit
from domain.errors import DomainError, NotFound
from domain.funding import files, policy, queries, timeline
from domain.funding.errors import FundingCode
from domain.funding.models import Application, ApplicationAttachment, AppStatus, AttachmentKind
from domain.organisations.policy import is_bureau
from domain.review import queries as review_queries

MAX_ATTACHMENTS = 10
MAX_TOTAL_BYTES = 30 * files.MB
EDITABLE = frozenset({AppStatus.DRAFT, AppStatus.NEEDS_INFO})


@dataclass(frozen=True)
class Shown:
    """An attachment as its reader may see it: `name` is neutral for a blind reviewer."""

    id: int
    application_id: int
    kind: AttachmentKind
    name: str
    size_bytes: int
    content_type: str
    created_at: datetime


# --- writes -------------------------------------------------------------------------------------


def _require_editable(application: Application) -> None:
    if application.status not in EDITABLE:
        message = f"{application.status.label}的申报不能增删附件（仅草稿或待补充材料时可以）"
        raise DomainError(FundingCode.ATTACHMENTS_LOCKED, message, ["status"])


async def _require_room(application_id: int, adding: int) -> None:
    """Refused when one more file of `adding` bytes passes the count or the total: one statement."""
    sizes = await ApplicationAttachment.filter(application_id=application_id).values_list(
        "size_bytes", flat=True
    )
    count, total = len(sizes), sum(int(str(size)) for size in sizes)
    if count >= MAX_ATTACHMENTS:
        message = f"每份申报最多 {MAX_ATTACHMENTS} 个附件，请先删除不需要的附件"
        raise DomainError(FundingCode.TOO_MANY_ATTACHMENTS, message, ["file"])
    if total + adding > MAX_TOTAL_BYTES:
        message = f"每份申报的附件合计不能超过 {MAX_TOTAL_BYTES // files.MB} MB，请先删除不需要的附件"
        raise DomainError(FundingCode.ATTACHMENTS_TOO_LARGE, message, ["file"])


async def _own_editable(actor: Actor, application_id: int) -> Application:
    application = await Application.get_or_none(id=application_id)
    if application is None:
        raise NotFound("项目申报不存在", ["applicationId"])
    policy.require_applicant(actor, application.organisation_id)
    _require_editable(application)
    return application


async def add_attachment(
    *, actor: Actor, application_id: int, data: bytes, declared_name: str
) -> ApplicationAttachment:
    """Attach a file (see the module). The kind comes from the content; `declared_name` gives the
    shown name only (cleaned, its extension the content's)."""
    await _own_editable(actor, application_id)
    await _require_room(application_id, len(data))  # before decoding anything
    checked = await photos.decodes.run(files.check, data)
    stored_name = await asyncio.to_thread(files.store, checked)
    try:
        async with in_transaction():
            application = await timeline.locked_application(application_id)
            policy.require_applicant(actor, application.organisation_id)
            _require_editable(application)
            await _require_room(application.id, len(checked.data))
            attachment = await ApplicationAttachment.create(
                application_id=application.id,
                kind=checked.kind,
                file_name=files.clean_name(declared_name, checked.extension),
                stored_name=stored_name,
                content_type=checked.content_type,
                size_bytes=len(checked.data),
                sha256=checked.sha256,
                uploaded_by_user_id=actor.user_id,
            )
            await audit.record(
                actor,
                "funding.attachment_add",
                "Application",
                application.id,
                attachment=attachment.id,
                name=attachment.file_name,
                kind=checked.kind.value,
                size=attachment.size_bytes,
                sha256=attachment.sha256,
            )
    except BaseException:
        await asyncio.to_thread(files.discard, stored_name)
        raise
    return attachment


async def remove_attachment(*, actor: Actor, attachment_id: int) -> Application:
    """Remove an attachment (same rule as adding one); the file goes once the row is gone.
    Returns the application."""
    policy.require_write(actor)
    async with in_transaction():
        attachment = await ApplicationAttachment.get_or_none(id=attachment_id)
        if attachment is None:
            raise NotFound("附件不存在", ["id"])
        application = await timeline.locked_application(attachment.application_id)
        policy.require_applicant(actor, application.organisation_id)
        _require_editable(application)
        await attachment.delete()
        await audit.record(
            actor,
            "funding.attachment_remove",
            "Application",
            application.id,
            attachment=attachment_id,
            name=attachment.file_name,
        )
    await asyncio.to_thread(files.discard, attachment.stored_name)
    return application


# --- reads --------------------------------------------------------------------------------------


async def blind_readers(actor: Actor, applications: Iterable[Application]) -> dict[int, bool]:
    """application id -> whether its attachments are shown with neutral names, for the
    applications whose attachments `actor` may read (see the module); the others are missing.
    Each application's `round` must be fetched. One statement for a reviewer, none for staff,
    the organisers and the anonymous."""
    rows = list(applications)
    access = {a.id: False for a in rows if queries.sees_in_full(actor, a.organisation_id)}
    others = [a for a in rows if a.id not in access]
    if others and actor.user_id is not None:
        pairs = {(a.round.panel_id, a.id) for a in others}
        found = await review_queries.reviewing(actor, pairs)
        access.update({subject: blind for (_panel, subject), blind in found.items()})
    return access


def shown(rows: list[ApplicationAttachment], blind: bool) -> list[Shown]:
    """One application's attachments (by id) as shown: neutral names, numbered, when `blind`."""
    return [
        Shown(
            id=a.id,
            application_id=a.application_id,
            kind=a.kind,
            name=files.neutral_name(n, files.extension_of(a.file_name)) if blind else a.file_name,
            size_bytes=a.size_bytes,
            content_type=a.content_type,
            created_at=a.created_at,
        )
        for n, a in enumerate(rows, start=1)
    ]


async def attachments_of(application_ids: Iterable[int]) -> dict[int, list[ApplicationAttachment]]:
    """Every attachment of these applications, by id (callers decide who reads them): one
    statement."""
    wanted = list(set(application_ids))
    grouped: dict[int, list[ApplicationAttachment]] = defaultdict(list)
    rows = await ApplicationAttachment.filter(application_id__in=wanted).order_by("application_id", "id")
    for row in rows:
        grouped[row.application_id].append(row)
    return {a: grouped[a] for a in wanted}


async def visible_attachments(actor: Actor, application: Application) -> list[Shown]:
    """The attachments of an application (its `round` fetched) `actor` may read, as shown to
    them; empty for anyone else. One statement, two for a reviewer."""
    blind = (await blind_readers(actor, [application])).get(application.id)
    if blind is None:
        return []
    return shown((await attachments_of([application.id]))[application.id], blind)


async def file_for_reader(*, actor: Actor, attachment_id: int) -> tuple[Path, Shown]:
    """The stored file and how it is shown, for whoever may read it; to anyone else the
    attachment does not exist (NotFound, never Forbidden). One statement for staff and the
    organisers, three for a blind panel's reviewer (the neutral name numbers the siblings)."""
    attachment = (
        await ApplicationAttachment.filter(id=attachment_id).select_related("application__round").first()
    )
    if attachment is None:
        raise NotFound("附件不存在", ["id"])
    blind = (await blind_readers(actor, [attachment.application])).get(attachment.application_id)
    if blind is None:
        raise NotFound("附件不存在", ["id"])
    if not blind:
        return files.path_of(attachment.stored_name), shown([attachment], False)[0]
    siblings = (await attachments_of([attachment.application_id]))[attachment.application_id]
    found = next((s for s in shown(siblings, True) if s.id == attachment.id), None)
    if found is None:  # removed meanwhile
        raise NotFound("附件不存在", ["id"])
    return files.path_of(attachment.stored_name), found


async def for_review_entry(actor: Actor, panel_id: int, application_id: int) -> list[Shown]:
    """The attachments of the application a funding round's review panel scores as its entry
    (`panel_id`, `application_id`), for the reviewer's score sheet: staff see them all, a reviewer
    as `blind_readers` says, anyone else nothing. Two statements (one for staff)."""
    if is_bureau(actor):
        blind: bool | None = False
    else:
        found = await review_queries.reviewing(actor, [(panel_id, application_id)])
        blind = found.get((panel_id, application_id))
    if blind is None:
        return []
    return shown((await attachments_of([application_id]))[application_id], blind)


# --- the GraphQL adapter's batches ----------------------------------------------------------------


def may_read_in_full(actor: Actor, organisation_id: int) -> bool:
    """Staff and the organisation's organisers read an application's attachments under their
    names, whatever its state (`queries.sees_in_full`)."""
    return queries.sees_in_full(actor, organisation_id)


async def reviewer_blind(actor: Actor, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bool]:
    """Of these (round's panel id, application id) pairs, those `actor` reads as a reviewer
    (`domain.review.queries.reviewing`), each with whether its names are neutral: one statement."""
    return await review_queries.reviewing(actor, pairs)


async def attachments_by_ids(ids: Iterable[int]) -> dict[int, ApplicationAttachment]:
    return {a.id: a for a in await ApplicationAttachment.filter(id__in=list(set(ids)))}
