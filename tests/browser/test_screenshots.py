"""Screenshots of the main screens (scripts/screenshots.py), as shown in the README.

Written to a temporary directory on every run, so that the script keeps working; with
CHINWAG_UPDATE_SCREENSHOTS=1 they replace the committed ones in docs/screenshots/.
"""

from __future__ import annotations

import importlib.util
import os
import struct
from pathlib import Path
from types import ModuleType

import pytest
from playwright.sync_api import Browser

from tests.helpers.server import RunningServer

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "screenshots.py"
DOCS = ROOT / "docs" / "screenshots"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("chinwag_screenshots", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_screenshots_of_the_main_screens(
    web: RunningServer, browser: Browser, tmp_path: Path
) -> None:
    script = load_script()
    out = DOCS if os.environ.get("CHINWAG_UPDATE_SCREENSHOTS") == "1" else tmp_path
    paths = script.capture(browser, web.base_url, out)
    assert [p.name for p in paths] == list(script.SHOTS)
    for path in paths:
        width, height = png_size(path)
        phone = path.name.startswith("phone-")
        expected = script.PHONE if phone else script.DESKTOP
        assert (width, height) == (expected["width"], expected["height"]), path.name
        assert path.stat().st_size > 10_000, f"{path.name} looks empty"


def test_the_readme_shows_the_committed_screenshots() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in load_script().SHOTS:
        assert f"docs/screenshots/{name}" in readme, f"README.md does not show {name}"
        png_size(DOCS / name)
