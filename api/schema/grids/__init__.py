"""The grid tree: GridCell (other domains add fields at `types.GRID_CELL_FIELDS`)."""

from api.schema.domain import Domain
from api.schema.grids.loaders import GridLoaders
from api.schema.grids.mutations import GridMutations
from api.schema.grids.queries import GridQueries, load_grid_cell

DOMAIN = Domain(
    name="grids",
    queries=GridQueries,
    mutations=GridMutations,
    loaders=GridLoaders,
    nodes={"GridCell": load_grid_cell},
    compiled=("api.schema.grids.compile", "api.schema.grids.compile_kinds"),
    compiled_nodes=frozenset({"GridCell"}),
)
