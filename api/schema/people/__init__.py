"""People: the masked Person type, read by `node(id:)` and by other domains' fields."""

from api.schema.domain import Domain
from api.schema.people.types import PersonType, load_person

DOMAIN = Domain(
    name="people",
    nodes={"Person": load_person},
    types=(PersonType,),
    compiled=("api.schema.people.compile",),
)
