#!/usr/bin/env python3
"""Draw chinwag's package graph from its imports, as a mermaid diagram.

    .venv/bin/python scripts/package-graph.py          # rewrite the diagram in docs/architecture.md
    .venv/bin/python scripts/package-graph.py --check  # exit 1 if the diagram is stale

An arrow A --> B means some module of A imports one of B. Arrows implied by a longer
path are left out (the graph is acyclic, `make lint` checks it), and so are the small
modules nearly everything imports (clock, ids, errors, logs, ratelimit, threadnames).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
BEGIN = "```mermaid\n%% package graph: scripts/package-graph.py\n"
END = "```\n"
LEAVES = {"clock", "ids", "errors", "logs", "ratelimit", "threadnames", "__main__", "webbuild"}


def edges() -> list[tuple[str, str]]:
    sys.path.insert(0, str(ROOT / "src"))
    graph = grimp.build_graph("chinwag", cache_dir=None)
    names = sorted(
        m.split(".")[1] for m in graph.find_children("chinwag") if m.split(".")[1] not in LEAVES
    )
    direct = {
        (a, b)
        for a in names
        for b in names
        if a != b
        and graph.direct_import_exists(
            importer=f"chinwag.{a}", imported=f"chinwag.{b}", as_packages=True
        )
    }
    out = {a: {b for x, b in direct if x == a} for a in names}

    def reaches(a: str, b: str, skip: tuple[str, str]) -> bool:
        seen, todo = set(), [a]
        while todo:
            n = todo.pop()
            for m in out[n]:
                if (n, m) == skip or m in seen:
                    continue
                if m == b:
                    return True
                seen.add(m)
                todo.append(m)
        return False

    return sorted((a, b) for a, b in direct if not reaches(a, b, (a, b)))


def diagram() -> str:
    lines = ["flowchart TD"] + [f"  {a} --> {b}" for a, b in edges()]
    return BEGIN + "\n".join(lines) + "\n" + END


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report a stale diagram")
    args = parser.parse_args()
    text = DOC.read_text()
    start = text.index(BEGIN)
    end = text.index(END, start + len(BEGIN)) + len(END)
    new = text[:start] + diagram() + text[end:]
    if args.check:
        if new != text:
            sys.exit("docs/architecture.md: package graph stale; run scripts/package-graph.py")
        return
    DOC.write_text(new)


if __name__ == "__main__":
    main()
