"""Who may change the organisation registry.

- Bureau staff (and the command line) register organisations, file them, upgrade, deregister,
  record sanctions, ratings and annual-report decisions, and manage members.
- Grid staff whose scope covers the filing town or community file community organisations there
  and keep those filings (members, contact, summary) up to date; registration, sanctions and
  ratings stay with the bureau.
- An ORGANISER grant scoped to an organisation acts for that organisation only: its members and
  contact, its summary and its annual reports. Acting for another organisation is refused.
- ADMIN runs accounts, not casework (separation of duties).
Reading the directory is public; personal data of members and contacts is masked as everywhere
(`domain.people.policy`). Every mutating use case needs the token scope `write:organisations`.
"""

from __future__ import annotations

from domain.access import Actor, Role, require_scope, require_signed_in
from domain.errors import PermissionDenied
from domain.organisations.models import Organisation, OrgStatus

WRITE_SCOPE = "write:organisations"


def is_bureau(actor: Actor) -> bool:
    return actor.system or actor.has_role(Role.BUREAU_STAFF)


def acts_for(actor: Actor, organisation_id: int) -> bool:
    """An ORGANISER grant scoped to exactly this organisation."""
    return any(g.role is Role.ORGANISER and g.organisation_id == organisation_id for g in actor.grants)


def can_file_at(actor: Actor, cell_path: str) -> bool:
    return is_bureau(actor) or actor.has_role_over(cell_path, Role.GRID_STAFF)


def can_maintain(actor: Actor, organisation: Organisation, filing_path: str | None) -> bool:
    """Members, contact, summary and annual reports: the bureau, the organisation's organisers, and
    grid staff over the filing of a filed organisation."""
    if is_bureau(actor) or acts_for(actor, organisation.id):
        return True
    return (
        organisation.status is OrgStatus.FILED
        and filing_path is not None
        and actor.has_role_over(filing_path, Role.GRID_STAFF)
    )


def require_write(actor: Actor) -> None:
    require_signed_in(actor)
    require_scope(actor, WRITE_SCOPE)


def require_bureau(actor: Actor) -> None:
    require_write(actor)
    if not is_bureau(actor):
        raise PermissionDenied("只有民政局工作人员可以办理社会组织登记、注销、评估与名录事项")


def require_file_at(actor: Actor, cell_path: str) -> None:
    require_write(actor)
    if not can_file_at(actor, cell_path):
        raise PermissionDenied("只能在本人负责的镇（街道）或社区备案社区社会组织")


def require_maintain(actor: Actor, organisation: Organisation, filing_path: str | None) -> None:
    require_write(actor)
    if not can_maintain(actor, organisation, filing_path):
        raise PermissionDenied("只能维护本人所在或负责备案的社会组织")
