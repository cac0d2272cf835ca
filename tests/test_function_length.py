"""Every function in the application layers fits on a screen: at most 60 lines from its `def` to
its last line (decorators and nested functions count towards the function that holds them)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("api", "domain", "web")
MAX_LINES = 60


def long_functions(source: str, max_lines: int = MAX_LINES) -> list[tuple[str, int]]:
    """(qualified name, lines) of every function or method in `source` longer than `max_lines`."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    lines = (child.end_lineno or child.lineno) - child.lineno + 1
                    if lines > max_lines:
                        found.append((name, lines))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return found


def test_no_function_in_api_domain_or_web_is_longer_than_60_lines() -> None:
    offenders = {
        f"{path.relative_to(ROOT)}:{name}": lines
        for layer in LAYERS
        for path in sorted((ROOT / layer).rglob("*.py"))
        for name, lines in long_functions(path.read_text(encoding="utf-8"))
    }
    assert offenders == {}


def _body(lines: int, indent: int) -> str:
    return "".join(" " * indent + f"x{i} = {i}\n" for i in range(lines))


def test_the_measure_counts_from_def_to_the_last_line_and_sees_methods_and_nested_functions() -> None:
    source = (
        "def fits():\n"
        + _body(59, 4)  # def + 59 lines = 60: allowed
        + "def too_long():\n"
        + _body(60, 4)  # 61
        + "class C:\n    def method(self):\n"
        + _body(60, 8)  # 61
        + "def outer():\n    def inner():\n"
        + _body(60, 8)
        + "    return inner\n"  # 63, inner 61
    )
    assert dict(long_functions(source)) == {"too_long": 61, "C.method": 61, "outer": 63, "outer.inner": 61}
