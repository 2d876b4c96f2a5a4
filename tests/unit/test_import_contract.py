"""The package contract (`lint-imports`, run by `make lint`) fails on a planted bad import.

Each case copies the sources to a temporary directory, adds one import that breaks one
contract, and runs the linter on the copy with the project's own configuration.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(src: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT), "--no-logo", "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "chinwag", src / "chinwag", ignore=shutil.ignore_patterns("web"))
    return src


def test_the_sources_keep_every_contract(copy: Path) -> None:
    result = lint(copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        # A domain reaching up to an edge.
        ("channels/service.py", "import chinwag.api.app", "Protocol and domain never import"),
        # A domain reaching down to an engine.
        ("messaging/service.py", "import chinwag.store.sqlite.db", "Protocol and domain never"),
        # The codec of domain objects importing a domain that imports it: a cycle.
        ("wire.py", "import chinwag.channels.service", "No package imports one that imports"),
        # A port importing its adapter.
        ("store/base.py", "import chinwag.store.postgres.store", "Ports never import"),
        # A second wiring place.
        ("cli.py", "import chinwag.store.sqlite.store", "One wiring place"),
    ],
)
def test_a_planted_bad_import_breaks_its_contract(
    copy: Path, module: str, bad_import: str, contract: str
) -> None:
    path = copy / "chinwag" / module
    path.write_text(path.read_text() + f"\n{bad_import}  # planted\n")
    result = lint(copy)
    assert result.returncode != 0, result.stdout
    broken = [line for line in result.stdout.splitlines() if line.endswith(" BROKEN")]
    assert any(line.startswith(contract) for line in broken), result.stdout


def test_the_package_graph_in_the_architecture_doc_is_current() -> None:
    """docs/architecture.md draws the package graph from the imports; after a change of
    the graph, `scripts/package-graph.py` redraws it."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "package-graph.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
