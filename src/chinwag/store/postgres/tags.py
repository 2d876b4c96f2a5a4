"""Command tags: what PostgreSQL reports a statement did."""

from __future__ import annotations


def affected(status: str) -> int:
    """Rows touched, from a command tag such as 'DELETE 3' or 'INSERT 0 1'."""
    return int(status.rsplit(" ", 1)[-1])
