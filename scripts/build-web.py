#!/usr/bin/env python3
"""Rebuild the web client's served files after changing its sources.

    .venv/bin/python scripts/build-web.py          # rewrites web/assets, index.html, sw.js
    .venv/bin/python scripts/build-web.py --check  # exit 1 if the committed build is stale

The built files are committed, so serving the client needs no build step; the tests fail
when they do not match the sources (tests/unit/test_webbuild.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
from chinwag.webbuild import stale, write  # noqa: E402

WEB = ROOT / "src" / "chinwag" / "web"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report a stale build")
    args = parser.parse_args()
    if args.check:
        problems = stale(WEB)
        for p in problems:
            print(f"stale: {p}")
        sys.exit(1 if problems else 0)
    for name in write(WEB):
        print(f"rebuilt: {name}")


if __name__ == "__main__":
    main()
