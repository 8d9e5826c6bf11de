"""The tree shows the architecture: what each layer may import, no import circle, files a reader
can hold in their head, and the scheduled jobs in one place (read from the source, not imported)."""

import ast
import json
from pathlib import Path

import pytest

from govsync.jobs import JOBS, default_input
from govsync_local import template as tpl

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "govsync"
SOURCES = {"govsync": LAYER / "govsync", "govsync_cli": ROOT / "src" / "govsync_cli"}
MAX_LINES = 400
MAX_LAYER_LINES = 300

# layer -> the govsync layers it may import (itself included); third-party modules it must not import
MAY_IMPORT = {
    "govsync.domain": {"govsync.domain"},
    "govsync.adapters": {"govsync", "govsync.domain", "govsync.adapters"},
    "govsync.strategies": {"govsync.domain", "govsync.adapters", "govsync.strategies"},
    # policy gates and notifications: values and rules over the domain (channels reach AWS through ports)
    "govsync.gates": {"govsync.domain", "govsync.gates"},
    "govsync.notify": {"govsync.domain", "govsync.notify"},
    # the deploy strategies reach the services only as `ports.Deployer`, built by the composition root
    "govsync.services": {
        "govsync.domain",
        "govsync.gates",
        "govsync.notify",
        "govsync.services",
        "govsync.settings",
        "govsync.observability",
    },
    # settings parse the environment into domain values; a stage target is checked by its strategy
    "govsync.settings": {"govsync.domain", "govsync.settings", "govsync.strategies"},
    # the scheduled jobs: each names the composition module building its service
    "govsync.jobs": {"govsync.jobs", "govsync.services", "govsync.wiring"},
    # the composition root: builds everything, is imported by the functions, the API, the CLI
    "govsync.wiring": {
        "govsync",
        "govsync.adapters",
        "govsync.domain",
        "govsync.gates",
        "govsync.notify",
        "govsync.observability",
        "govsync.services",
        "govsync.settings",
        "govsync.strategies",
        "govsync.wiring",
    },
    # the governance API: the services behind the people's routes, built by the composition root
    "govsync.api": {
        "govsync",
        "govsync.api",
        "govsync.domain",
        "govsync.services",
        "govsync.settings",
        "govsync.wiring",
        "govsync.observability",
    },
    # the operator CLI: the Lambda package's store, settings and jobs; never the local tooling
    "govsync_cli": {
        "govsync",
        "govsync_cli",
        "govsync.api.models",
        "govsync.services.queries",
        "govsync.domain",
        "govsync.adapters",
        "govsync.settings",
        "govsync.jobs",
        "govsync.wiring",
        "govsync.observability",
    },
}
PURE = {"boto3", "botocore", "pynamodb", "aws_lambda_powertools", "s3transfer", "govsync_local"}
MUST_NOT_IMPORT = {
    "govsync.domain": PURE,
    "govsync.gates": PURE,
    "govsync.notify": PURE,
    "govsync.services": {"boto3", "botocore", "pynamodb", "govsync_local"},
    "govsync.api": {"boto3", "botocore", "pynamodb", "govsync_local"},
    "govsync_cli": {"govsync_local", "moto", "yaml", "samtranslator", "cfnlint"},
}


def modules() -> dict[str, Path]:
    found = {}
    for folder in SOURCES.values():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder.parent).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    assert "govsync.domain.records" in found and "govsync_cli.main" in found
    return found


def imports(path: Path) -> set[str]:
    """Every module the file imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def import_time_imports(path: Path) -> set[str]:
    """The modules the file imports when it is loaded: its top-level imports (not those inside a function,
    nor under `if TYPE_CHECKING:`)."""
    names: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)

    visit(ast.parse(path.read_text()).body)
    return names


def loaded_with(module: str) -> set[str]:
    """Every module that loading `module` loads, ours followed through: an import of `a.b.c` runs the
    `__init__` of `a` and `a.b` too, and what each of those imports in turn."""
    known = modules()
    seen: set[str] = set()
    found: set[str] = set()
    todo = [module]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for name in import_time_imports(known[current]):
            found.add(name)
            parts = name.split(".")
            for end in range(1, len(parts) + 1):
                prefix = ".".join(parts[:end])
                if prefix in known and prefix not in seen:
                    todo.append(prefix)
    return found | seen


def layer_of(module: str) -> str | None:
    return next((layer for layer in sorted(MAY_IMPORT, key=len, reverse=True) if module.startswith(layer)), None)


def allowed(name: str, layers: set[str]) -> bool:
    """`govsync` alone is the package root (its version); any other entry is a layer and its modules."""
    return any(name == a or (a != "govsync" and name.startswith(a + ".")) or name == f"{a}.__version__" for a in layers)


@pytest.mark.parametrize("module", sorted(modules()))
def test_each_module_imports_only_what_its_layer_may(module):
    layer = layer_of(module)
    if layer is None:
        return  # the package root, settings, wiring, jobs, handlers, observability: the composition
    found = imports(modules()[module])
    ours = {m for m in found if m.split(".")[0] in ("govsync", "govsync_cli")}
    wrong = sorted(m for m in ours if not allowed(m, MAY_IMPORT[layer]))
    assert not wrong, f"{module} ({layer}) imports {wrong}"
    banned = {m.split(".")[0] for m in found} & MUST_NOT_IMPORT.get(layer, set())
    assert not banned, f"{module} ({layer}) imports {sorted(banned)}"


# the layers that reach AWS only through what they are handed: nothing they load may load these either
# (the API's routes and the CLI compose with the wiring, which loads the adapters: checked directly above)
LOADS_NOTHING_OF = {layer: MUST_NOT_IMPORT[layer] for layer in ("govsync.domain", "govsync.gates", "govsync.notify")}
LOADS_NOTHING_OF["govsync.services"] = MUST_NOT_IMPORT["govsync.services"]


@pytest.mark.parametrize("module", sorted(m for m in modules() if layer_of(m) in LOADS_NOTHING_OF))
def test_loading_a_module_loads_nothing_its_layer_must_not_import(module):
    # what a module loads through the modules it imports counts: a package's __init__ included
    banned = {m.split(".")[0] for m in loaded_with(module)} & LOADS_NOTHING_OF[layer_of(module)]
    assert not banned, f"loading {module} loads {sorted(banned)}"


def test_the_import_time_check_follows_package_inits():
    # Given the strategies package, whose __init__ imports each strategy and through them boto3
    # Then loading one of its modules, or anything importing it, loads boto3
    assert "boto3" in {m.split(".")[0] for m in loaded_with("govsync.strategies.base")}
    assert "boto3" in {m.split(".")[0] for m in loaded_with("govsync.wiring.deploy")}


def test_release_scripts_do_not_depend_on_benchmarks():
    for path in (ROOT / "scripts").glob("*.py"):
        found = {m.split(".")[0] for m in imports(path)}
        assert "benchmarks" not in found, f"{path.name} imports benchmarks"


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of ours it imports (a package's __init__ re-exporting its own submodules
    left out: that is not a circle)."""
    known = modules()
    graph = {}
    for module, path in known.items():
        targets = set()
        for name in imports(path):
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module and not name.startswith(module + "."):
                targets.add(name)
        graph[module] = targets
    return graph


def circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of the graph, or None (depth-first, white/grey/black)."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_circle_check_finds_a_circle():
    assert circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert circle({"a": {"b"}, "b": set()}) is None


def test_there_is_no_import_circle():
    assert circle(import_graph()) is None


def test_no_source_file_is_longer_than_a_reader_holds():
    # the Lambda package at most MAX_LAYER_LINES, the rest at most MAX_LINES
    folders = {LAYER / "govsync": MAX_LAYER_LINES, ROOT / "src": MAX_LINES, ROOT / "functions": MAX_LINES,
               ROOT / "benchmarks": MAX_LINES, ROOT / "scripts": MAX_LINES}  # fmt: skip
    long = {
        str(p.relative_to(ROOT)): n
        for folder, limit in folders.items()
        for p in folder.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > limit
    }
    assert not long, long


def test_each_scheduled_job_is_the_template_s_schedule():
    # the jobs' one place (govsync.jobs) and the template agree: function, schedule parameter, input
    specs = tpl.function_specs(tpl.load())
    scheduled = {logical for logical, spec in specs.items() if spec.schedules}
    single_runs = {"AuditAnchorFunction": "AnchorSchedule", "DueDatesFunction": "DueDatesSchedule"}
    assert scheduled == set(JOBS) | set(single_runs)  # these are one run each, not fanned out
    template = tpl.load()
    for function_id, parameter in single_runs.items():
        (run,) = template["Resources"][function_id]["Properties"]["Events"].values()
        assert run["Properties"]["ScheduleExpression"] == {"Ref": parameter}
    for function_id, job in JOBS.items():
        events = template["Resources"][function_id]["Properties"]["Events"].values()
        (schedule,) = [e["Properties"] for e in events if e["Type"] == "ScheduleV2"]
        assert schedule["ScheduleExpression"] == {"Ref": job.schedule_parameter}
        assert json.loads(schedule["Input"]) == default_input(job)
        assert job.schedule_parameter in template["Parameters"]
