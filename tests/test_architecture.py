"""Rules about the code base itself."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADAPTER_LIBRARIES = {"strawberry", "starlette", "jinja2", "uvicorn", "graphql", "httpx"}


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_imports_no_adapter_library_and_no_adapter_layer() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_roots(path) & (ADAPTER_LIBRARIES | {"api", "web"}))
        for path in (ROOT / "domain").rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_adapters_do_not_touch_the_orm() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for layer in ("api", "web")
        for path in (ROOT / layer).rglob("*.py")
        if "tortoise" in _imported_roots(path) and path.name not in {"app.py", "cli.py"}
    ]
    assert offenders == []
