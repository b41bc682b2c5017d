"""The package map of docs/architecture.md, checked over the real tree: imports go one way,
services → shared → proto, services never import each other (the CLI, the outer edge, may),
nothing in the product imports the tests or the benchmarks, and shared/ has no broker code."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PRODUCT = ("proto", "shared", "services")
# A recursive evaluator split over three modules for size; they belong together by design.
ALLOWED_CYCLES = [
    [
        "shared.generation.template.evaluation.evaluate",
        "shared.generation.template.evaluation.evaluate_dml",
        "shared.generation.template.evaluation.evaluate_expr",
    ]
]
BROKER_LIBRARIES = ("faststream", "nats")
# Packages under services/ that every service may use; the CLI may import any service.
SERVICE_COMMONS = {"common"}
OUTER_EDGE = {"cli"}


def imported_modules(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every absolute module an import statement names (relative imports stay in a package)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def service_of(parts: tuple[str, ...]) -> str | None:
    """`services/validator/main.py` → `validator`; a module directly in services/ → None."""
    return parts[1] if len(parts) > 2 else None


def find_violation(source: tuple[str, ...], target: str) -> str | None:
    """Why `source` (a path's parts) may not import `target`, or None when it may."""
    top, *rest = target.split(".")
    layer = source[0]
    if top in ("tests", "bench"):
        return f"the product imports {top}/"
    if layer == "proto" and top in ("shared", "services"):
        return "proto imports upwards"
    if layer == "shared" and top == "services":
        return "shared imports upwards"
    if layer == "shared" and top in BROKER_LIBRARIES:
        return "shared imports broker code"
    if layer == "services" and top == "services" and rest:
        mine, theirs = service_of(source), rest[0]
        if mine not in OUTER_EDGE and theirs != mine and theirs not in SERVICE_COMMONS:
            return f"service {mine} imports service {theirs}"
    return None


def collect_violations(root: Path) -> list[str]:
    found = []
    for layer in PRODUCT:
        for path in sorted((root / layer).rglob("*.py")):
            parts = path.relative_to(root).parts
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for line, module in imported_modules(tree):
                reason = find_violation(parts, module)
                if reason:
                    found.append(f"{'/'.join(parts)}:{line} imports {module}: {reason}")
    return found


def test_the_tree_follows_the_package_map() -> None:
    assert collect_violations(REPO) == []


def module_imports(root: Path, folders: tuple[str, ...]) -> dict[str, set[str]]:
    """Module → the modules of the same tree it imports, at any level (lazy and
    TYPE_CHECKING imports count: they are how a cycle hides)."""
    paths = {}
    for folder in folders:
        for path in (root / folder).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            paths[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        named = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                named |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        named |= {target for _, target in imported_modules(tree)}
        graph[module] = {name for name in named if name in paths and name != module}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(cycles)


def test_no_import_cycles_in_the_library_or_the_fakes() -> None:
    graph = module_imports(REPO, ("proto", "shared", "services", "tests/fakes"))
    assert find_cycles(graph) == ALLOWED_CYCLES


def test_a_cycle_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"]]


@pytest.mark.parametrize(
    ("source", "target", "reason"),
    [
        (("shared", "sql", "x.py"), "services.cli.main", "shared imports upwards"),
        (("proto", "x.py"), "shared.errors", "proto imports upwards"),
        (("shared", "x.py"), "nats.aio.client", "shared imports broker code"),
        (("services", "dedup", "x.py"), "services.sink.w", "service dedup imports service sink"),
        (("shared", "llm", "x.py"), "tests.fakes.llm", "the product imports tests/"),
        (("services", "validator", "main.py"), "services.common.app", None),
        (("services", "cli", "run.py"), "services.runner.run", None),
        (("services", "sink", "main.py"), "shared.pipeline.sink", None),
    ],
)
def test_each_rule_catches_its_import(
    source: tuple[str, ...], target: str, reason: str | None
) -> None:
    assert find_violation(source, target) == reason


def test_a_planted_upward_import_is_found(tmp_path: Path) -> None:
    for layer in PRODUCT:
        (tmp_path / layer).mkdir()
    (tmp_path / "proto" / "ok.py").write_text("import pydantic\n")
    (tmp_path / "shared" / "bad.py").write_text("from services.cli import main\n")
    assert collect_violations(tmp_path) == [
        "shared/bad.py:1 imports services.cli: shared imports upwards"
    ]


# The template engine's subpackages, lowest first: each imports only those before it (and
# itself); the engine (`template/engine.py`, at the package root) may import any of them.
TEMPLATE = "shared.generation.template"
TEMPLATE_LAYERS = ("sql", "schema", "instance", "seed", "evaluation", "words", "query")


def template_layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """Imports between template subpackages that point sideways or up `TEMPLATE_LAYERS`, and
    subpackages the list does not name."""

    def place(module: str) -> tuple[str, ...]:
        """`…template.query.core` → ("query", "core"); outside the template → ()."""
        prefix = f"{TEMPLATE}."
        return tuple(module.removeprefix(prefix).split(".")) if module.startswith(prefix) else ()

    found = []
    for module, targets in sorted(graph.items()):
        mine = place(module)
        if not mine or (len(mine) == 1 and mine[0] not in TEMPLATE_LAYERS):
            continue  # outside the template, or a module at its root (the engine)
        if mine[0] not in TEMPLATE_LAYERS:
            found.append(f"{module} is in no layer of TEMPLATE_LAYERS")
            continue
        for target in sorted(targets):
            theirs = place(target)
            if not theirs:
                continue
            if theirs[0] not in TEMPLATE_LAYERS:
                found.append(f"{module} imports {target}, at the template's root")
            elif TEMPLATE_LAYERS.index(theirs[0]) > TEMPLATE_LAYERS.index(mine[0]):
                found.append(f"{module} imports {target}, a later layer")
    return found


def test_template_subpackages_import_only_earlier_layers() -> None:
    graph = module_imports(REPO, ("shared/generation/template",))
    assert template_layer_violations(graph) == []


def test_a_template_import_up_the_layers_is_found() -> None:
    graph = {
        f"{TEMPLATE}.schema.ddl": {f"{TEMPLATE}.query.core"},
        f"{TEMPLATE}.query.core": {f"{TEMPLATE}.schema.ddl", f"{TEMPLATE}.engine"},
        f"{TEMPLATE}.engine": {f"{TEMPLATE}.query.core"},
    }
    assert template_layer_violations(graph) == [
        f"{TEMPLATE}.query.core imports {TEMPLATE}.engine, at the template's root",
        f"{TEMPLATE}.schema.ddl imports {TEMPLATE}.query.core, a later layer",
    ]
