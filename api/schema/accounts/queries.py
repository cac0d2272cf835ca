from __future__ import annotations

import strawberry

from api.schema.accounts.types import Viewer, viewer_of
from api.schema.info import Info


@strawberry.type
class AccountQueries:
    @strawberry.field(description="当前调用者：本人、角色与范围；未登录时为 null")
    def viewer(self, info: Info) -> Viewer | None:
        return viewer_of(info)
