"""Every move of an application, whoever makes it: the transition rule, the timeline row
(`ApplicationEvent`: who, when, from what, to what, why) and the audit record, in the caller's
transaction."""

from __future__ import annotations

from domain.access import Actor
from domain.audit import service as audit
from domain.errors import DomainError, ErrorCode, NotFound
from domain.funding.models import APP_TRANSITIONS, Application, ApplicationEvent, AppStatus


async def locked_application(application_id: int) -> Application:
    application = await Application.select_for_update().get_or_none(id=application_id)
    if application is None:
        raise NotFound("项目申报不存在", ["applicationId"])
    return application


def require_transition(application: Application, to: AppStatus) -> None:
    if to not in APP_TRANSITIONS[application.status]:
        message = f"{application.status.label}的申报不能变更为{to.label}"
        raise DomainError(ErrorCode.INVALID_TRANSITION, message, ["status"])


async def move(
    actor: Actor,
    application: Application,
    to: AppStatus,
    reason: str = "",
    extra_fields: tuple[str, ...] = (),
) -> ApplicationEvent:
    """Move a locked application to `to` (refused when the state machine has no such arrow)."""
    require_transition(application, to)
    before = application.status
    application.status = to
    await application.save(update_fields=["status", "updated_at", *extra_fields])
    event = await ApplicationEvent.create(
        application_id=application.id,
        from_status=before,
        to_status=to,
        actor_user_id=actor.user_id,
        actor_label=actor.display_name,
        reason=reason,
    )
    summary = {"to": to.label, "reason": reason} if reason else {"to": to.label}
    await audit.record(actor, "funding.application_move", "Application", application.id, **summary)
    return event


async def record_draft(actor: Actor, application: Application) -> ApplicationEvent:
    """The timeline's first row: the draft was created."""
    event = await ApplicationEvent.create(
        application_id=application.id,
        from_status=None,
        to_status=application.status,
        actor_user_id=actor.user_id,
        actor_label=actor.display_name,
    )
    await audit.record(actor, "funding.application_save", "Application", application.id)
    return event
