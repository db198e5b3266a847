"""The package as a whole: imports run one way (no cycle, lower layers never import higher
ones), and importing it stays light."""

import ast
import subprocess
import sys
from pathlib import Path

import infobook

PACKAGE = Path(infobook.__file__).parent

#: The layers of the package, lowest first: a module imports only from its own layer or below.
LAYERS = [
    {"backend", "atoms", "published"},
    {"distributions", "histogram", "pid", "plotting"},
    {"neuron"},
    {"rules", "fused"},
    {"hopfield"},
    {"infomorphic", "hebbian"},
    {"dense", "layer"},
    {"experiments"},
    {"__main__", "book"},
]


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``name`` imports, anywhere in its code (inside functions too)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "infobook"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "infobook":
                continue
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known]
            found |= set(subs) if subs else {target}
    return {m for m in found if m in known and m != name}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports_of(name, path, set(mods)) for name, path in mods.items()}


def test_no_import_cycle():
    g = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(g[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(g):
        if node not in state:
            visit(node)


def test_the_graph_finds_imports_inside_functions():
    g = graph()
    assert "infobook.fused" in g["infobook.infomorphic"]
    assert "infobook.rules" in g["infobook.hopfield"]
    assert "infobook.experiments.settings" in g["infobook.experiments.store"]


def layer(name: str) -> int:
    top = name.split(".")[1] if "." in name else "__init__"
    for k, members in enumerate(LAYERS):
        if top in members:
            return k
    raise AssertionError(f"{name} is in no layer of this test: add it to LAYERS")


def test_lower_modules_never_import_higher_ones():
    for name, deps in graph().items():
        if name == "infobook":  # the package's front door re-exports the lowest layers
            assert all(layer(d) <= 1 for d in deps), deps
            continue
        for dep in deps:
            assert layer(dep) <= layer(name), f"{name} (layer {layer(name)}) imports {dep}"


def test_import_is_light():
    code = (
        "import sys, infobook; "
        "heavy = [m for m in ('cupy', 'xarray', 'numba', 'optuna', 'distributed', 'matplotlib') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
