"""docs/permissions.md shows the matrix the code enforces."""

from __future__ import annotations

from pathlib import Path

from domain.permissions import render_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "permissions.md"


def test_the_documented_matrix_is_the_one_in_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = text.split("<!-- matrix:start -->\n", 1)[1].split("<!-- matrix:end -->", 1)[0]
    stale = "docs/permissions.md is stale: re-render it from domain/permissions.py"
    assert documented == render_markdown(), stale
