"""Run scripts/check-search-index.py on a SQLite data directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "scripts" / "check-search-index.py"


def check_search_index(data: Path) -> tuple[int, dict[str, int]]:
    """The script's exit status and its report."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(data)], capture_output=True, text=True, check=False
    )
    return done.returncode, json.loads(done.stdout)
