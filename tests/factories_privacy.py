"""Verified records of every kind of publicity and placement, for the privacy tests (domain,
compiler, GraphQL and pages): who sees which record, which of its details, and at which cell."""

from __future__ import annotations

from dataclasses import dataclass

from domain.activities.models import Activity, ActivityPhoto, ActivityType, MediationOutcome, ProblemCategory
from tests.factories_activities import Cast, build_cast, hours_ago, submitted_activity, verified_activity

MEDIATION_NARRATIVE = "吴家两兄弟因母亲赡养费分摊争执，经调解达成每月各出八百元的协议。"


@dataclass
class PrivacyWorld:
    """On the activity cast (`build_cast`): `mediation` at micro-grid 0, verified by default (not
    public); `culture` at micro-grid 1, public by default, details not; `environment` at
    micro-grid 0, public with its details; `deliberation` at grid 0, public, details not; `visit`
    at grid 1 by the other leader, not public; `submitted` at micro-grid 1, awaiting review. The
    mediation, the culture record and the environment record each have a photo row."""

    cast: Cast
    mediation: Activity
    culture: Activity
    environment: Activity
    deliberation: Activity
    visit: Activity
    submitted: Activity
    photos: dict[str, ActivityPhoto]

    @property
    def verified(self) -> list[Activity]:
        return [self.mediation, self.culture, self.environment, self.deliberation, self.visit]

    @property
    def records(self) -> list[Activity]:
        return [*self.verified, self.submitted]


async def _photo(activity: Activity) -> ActivityPhoto:
    return await ActivityPhoto.create(
        activity=activity,
        file_name=f"{activity.id:032x}.jpg",
        content_type="image/jpeg",
        size_bytes=1,
        width=4,
        height=3,
    )


async def build_privacy_world() -> PrivacyWorld:
    cast = await build_cast()
    micro, grids = cast.tree.micro_grids, cast.tree.grids
    mediation = await verified_activity(
        cast.leader,
        cast.staff,
        micro[0],
        activity_type=ActivityType.MEDIATION,
        title="调解吴家宅家庭赡养纠纷",
        narrative=MEDIATION_NARRATIVE,
        place="吴家宅12号",
        mediation_outcome=MediationOutcome.RESOLVED,
        follow_up="一个月后回访",
        problems={ProblemCategory.DISPUTE: 1},
        started_at=hours_ago(10),
        ended_at=hours_ago(9),
    )
    culture = await verified_activity(
        cast.leader,
        cast.staff,
        micro[1],
        activity_type=ActivityType.CULTURE_SPORTS,
        title="重阳节邻里联欢",
        narrative="三十多位老人参加。",
        place="南河头社区活动室",
        problems={ProblemCategory.FACILITIES: 1},
        started_at=hours_ago(8),
        ended_at=hours_ago(7),
    )
    environment = await verified_activity(
        cast.leader,
        cast.staff,
        micro[0],
        activity_type=ActivityType.ENVIRONMENT,
        title="清理楼道堆物",
        narrative="清出杂物两车。",
        place="3幢楼道",
        problems={ProblemCategory.FIRE: 2},
        started_at=hours_ago(6),
        ended_at=hours_ago(5),
        details_public=True,
    )
    deliberation = await verified_activity(
        cast.leader,
        cast.staff,
        grids[0],
        activity_type=ActivityType.DELIBERATION,
        title="商议加装电梯",
        narrative="多数住户同意。",
        place="网格议事点",
        started_at=hours_ago(4),
        ended_at=hours_ago(3),
    )
    visit = await verified_activity(
        cast.other_leader,
        cast.far_staff,
        grids[1],
        title="走访残疾人家庭",
        narrative="了解康复需求。",
        started_at=hours_ago(3),
        ended_at=hours_ago(2),
    )
    submitted = await submitted_activity(
        cast.leader,
        micro[1],
        activity_type=ActivityType.CULTURE_SPORTS,
        title="待审核的联欢",
        started_at=hours_ago(2),
        ended_at=hours_ago(1),
    )
    photos = {
        "mediation": await _photo(mediation),
        "culture": await _photo(culture),
        "environment": await _photo(environment),
    }
    return PrivacyWorld(cast, mediation, culture, environment, deliberation, visit, submitted, photos)
