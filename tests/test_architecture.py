"""The layout shows the architecture, and these tests keep it so.

Dependencies point one way (`hub → schema → {consent, connectors, audit, reports, signing}`,
`consent → matters → connectors`); the
simulated departments are imported only by the commands that start them; only the gateway
fetches from connectors and builds dataloaders, and everyone else talks to it through its public
methods; the offline audit verifier needs neither the writer nor SQLAlchemy; every module opens
with a docstring and exports exactly its public names.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hub", "schema", "connectors", "consent", "audit", "signing", "reports", "sandbox",
            "matters", "licence", "objection", "application", "workdays", "jobs")
RECORDS = {"licence", "objection", "application"}  # the hub's own kinds of record
WEB = {"strawberry", "starlette", "graphql", "uvicorn"}
# What each package may not import, from the project and from the web stack.
FORBIDDEN = {
    "signing": {"hub", "schema", "connectors", "consent", "audit", "sandbox", "sqlalchemy"}
    | RECORDS | WEB,
    "connectors": {"hub", "schema", "consent", "audit", "signing", "sandbox"} | RECORDS | WEB,
    "consent": {"hub", "schema", "audit", "sandbox", "connectors.registry", "connectors.rest",
                "connectors.sql"} | RECORDS | WEB,
    "audit": {"hub", "schema", "consent", "connectors", "sandbox"} | RECORDS | WEB,
    "reports": {"hub", "schema", "consent", "connectors", "audit", "sandbox", "matters"}
    | RECORDS | WEB,
    "schema": {"hub", "sandbox", "starlette", "uvicorn", "connectors.registry",
               "connectors.rest", "connectors.sql"},
    "sandbox": {"hub", "schema", "consent", "audit", "matters", "objection", "application",
                "reports"} | WEB,
    "matters": {"hub", "schema", "consent", "audit", "signing", "sandbox", "connectors.registry",
                "connectors.rest", "connectors.sql", "objection", "application", "reports"} | WEB,
    # Licences are verified with signing alone; objections and applications are stored
    # records that reach departments only through their connector (connectors.objections).
    "licence": {"hub", "schema", "connectors", "consent", "audit", "sandbox", "objection",
                "application", "matters", "sqlalchemy", "reports"} | WEB,
    "objection": {"hub", "schema", "audit", "sandbox", "application", "licence",
                  "connectors.registry", "connectors.rest", "connectors.sql", "reports"} | WEB,
    "application": {"hub", "schema", "connectors", "consent", "audit", "sandbox", "objection",
                    "licence", "reports"} | WEB,
    # The working-day calendar serves objections and the console alike: it imports nothing.
    "workdays": {"hub", "schema", "connectors", "consent", "audit", "signing", "sandbox",
                 "matters", "reports", "sqlalchemy"} | RECORDS | WEB,
    # Batch jobs: a store, list reading and the manifest; run by the gateway and the hub's
    # worker, never the other way round.
    "jobs": {"hub", "schema", "consent", "sandbox", "matters", "connectors.registry",
             "connectors.rest", "connectors.sql", "reports"} | RECORDS | WEB,
}
# Nothing below the gateway knows about jobs.
for _package in set(FORBIDDEN) - {"schema", "jobs"}:
    FORBIDDEN[_package] = FORBIDDEN[_package] | {"jobs"}
GATEWAY = ROOT / "schema" / "gateway"  # the package; one module per kind of data
LOADER = GATEWAY / "base.py"  # the only module that loads from sources


def modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def where(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_point_one_way(package: str) -> None:
    for path in modules(package):
        for name in imported(path):
            for banned in FORBIDDEN[package]:
                assert not under(name, banned), f"{where(path)} imports {name}"


def test_the_sandbox_is_started_only_by_commands() -> None:
    for package in PACKAGES:
        for path in modules(package):
            if package == "sandbox" or path.parent == ROOT / "hub" / "commands":
                continue
            assert not any(under(n, "sandbox") for n in imported(path)), \
                f"{where(path)} imports the sandbox"


def test_only_the_gateway_fetches_and_builds_dataloaders() -> None:
    for package in PACKAGES:
        for path in modules(package):
            if path == LOADER or package in ("connectors", "sandbox"):
                continue
            assert not any(under(n, "aiodataloader") for n in imported(path)), \
                f"{where(path)} builds dataloaders"
            for node in ast.walk(tree(path)):
                if isinstance(node, ast.Attribute) and node.attr == "fetch":
                    pytest.fail(f"{where(path)}:{node.lineno} calls a connector's fetch")


def _gateway_methods() -> set[str]:
    """The public methods of `Gateway`: those of every class in the gateway package."""
    classes = [n for path in sorted(GATEWAY.glob("*.py")) for n in tree(path).body
               if isinstance(n, ast.ClassDef)]
    return {f.name for cls in classes for f in cls.body
            if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef) and not f.name.startswith("_")}


def _is_gateway(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "gateway") or (
        isinstance(node, ast.Attribute) and node.attr == "gateway")


@pytest.mark.parametrize("package", ["schema", "hub"])
def test_the_gateway_is_used_only_through_its_methods(package: str) -> None:
    """No module assigns to the gateway's attributes or reads its state: it calls methods."""
    methods = _gateway_methods()
    for path in modules(package):
        if path.parent == GATEWAY:
            continue
        module = tree(path)
        called = {id(n.func) for n in ast.walk(module) if isinstance(n, ast.Call)}
        for node in ast.walk(module):
            if isinstance(node, ast.Attribute) and _is_gateway(node.value):
                assert node.attr in methods and id(node) in called, \
                    f"{where(path)}:{node.lineno} uses gateway.{node.attr} (not a method call)"


def _closure(module: str) -> set[str]:
    """The project modules `module` imports, transitively, and the third-party roots."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = ROOT / (name.replace(".", "/") + ".py")
        if not path.exists():
            continue
        todo += [n for n in imported(path)]
    return seen


def test_the_offline_verifier_needs_neither_the_writer_nor_sqlalchemy() -> None:
    reach = _closure("audit.verify")
    assert "audit.writer" not in reach and "audit.log" not in reach
    assert not any(under(n, "sqlalchemy") for n in reach), sorted(reach)


@pytest.mark.parametrize("package", PACKAGES)
def test_modules_open_with_a_docstring_and_export_their_public_names(package: str) -> None:
    for path in modules(package):
        module = tree(path)
        assert ast.get_docstring(module), f"{where(path)} has no module docstring"
        if path.name in ("__init__.py", "__main__.py"):
            continue
        exported = [n for n in module.body if isinstance(n, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets)]
        assert exported, f"{where(path)} does not declare __all__"
        declared = set(ast.literal_eval(exported[0].value))
        definitions = {n.name for n in module.body
                       if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)}
        assigned = {t.id for n in module.body if isinstance(n, ast.Assign | ast.AnnAssign)
                    for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
                    if isinstance(t, ast.Name)}
        type_vars = {t.id for n in module.body if isinstance(n, ast.Assign)
                     and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Name)
                     and n.value.func.id == "TypeVar" for t in n.targets
                     if isinstance(t, ast.Name)}
        imports = {a.asname or a.name for n in module.body if isinstance(n, ast.ImportFrom)
                   for a in n.names}
        missing = declared - definitions - assigned - imports
        assert not missing, f"{where(path)}: __all__ names undefined {missing}"
        public = {n for n in definitions if not n.startswith("_")}
        public |= {n for n in assigned - type_vars if n.isupper() and not n.startswith("_")}
        unexported = public - declared
        assert not unexported, f"{where(path)}: public names not in __all__ {unexported}"
