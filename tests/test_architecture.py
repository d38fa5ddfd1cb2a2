"""The dependency rule of docs/architecture.md, read from the source itself.

Apps form layers, each importing only the layers below it:
core ← blog ← selfcheck ← care ← leads ← newsletter, with the project
package (clinic_site) on top wiring them together. No import of our own
code hides inside a function, and no module imports itself through others.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = [
    "core",
    "staff",
    "blog",
    "selfcheck",
    "care",
    "leads",
    "newsletter",
    "insights",
    "clinic_site",
]
MAX_MODULE_LINES = 400
# One flat settings file is the project's rule (no per-environment modules),
# so it is measured by how it reads, not by length; the code that reads the
# environment lives in clinic_site/environment.py.
LONG_BY_DESIGN = {"clinic_site.settings"}


def app_modules():
    """(module name, path) of every Python module of our apps, migrations
    left out: they are history, not code that runs on every request."""
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path


def imported_names(tree, *, inside_functions):
    """Our modules named by import statements, at module level or below it."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = [n for child in node.body for n in ast.walk(child)]
            if inside_functions:
                yield from _names(body)
    if not inside_functions:
        yield from _names(_module_level(tree))


def _module_level(tree):
    nodes = []
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        nodes.append(node)
        pending.extend(ast.iter_child_nodes(node))
    return nodes


def _names(nodes):
    for node in nodes:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        yield from (name for name in names if name.split(".")[0] in LAYERS)


MODULES = dict(app_modules())
TREES = {name: ast.parse(path.read_text()) for name, path in MODULES.items()}


def layer(module):
    return LAYERS.index(module.split(".")[0])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_an_app_imports_only_the_apps_below_it(module):
    above = {
        name
        for name in imported_names(TREES[module], inside_functions=False)
        if layer(name) > layer(module)
    }

    assert not above, f"{module} imports {sorted(above)} from a layer above it"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_of_our_code_hides_inside_a_function(module):
    hidden = set(imported_names(TREES[module], inside_functions=True))

    assert not hidden, f"{module} imports {sorted(hidden)} inside a function"


def test_no_module_imports_itself_through_others():
    graph = {
        module: {
            name
            for name in imported_names(TREES[module], inside_functions=False)
            if name in MODULES and name != module
        }
        for module in MODULES
    }
    cycles = []

    def visit(module, path):
        for target in graph[module]:
            if target in path:
                cycles.append(path[path.index(target) :] + [target])
            elif target not in done:
                visit(target, [*path, target])
        done.add(module)

    done = set()
    for module in sorted(graph):
        if module not in done:
            visit(module, [module])

    assert not cycles, f"import cycles: {cycles}"


def test_blog_knows_nothing_of_leads_or_the_newsletter():
    names = {
        name
        for module in MODULES
        if module.startswith("blog")
        for name in imported_names(TREES[module], inside_functions=False)
    }

    assert not {n for n in names if n.split(".")[0] in {"leads", "newsletter"}}


@pytest.mark.parametrize("module", sorted(set(MODULES) - LONG_BY_DESIGN))
def test_no_module_is_longer_than_a_newcomer_can_read(module):
    lines = MODULES[module].read_text().count("\n")

    assert lines <= MAX_MODULE_LINES, f"{module} has {lines} lines"
