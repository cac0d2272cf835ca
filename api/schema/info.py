"""The resolver `info` type every domain's resolvers take: strawberry's Info over Linzhi's request
context."""

from __future__ import annotations

import strawberry

from api.context import Context

Info = strawberry.Info[Context, None]
