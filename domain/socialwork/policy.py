"""Who sees what of a social worker beyond the register's public facts (level, year, employer).

A certificate number (证书编号) identifies a person: staff (grid staff, the bureau, ADMIN) and
the worker themself see it; anyone else (the public, an organiser, a supervisor looking for
supervisees) does not, on pages and over GraphQL alike. Whoever cannot see others' numbers
cannot find workers by them either: the supervisee search matches a number's beginning only for
staff, else it would tell a supervisor, one prefix at a time, what the page hides.
"""

from __future__ import annotations

from domain.access import Actor
from domain.socialwork.models import SocialWorker


def sees_certificates(actor: Actor) -> bool:
    """Every worker's certificate number (staff)."""
    return actor.is_staff


def can_see_certificate(actor: Actor, worker: SocialWorker) -> bool:
    """This worker's certificate number: staff, and the worker themself."""
    return sees_certificates(actor) or (actor.person_id is not None and actor.person_id == worker.person_id)


def certificate_number(actor: Actor, worker: SocialWorker) -> str | None:
    """The number as `actor` may read it: None when hidden."""
    return worker.certificate_number if can_see_certificate(actor, worker) else None
