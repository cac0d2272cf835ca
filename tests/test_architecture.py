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


# --- Arrows point inward (docs/architecture.md) -------------------------------------------------

SCHEMA = ROOT / "api" / "schema"
# A domain's folder may reach into another domain's folder only here: `types` (the GraphQL types
# it returns and their contribution Slots) and `compile` (the TypeMaps it extends).
CONTRIBUTION_POINTS = {"types", "compile"}
# The registry imports every domain; the request context names the loader groups for the type
# checker only (under TYPE_CHECKING).
MAY_IMPORT_DOMAINS = {"api/schema/domains.py"}
# Domain packages every other one builds on; they import none of the others.
FOUNDATION = {"people", "audit", "grids"}


def _imports(path: Path, *, with_type_checking: bool = True) -> set[str]:
    """Every module `path` imports: at top level, inside functions, and under `if TYPE_CHECKING:`
    (unless `with_type_checking` is False); `from a import b` also counts as importing `a.b`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    if not with_type_checking:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
                skipped |= {id(child) for statement in node.body for child in ast.walk(statement)}
    modules: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return modules


def _packages(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if (p / "__init__.py").is_file())


def _graph(folder: Path, prefix: str) -> dict[str, set[str]]:
    """Package -> the sibling packages its modules import (`prefix` is the folder's module name)."""
    packages = _packages(folder)
    graph: dict[str, set[str]] = {name: set() for name in packages}
    for name in packages:
        for path in (folder / name).rglob("*.py"):
            for module in _imports(path):
                parts = module.removeprefix(prefix + ".").split(".")
                if module.startswith(prefix + ".") and parts[0] in packages and parts[0] != name:
                    graph[name].add(parts[0])
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of the graph (its packages, the first repeated at the end), or []."""
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> list[str]:
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return [*trail[trail.index(target) :], target] if target in trail else [node, target]
            if target not in state and (found := visit(target, [*trail, target])):
                return found
        state[node] = "done"
        return []

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []


def test_web_imports_nothing_from_the_api() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in _imports(path) if m == "api" or m.startswith("api."))
        for path in (ROOT / "web").rglob("*.py")
    }
    assert {path: modules for path, modules in offenders.items() if modules} == {}


def test_api_domain_folders_form_no_import_cycle() -> None:
    graph = _graph(SCHEMA, "api.schema")
    assert {"grids", "leaders", "activities"} <= graph.keys()
    assert _cycle(graph) == []


def _reached(module: str, domains: list[str]) -> tuple[str, str] | None:
    """(domain, its module or "") when `module` is in a domain folder of api/schema."""
    parts = module.split(".")
    if parts[:2] == ["api", "schema"] and len(parts) > 2 and parts[2] in domains:
        return parts[2], parts[3] if len(parts) > 3 else ""
    return None


def test_a_domain_folder_reaches_another_only_at_its_contribution_points() -> None:
    domains = _packages(SCHEMA)
    offenders: dict[str, set[str]] = {}
    for name in domains:
        for path in (SCHEMA / name).rglob("*.py"):
            for module in _imports(path):
                reached = _reached(module, domains)
                if reached and reached[0] != name and reached[1] not in CONTRIBUTION_POINTS:
                    offenders.setdefault(str(path.relative_to(ROOT)), set()).add(module)
    assert offenders == {}


def test_shared_api_modules_import_no_domain_folder_except_the_registry() -> None:
    domains = _packages(SCHEMA)
    offenders: dict[str, list[str]] = {}
    for path in (ROOT / "api").rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[:2] == ("api", "schema") and relative.parts[2] in domains:
            continue  # a domain's own folder
        reached = sorted(m for m in _imports(path, with_type_checking=False) if _reached(m, domains))
        if reached and relative.as_posix() not in MAY_IMPORT_DOMAINS:
            offenders[relative.as_posix()] = reached
    assert offenders == {}


def test_domain_packages_form_no_import_cycle() -> None:
    graph = _graph(ROOT / "domain", "domain")
    assert _cycle(graph) == []


def test_foundation_domain_packages_import_no_feature_package() -> None:
    # e.g. grids -> accounts would be a back-arrow: accounts scope grants to grid cells, not the
    # other way round (domain.access holds what both need).
    graph = _graph(ROOT / "domain", "domain")
    assert graph.keys() >= FOUNDATION
    assert {name: sorted(graph[name] - FOUNDATION) for name in FOUNDATION if graph[name] - FOUNDATION} == {}
    assert "grids" in graph["accounts"]  # the allowed direction, which the rule does not forbid
