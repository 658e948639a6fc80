"""The import graph of osca_core, pages and app.py has no cycle and respects the layers.

Every ``import`` and ``from ... import`` statement counts, at the top of a module *and* inside functions (a cycle
hidden by a function-level import breaks the package as soon as someone moves the import to the top). ``from a.b
import c`` is an arrow to the module ``a.b.c`` when that module exists, else to ``a.b``. Importing ``a.b`` also runs
``a/__init__``, but that implicit arrow is not counted (it would make every module depend on its package).

The layers (``LAYERS``, matched with fnmatch on dotted names; first match wins) and who may import whom
(``ALLOWED``):

- ``bottom``: errors, settings, estimators, the outcome model (and the package itself);
- ``science-base``: the result types, tolerances and array functions every strategy builds on;
- ``science``: strategies, optimizer, certificates, bootstrap, early stopping, oracle, groups and other science;
- ``registry``: the strategy registry, above the strategies (a strategy module never imports it);
- ``analysis``: experiments, studies and bootstrap intervals over the registry;
- ``data``: store, importers, formats, release: beside the science, never imported by it;
- ``shell``: plots, views, figures and the HTML report: never import the store;
- ``bench``, ``cli``: anything in osca_core (``cli`` never imports pages); ``pages``: no DuckDB;
- nothing in osca_core imports Streamlit.

A module that is in no layer fails the test with a message saying where to add it.
"""

from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bottom", ("osca_core", "osca_core.errors", "osca_core.settings", "osca_core.limits", "osca_core.estimators",
                "osca_core.outcomes")),
    ("science-base", ("osca_core.results", "osca_core.objective", "osca_core.smoothing", "osca_core.splits",
                      "osca_core.missing", "osca_core.extrapolation")),
    ("science", ("osca_core.optimize", "osca_core.search", "osca_core.beamstep", "osca_core.greedy",
                 "osca_core.scale", "osca_core.certify", "osca_core.uniform", "osca_core.strategies",
                 "osca_core.earlystop", "osca_core.oracle", "osca_core.groups", "osca_core.tabled",
                 "osca_core.synthetic", "osca_core.stopplans")),
    ("registry", ("osca_core.registry",)),
    ("analysis", ("osca_core.experiments", "osca_core.study", "osca_core.paired", "osca_core.bootstrap")),
    ("data", ("osca_core.store", "osca_core.store.*", "osca_core.importers", "osca_core.formats",
              "osca_core.formats.*", "osca_core.release", "osca_core.lake_import")),
    ("shell", ("osca_core.plots", "osca_core.*_plots", "osca_core.figures", "osca_core.views", "osca_core.views.*",
               "osca_core.report", "osca_core.report_*")),
    ("bench", ("osca_core.bench", "osca_core.bench.*", "osca_core.bench_optimizer")),
    ("cli", ("osca_core.cli", "osca_core.cli.*")),
    ("pages", ("pages", "pages.*", "app")),
)
_SCIENCE = {"bottom", "science-base", "science", "registry", "analysis"}
ALLOWED: dict[str, set[str]] = {
    "bottom": {"bottom"},
    "science-base": {"bottom", "science-base"},
    "science": {"bottom", "science-base", "science"},
    "registry": {"bottom", "science-base", "science", "registry"},
    "analysis": _SCIENCE,
    "data": {"bottom", "science-base", "data"},
    "shell": _SCIENCE | {"shell"},
    "bench": _SCIENCE | {"data", "shell", "bench"},
    "cli": _SCIENCE | {"data", "shell", "bench", "cli"},
    "pages": _SCIENCE | {"data", "shell", "pages"},
}
FORBIDDEN_EXTERNAL = {"streamlit": ("osca_core.*", "osca_core"), "duckdb": ("pages", "pages.*", "app")}


# -- the checker (pure functions over a graph, so that it can be tested on a synthetic one) --------------------

def module_files(root: Path = REPO) -> dict[str, Path]:
    """Dotted module name -> file, for osca_core (with subpackages), pages and app.py."""
    out = {}
    for base in ("osca_core", "pages"):
        for p in sorted((root / base).rglob("*.py")):
            parts = list(p.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = p
    if (root / "app.py").is_file():
        out["app"] = root / "app.py"
    return out


def _package(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def imports_of(name: str, path: Path, known: set[str]) -> tuple[set[str], set[str]]:
    """(internal modules imported, top-level external packages imported) by one file, at any depth."""
    internal, external = set(), set()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                pkg = _package(name, path).split(".")
                base = ".".join(pkg[: len(pkg) - (node.level - 1)] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for t in targets:
            parts = t.split(".")
            hit = next((".".join(parts[:i]) for i in range(len(parts), 0, -1) if ".".join(parts[:i]) in known),
                       None)
            if hit is None:
                external.add(parts[0])
            elif hit != name:
                internal.add(hit)
    return internal, external


def build_graph(root: Path = REPO) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    files = module_files(root)
    known = set(files)
    graph, ext = {}, {}
    for name, path in files.items():
        graph[name], ext[name] = imports_of(name, path, known)
    return graph, ext


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (or a self-import), each sorted (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def layer_of(name: str) -> str | None:
    for layer, patterns in LAYERS:
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            return layer
    return None


def layer_violations(graph: dict[str, set[str]], layer=layer_of) -> list[str]:
    """Arrows a -> b where b's layer is not in ALLOWED[a's layer]; modules in no layer are reported too."""
    out = []
    for a in sorted(graph):
        la = layer(a)
        if la is None:
            out.append(f"{a} is in no layer: add it to LAYERS in tests/test_import_graph.py "
                       f"(science -> 'science', store/import code -> 'data', plots/views -> 'shell', ...)")
            continue
        for b in sorted(graph[a]):
            lb = layer(b)
            if lb is not None and lb not in ALLOWED[la]:
                out.append(f"{a} ({la}) imports {b} ({lb}): {la} may import only {', '.join(sorted(ALLOWED[la]))}")
    return out


def external_violations(ext: dict[str, set[str]]) -> list[str]:
    out = []
    for mod, pkgs in sorted(ext.items()):
        for pkg, patterns in FORBIDDEN_EXTERNAL.items():
            if pkg in pkgs and any(fnmatch.fnmatchcase(mod, p) for p in patterns):
                out.append(f"{mod} imports {pkg}")
    return out


@pytest.fixture(scope="module")
def graph():
    return build_graph()


# -- the real graph --------------------------------------------------------------------------------------------

def test_no_import_cycle_in_osca_core_pages_and_app(graph):
    g, _ = graph
    assert find_cycles(g) == []


def test_every_arrow_respects_the_layers(graph):
    g, _ = graph
    assert layer_violations(g) == []


def test_no_streamlit_in_osca_core_and_no_duckdb_in_pages(graph):
    _, ext = graph
    assert external_violations(ext) == []


def test_the_graph_sees_function_level_and_from_imports(graph):
    g, _ = graph
    assert "osca_core.results" in g["osca_core.strategies"]  # from osca_core.results import ...
    assert "osca_core.strategies" in g["osca_core.registry"]  # from osca_core import strategies as st
    assert g["osca_core.estimators"] == set()


# -- the checker on synthetic graphs: it detects what it must ----------------------------------------------------

def test_checker_detects_a_deliberately_introduced_cycle():
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert find_cycles(g) == [["a", "b", "c"], ["e"]]
    assert find_cycles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_checker_detects_a_cycle_introduced_into_the_real_graph(graph):
    g = {k: set(v) for k, v in graph[0].items()}
    g["osca_core.results"].add("osca_core.strategies")  # e.g. a function-level `from osca_core import strategies`
    cycles = find_cycles(g)
    assert any({"osca_core.results", "osca_core.strategies"} <= set(c) for c in cycles)


def test_checker_finds_function_level_imports_in_source(tmp_path):
    pkg = tmp_path / "osca_core"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from osca_core import b\n    return b\n")
    (pkg / "b.py").write_text("from .a import f\n")
    g, _ = build_graph(tmp_path)
    assert g["osca_core.a"] == {"osca_core.b"} and g["osca_core.b"] == {"osca_core.a"}
    assert find_cycles(g) == [["osca_core.a", "osca_core.b"]]


def test_checker_reports_layer_breaks_and_unplaced_modules():
    g = {"osca_core.strategies": {"osca_core.registry"}, "osca_core.plots": {"osca_core.store"},
         "osca_core.results": {"osca_core.store.lake"}, "osca_core.newthing": set()}
    msgs = layer_violations(g)
    assert any("osca_core.strategies (science) imports osca_core.registry" in m for m in msgs)
    assert any("osca_core.plots (shell) imports osca_core.store" in m for m in msgs)
    assert any("osca_core.results (science-base) imports osca_core.store.lake" in m for m in msgs)
    assert any("osca_core.newthing is in no layer: add it to LAYERS" in m for m in msgs)
    assert external_violations({"osca_core.x": {"streamlit"}, "pages.y": {"duckdb"}, "app": {"streamlit"}}) == [
        "osca_core.x imports streamlit", "pages.y imports duckdb"]
