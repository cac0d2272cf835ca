from __future__ import annotations

from enum import Enum

import strawberry

from api.schema.grids.types import GridCellType
from api.schema.info import Info
from api.schema.limits import max_items
from api.schema.organisations.types import OrganisationType
from api.schema.people.types import PersonType
from api.schema.relay import USER_ERRORS, UserError
from domain.access import ALL_SCOPES, Grant, Role

MAX_ROLE_GRANTS = 50  # `Viewer.roles`: an account's grants, cut at this (a few in practice)

RoleEnum = strawberry.enum(Role, name="Role", description="角色")


@strawberry.type(description="一项角色授权及其范围")
class RoleGrant:
    role: RoleEnum  # type: ignore[valid-type]
    label: str
    organisation_id: int | None = strawberry.field(
        deprecation_reason="改用 organisation：角色限定的社会组织（此前的整数不指向任何组织，已撤销）"
    )
    cell_id: strawberry.Private[int | None]

    @classmethod
    def from_grant(cls, grant: Grant) -> RoleGrant:
        return cls(
            role=grant.role,
            label=grant.role.label,
            organisation_id=grant.organisation_id,
            cell_id=grant.cell_id,
        )

    @strawberry.field(description="角色限定的网格范围（为空表示不限）")
    async def cell(self, info: Info) -> GridCellType | None:
        if self.cell_id is None:
            return None
        cell = await info.context.loaders.grids.cell_by_id.load(self.cell_id)
        return GridCellType.from_model(cell) if cell else None

    @strawberry.field(description="角色限定的社会组织（组织者代表该组织办理事务）")
    async def organisation(self, info: Info) -> OrganisationType | None:
        if self.organisation_id is None:
            return None
        found = await info.context.loaders.organisations.organisation_by_id.load(self.organisation_id)
        return OrganisationType.from_model(found) if found else None


@strawberry.enum(description="本次请求的认证方式")
class AuthenticatedBy(Enum):
    SESSION = "SESSION"
    TOKEN = "TOKEN"


@strawberry.type(description="当前调用者")
class Viewer:
    username: str
    authenticated_by: AuthenticatedBy
    roles: list[RoleGrant] = strawberry.field(metadata=max_items(MAX_ROLE_GRANTS))
    scopes: list[str] = strawberry.field(
        description="本次请求可用的权限范围（会话拥有全部范围）", metadata=max_items(len(ALL_SCOPES))
    )
    person_id: strawberry.Private[int | None]

    @strawberry.field(description="本人（本人信息不脱敏）")
    async def person(self, info: Info) -> PersonType | None:
        if self.person_id is None:
            return None
        person = await info.context.loaders.grids.person_by_id.load(self.person_id)
        return PersonType.for_actor(info.context.actor, person) if person else None


def viewer_of(info: Info) -> Viewer | None:
    actor = info.context.actor
    if actor.user_id is None:
        return None
    return Viewer(
        username=actor.display_name or "",
        authenticated_by=AuthenticatedBy.TOKEN if actor.token_id else AuthenticatedBy.SESSION,
        roles=[RoleGrant.from_grant(g) for g in actor.grants[:MAX_ROLE_GRANTS]],
        scopes=sorted(set(actor.token_scopes) & set(ALL_SCOPES))
        if actor.token_scopes is not None
        else list(ALL_SCOPES),
        person_id=actor.person_id,
    )


@strawberry.enum(description="账号与个人信息相关错误码")
class AccountErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID = "INVALID"


@strawberry.type
class AccountUserError(UserError):
    code: AccountErrorCode


@strawberry.input(description="查看某人的完整个人信息（须授权，写入审计日志）")
class PersonUnmaskInput:
    id: strawberry.ID
    reason: str = strawberry.field(description="查看原因，记入审计日志")


@strawberry.type
class PersonUnmaskPayload:
    person: PersonType | None
    user_errors: list[AccountUserError] = strawberry.field(metadata=USER_ERRORS)
