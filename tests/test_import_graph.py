"""The import graph of osca_core, pages and app.py has no cycle and respects the layers, which are folders.

Every ``import`` and ``from ... import`` statement counts, at the top of a module *and* inside functions (a cycle
hidden by a function-level import breaks the package as soon as someone moves the import to the top). ``from a.b
import c`` is an arrow to the module ``a.b.c`` when that module exists, else to ``a.b``. Importing ``a.b`` also runs
``a/__init__``, but that implicit arrow is not counted (it would make every module depend on its package).

A module's layer is read from the tree (:func:`layer_of`): the flat modules of ``osca_core`` (and the package
itself) are ``bottom``; ``osca_core.<package>....`` is in the layer ``<package>``; ``pages`` and ``app.py`` are
``pages``. Who may import whom (``ALLOWED``), bottom first:

- ``bottom``: errors, settings, limits (and the lazy-face helper);
- ``model``: the outcome matrix, estimators, objective, extrapolation, result types;
- ``optimize``: the optimizer and its certificates, over the model;
- ``strategies``: the strategies and their registry, over the optimizer;
- ``analysis``: experiments, studies and intervals over the registry;
- ``data``: store, importers, formats, release: beside the science (bottom and model only), never imported by it;
- ``present``: plots, views, figures and the report: the science, never the store;
- ``workers``: the dashboard's bounded worker pool (bottom only), used by bench, cli and pages;
- ``bench``, ``cli``: anything in osca_core (``cli`` never imports pages); ``pages``: no DuckDB;
- nothing in osca_core imports Streamlit.

A new folder in ``osca_core`` that ``ALLOWED`` does not name fails the test with a message saying where to add it.
"""

from __future__ import annotations

import ast
import fnmatch
import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

_SCIENCE = {"bottom", "model", "optimize", "strategies", "analysis"}
ALLOWED: dict[str, set[str]] = {
    "bottom": {"bottom"},
    "model": {"bottom", "model"},
    "optimize": {"bottom", "model", "optimize"},
    "strategies": {"bottom", "model", "optimize", "strategies"},
    "analysis": _SCIENCE,
    "data": {"bottom", "model", "data"},
    "present": _SCIENCE | {"present"},
    "workers": {"bottom", "workers"},
    "bench": _SCIENCE | {"data", "present", "bench", "workers"},
    "cli": _SCIENCE | {"data", "present", "bench", "cli", "workers"},
    "pages": _SCIENCE | {"data", "present", "pages", "workers"},
}
MAX_FLAT_MODULES = 8
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


def layer_of(name: str, root: Path = REPO) -> str | None:
    """The layer of a dotted module name, read from the tree: a package directly under ``osca_core`` is a layer
    (``None`` where ``ALLOWED`` does not name it), a flat module is ``bottom``, ``pages``/``app`` are ``pages``."""
    parts = name.split(".")
    if parts[0] in ("pages", "app"):
        return "pages"
    if parts[0] != "osca_core":
        return None
    if len(parts) == 1 or not (root / "osca_core" / parts[1]).is_dir():
        return "bottom"
    return parts[1] if parts[1] in ALLOWED else None


def layer_violations(graph: dict[str, set[str]], layer=layer_of) -> list[str]:
    """Arrows a -> b where b's layer is not in ALLOWED[a's layer]; modules in no layer are reported too."""
    out = []
    for a in sorted(graph):
        la = layer(a)
        if la is None:
            out.append(f"{a} is in no layer: put it in one of the layer folders of osca_core "
                       f"({', '.join(sorted(set(ALLOWED) - {'bottom', 'pages'}))}) or name its folder in "
                       f"ALLOWED in tests/test_import_graph.py")
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
    assert "osca_core.model.results" in g["osca_core.strategies.allocators"]  # from osca_core.model.results import
    assert "osca_core.strategies.allocators" in g["osca_core.strategies.registry"]  # ... import allocators as st
    assert g["osca_core.model.estimators"] == set()


def test_no_strategy_module_imports_the_registry_above_it(graph):
    g, _ = graph
    assert [m for m, deps in sorted(g.items()) if "osca_core.strategies.registry" in deps
            and m.startswith("osca_core.strategies.")] == []


def test_every_folder_of_osca_core_is_a_layer_and_few_modules_stay_flat():
    folders = sorted(p.name for p in (REPO / "osca_core").iterdir() if (p / "__init__.py").is_file())
    assert folders and all(layer_of(f"osca_core.{f}") == f for f in folders), folders
    assert set(ALLOWED) - {"bottom", "pages"} == set(folders)
    flat = sorted(p.name for p in (REPO / "osca_core").glob("*.py") if p.name != "__init__.py")
    assert len(flat) <= MAX_FLAT_MODULES, flat


@pytest.mark.parametrize("package", ["osca_core", "osca_core.model", "osca_core.optimize", "osca_core.strategies",
                                     "osca_core.analysis", "osca_core.data", "osca_core.present"])
def test_each_layer_package_has_a_public_face_whose_names_resolve(package):
    mod = importlib.import_module(package)
    assert mod.__all__ == sorted(mod.__all__) and len(mod.__all__) <= 40
    # a face name equal to a submodule's name would be shadowed by the submodule once it is imported
    folder = REPO / package.replace(".", "/")
    assert not {p.stem for p in folder.iterdir()} & set(mod.__all__)
    for name in mod.__all__:
        assert getattr(getattr(mod, name), "__module__", package).startswith(package)
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        mod.nonexistent  # noqa: B018


# -- the checker on synthetic graphs: it detects what it must ----------------------------------------------------

def test_checker_detects_a_deliberately_introduced_cycle():
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert find_cycles(g) == [["a", "b", "c"], ["e"]]
    assert find_cycles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_checker_detects_a_cycle_introduced_into_the_real_graph(graph):
    g = {k: set(v) for k, v in graph[0].items()}
    g["osca_core.model.results"].add("osca_core.strategies.allocators")  # a function-level import, say
    cycles = find_cycles(g)
    assert any({"osca_core.model.results", "osca_core.strategies.allocators"} <= set(c) for c in cycles)


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
    g = {"osca_core.optimize.curve": {"osca_core.strategies.registry"},
         "osca_core.present.plots": {"osca_core.data.store"},
         "osca_core.model.results": {"osca_core.data.store.lake"}, "osca_core.newthing.x": set()}
    msgs = layer_violations(g, lambda m: layer_of(m) if not m.startswith("osca_core.newthing") else None)
    assert any("osca_core.optimize.curve (optimize) imports osca_core.strategies.registry" in m for m in msgs)
    assert any("osca_core.present.plots (present) imports osca_core.data.store" in m for m in msgs)
    assert any("osca_core.model.results (model) imports osca_core.data.store.lake" in m for m in msgs)
    assert any("osca_core.newthing.x is in no layer: put it in one of the layer folders" in m for m in msgs)
    assert external_violations({"osca_core.x": {"streamlit"}, "pages.y": {"duckdb"}, "app": {"streamlit"}}) == [
        "osca_core.x imports streamlit", "pages.y imports duckdb"]


def test_layer_of_reads_the_folders():
    assert layer_of("osca_core") == layer_of("osca_core.errors") == "bottom"
    assert layer_of("osca_core.data.store.lake") == "data"
    assert layer_of("osca_core.optimize.beam") == "optimize"
    assert layer_of("pages._shell") == layer_of("app") == "pages"
