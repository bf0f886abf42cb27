"""The layers as a contract that fails the build, and the architecture page checked against it.

The contract itself is ``[tool.importlinter]`` in pyproject.toml, run by ``lint-imports``; these
tests run it, prove it catches a deliberate violation, look for import cycles, and keep
docs/architecture.md's package table and layer line equal to the code and the contract.
"""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "fracture_edge"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
LAYERS = next(c["layers"] for c in CONTRACTS if c["type"] == "layers")
DOC = (ROOT / "docs" / "architecture.md").read_text()


def _lint(root: Path) -> subprocess.CompletedProcess:
    """lint-imports on the package under ``root`` (first on the path, before the installed one)."""
    return subprocess.run([str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"], cwd=root,
                          capture_output=True, text=True, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})


def test_the_contract_holds():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken" in result.stdout


#: (module, the import added to it, the contract that must then break)
VIOLATIONS = (("core/spec.py", "from ..training import train as _broken", "cli above training"),
              ("core/predict.py", "import tensorflow as _broken", "core: no TensorFlow"),
              ("core/bench/report.py", "from ...plots import figures as _broken", "cli above training"),
              ("plots/figures.py", "import tf_keras as _broken", "plots: no TensorFlow"),
              ("training/fit.py", "from ..cli import app as _broken", "cli above training"))


@pytest.mark.parametrize("module, line, contract", VIOLATIONS)
def test_the_contract_fails_on_a_deliberate_violation(tmp_path, module, line, contract):
    """A copy of the package with one forbidden import added, as a lazy import inside a function
    (which the contract counts too): lint-imports must fail and name the broken contract."""
    shutil.copytree(PKG, tmp_path / "fracture_edge", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    target = tmp_path / "fracture_edge" / module
    target.write_text(target.read_text() + f"\n\ndef _violation():\n    {line}\n")
    result = _lint(tmp_path)
    assert result.returncode != 0, result.stdout
    broken = [ln for ln in result.stdout.splitlines() if ln.endswith("BROKEN")]
    assert any(ln.startswith(contract) for ln in broken), result.stdout


def test_no_import_cycles():
    """No module reaches itself through its imports (lazy ones included): a cycle means a helper
    lives in the wrong module."""
    graph = grimp.build_graph("fracture_edge")
    modules = sorted(graph.modules)
    index = {m: i for i, m in enumerate(modules)}
    edges = np.array([(index[a], index[b]) for a in modules for b in graph.find_modules_directly_imported_by(a)
                      if b in index]).reshape(-1, 2)
    adjacency = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(len(modules),) * 2)
    _, component = connected_components(adjacency, directed=True, connection="strong")
    cycles = [[modules[i] for i in np.flatnonzero(component == c)] for c in np.unique(component)
              if np.sum(component == c) > 1]
    assert not cycles, cycles


def _doc_rows() -> dict[str, str]:
    return {m.group(1): m.group(2) for m in re.finditer(r"^\| `(fracture_edge[\w.]*)` \| (.*?) \|", DOC, re.M)}


def test_architecture_doc_lists_every_module_in_its_package():
    rows = _doc_rows()
    packages = sorted(".".join(p.relative_to(ROOT).parent.parts) for p in PKG.rglob("__init__.py")
                      if p.parent != PKG)
    assert sorted(rows) == packages
    for package, cell in rows.items():
        folder = ROOT.joinpath(*package.split("."))
        on_disk = {p.name for p in folder.glob("*.py") if p.name != "__init__.py"}
        in_doc = set(re.findall(r"`(\w+\.py)`", cell))
        assert in_doc == on_disk, (package, sorted(on_disk - in_doc), sorted(in_doc - on_disk))


def test_architecture_doc_states_the_contract_layers():
    line = re.search(r"^Layers, top to bottom: (.*)\.$", DOC, re.M).group(1)
    assert re.findall(r"`(\w+)`", line) == [layer.split(".")[-1] for layer in LAYERS]
