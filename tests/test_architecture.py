"""The layout shows the architecture: dependencies point one way, modules declare __all__."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hub", "schema", "connectors", "consent", "audit")
# What each package may import from the project and from the web stack.
FORBIDDEN = {
    "connectors": {"hub", "schema", "consent", "audit", "strawberry", "starlette", "graphql"},
    "consent": {"hub", "schema", "connectors.registry", "strawberry", "starlette", "graphql"},
    "audit": {"hub", "schema", "consent", "connectors", "strawberry", "starlette", "graphql"},
    "schema": {"hub", "starlette", "uvicorn"},
}


def modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_point_one_way(package: str) -> None:
    for path in modules(package):
        for name in imported(path):
            for banned in FORBIDDEN[package]:
                assert name != banned and not name.startswith(banned + "."), \
                    f"{path.relative_to(ROOT)} imports {name}"


@pytest.mark.parametrize("package", PACKAGES)
def test_modules_open_with_a_docstring_and_declare_all(package: str) -> None:
    for path in modules(package):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{path.relative_to(ROOT)} has no module docstring"
        if path.name in ("__init__.py", "__main__.py"):
            continue
        exported = [n for n in tree.body if isinstance(n, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets)]
        assert exported, f"{path.relative_to(ROOT)} does not declare __all__"
        declared = set(ast.literal_eval(exported[0].value))
        defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef
                                                            | ast.AsyncFunctionDef)}
        defined |= {t.id for n in tree.body if isinstance(n, ast.Assign | ast.AnnAssign)
                    for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
                    if isinstance(t, ast.Name)}
        defined |= {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom)
                    for a in n.names}
        missing = declared - defined
        assert not missing, f"{path.relative_to(ROOT)}: __all__ names undefined {missing}"
