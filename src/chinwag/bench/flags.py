"""Command-line flags from a settings dataclass, for the bench's standalone workloads."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any, TypeVar

T = TypeVar("T")


def parse(
    cls: type[T], prog: str, description: str | None, argv: list[str] | None
) -> tuple[T, str]:
    """One `--flag` per field (typed by its default), plus `--out PATH`; returns both."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    defaults: dict[str, Any] = asdict(cls())  # type: ignore[call-overload]
    for name, value in defaults.items():
        p.add_argument("--" + name.replace("_", "-"), dest=name, type=type(value), default=value)
    p.add_argument("--out", default="", help="write the JSON result here")
    ns = vars(p.parse_args(argv))
    out = ns.pop("out")
    return cls(**ns), out
