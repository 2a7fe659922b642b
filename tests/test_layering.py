"""The declaration layer stays pure and ``cbbd_etl`` has no import cycles (issue 9, item 2).

``.importlinter`` holds the contracts (run here through ``lint-imports``):
declaration modules (registry, params, workflows, datasets, tables,
table_spec, every ``cbbd_etl.specs`` module, api.endpoints, seasons, errors,
the silver endpoint declarations) import no pyspark/boto3/requests/yaml and
nothing from the execution layers (runner, iceberg, silver pipeline, gold,
dq, bronze, audit, ...). import-linter has no whole-package cycle contract, so
:func:`import_cycles` finds strongly connected components of grimp's import
graph. A fresh interpreter importing the declarations must not load an
engine either (that also catches I/O-heavy imports at module level).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

grimp = pytest.importorskip("grimp")

REPO = Path(__file__).resolve().parents[1]
DECLARATIONS = ("cbbd_etl.registry", "cbbd_etl.params", "cbbd_etl.workflows", "cbbd_etl.datasets",
                "cbbd_etl.tables", "cbbd_etl.table_spec", "cbbd_etl.specs", "cbbd_etl.api.endpoints",
                "cbbd_etl.seasons", "cbbd_etl.errors", "cbbd_etl.silver.endpoint_tables",
                "cbbd_etl.silver.api_models")


def import_cycles(graph: "grimp.ImportGraph", package: str = "cbbd_etl") -> list[list[str]]:
    """Every set of modules that import each other in a circle (Tarjan's strongly connected components)."""
    mods = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.find_modules_directly_imported_by(v)):
            if not w.startswith(package):
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for m in mods:
        if m not in index:
            visit(m)
    return out


def test_cycle_finder_finds_a_known_cycle(tmp_path: Path) -> None:
    """The finder itself, on a tiny package with one cycle a -> b -> c -> a and an innocent d."""
    pkg = tmp_path / "cyclepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from . import c\n")      # a lazy import is an import too
    (pkg / "c.py").write_text("import cyclepkg.a\n")
    (pkg / "d.py").write_text("from . import a\n")
    sys.path.insert(0, str(tmp_path))
    try:
        graph = grimp.build_graph("cyclepkg", cache_dir=None)
    finally:
        sys.path.remove(str(tmp_path))
    assert import_cycles(graph, "cyclepkg") == [["cyclepkg.a", "cyclepkg.b", "cyclepkg.c"]]


def test_no_import_cycles_in_cbbd_etl() -> None:
    graph = grimp.build_graph("cbbd_etl", exclude_type_checking_imports=True, cache_dir=None)
    assert "cbbd_etl.sim.engine" in graph.modules and "cbbd_etl.api.endpoints" in graph.modules
    assert import_cycles(graph) == []


def test_import_linter_contracts_are_kept() -> None:
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.exists():
        pytest.skip("import-linter is not installed (setup.py test extra)")
    res = subprocess.run([str(exe), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert "0 broken" in res.stdout and "2 kept" in res.stdout, res.stdout[-1500:]


def test_contracts_cover_the_declaration_modules() -> None:
    """The contract file names exactly the declaration modules this test knows (both contracts)."""
    text = (REPO / ".importlinter").read_text()
    for contract in text.split("[importlinter:contract:")[1:]:
        sources = contract.split("source_modules =")[1].split("forbidden_modules =")[0].split()
        assert tuple(sources) == DECLARATIONS


def test_declarations_load_no_engine_in_a_fresh_interpreter() -> None:
    code = ("import sys, json; import " + ", ".join(DECLARATIONS) + "; "
            "from cbbd_etl.tables import all_tables; from cbbd_etl.workflows import all_workflows, triggers; "
            "[t.columns for t in all_tables()]; [triggers(w) for w in all_workflows()]; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('pyspark', 'boto3', 'botocore', 'requests', 'yaml', 'py4j') or m in "
            "('cbbd_etl.runner', 'cbbd_etl.iceberg', 'cbbd_etl.config', 'cbbd_etl.silver.pipeline'))))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == []
