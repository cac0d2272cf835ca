"""Household figures that sum generated data are estimates, and say so: on the cell page, in a
children table, on the home page and in GraphQL (both read paths)."""

from __future__ import annotations

import httpx

from domain.grids.models import GridCell
from seeds import load_grid_seeds
from tests.factories import build_tree
from tests.web.html import parse

REPORT = {"x-linzhi-read-path": "report"}
RESOLVERS = {"x-linzhi-read-path": "resolvers"}


async def test_a_real_town_summing_generated_grids_shows_its_households_as_an_estimate(
    client: httpx.AsyncClient,
) -> None:
    # GIVEN a town whose figure sums generated data, and a community whose figure was entered
    tree = await build_tree(grids=1, micro_grids_per_grid=1)
    await GridCell.filter(id__in=[tree.city.id, tree.town.id]).update(households_estimated=True)

    # WHEN their pages are opened THEN only the estimate says so
    town = parse((await client.get(f"/grids/{tree.town.code}")).text)
    community = parse((await client.get(f"/grids/{tree.community.code}")).text)
    assert "演示估算" in town.find(class_="stat--primary").text
    assert "演示估算" not in community.find(class_="stat--primary").text
    home = parse((await client.get("/")).text)
    assert "（户数为演示估算）" in home.find(class_="hero__lead").text

    # AND GraphQL says it the same way on both read paths
    query = '{ gridCellByCode(code: "330482001") { households householdsEstimated } }'
    answers = [
        (await client.post("/graphql", json={"query": query}, headers=h)).json() for h in (REPORT, RESOLVERS)
    ]
    assert answers[0]["extensions"]["readPath"] == "compiled"
    assert answers[0]["data"] == answers[1]["data"]
    assert answers[0]["data"]["gridCellByCode"]["householdsEstimated"] is True


async def test_the_seeded_tree_marks_every_figure_an_estimate_real_divisions_included(db: None) -> None:
    await load_grid_seeds()
    real = await GridCell.filter(is_demo=False).values_list("households_estimated", flat=True)
    assert real
    assert set(real) == {True}
    assert await GridCell.filter(households_estimated=False).count() == 0
