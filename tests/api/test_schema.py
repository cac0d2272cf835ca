"""The committed SDL is what the code builds; a schema change is visible in review."""

from __future__ import annotations

from api.cli import SCHEMA_FILE, export_schema


def test_committed_schema_matches_the_code() -> None:
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    assert committed == export_schema(), "api/schema.graphql is stale: run `make schema` and commit it"
