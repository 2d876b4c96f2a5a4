"""`chinwag admin grant|revoke|find|deactivate|reactivate USERNAME`, for operators.

Works on the store named by the usual settings (`--store`, `--data-dir`). With `--nats`
the sockets of a deactivated account close at once on every gateway of the cluster.
Beside a single server with no NATS the store is shared with it (only account rows and
revocation notices are written); its tokens stop working at once, and the server closes
its open sockets when it reads the notices, within about half a second
(safety/revocations.py).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from chinwag.app import open_admin
from chinwag.config import Settings
from chinwag.errors import ChinwagError, not_found

ACTIONS = ("grant", "revoke", "find", "deactivate", "reactivate")


async def run(settings: Settings, action: str, username: str) -> str:
    async with open_admin(settings) as (accounts, admin):
        if action == "find":
            found = await admin.find_accounts(username)
            lines = [
                f"{v.user.username}\t{v.user.id}"
                + ("\tadmin" if v.standing.is_admin else "")
                + ("\tdeactivated" if v.standing.deactivated_at is not None else "")
                for v in found
            ]
            return "\n".join(lines) if lines else "no accounts found"
        user = await accounts.find_user(username)
        if user is None:
            raise not_found(f"no account named {username!r}")
        if action in ("grant", "revoke"):
            await admin.set_admin(user.id, action == "grant")
        elif action == "deactivate":
            await admin.deactivate(user.id)
        else:
            await admin.reactivate(user.id)
        return f"{action}: {user.username} ({user.id})"


def cmd_admin(ns: argparse.Namespace) -> None:
    from chinwag.cli import _settings

    try:
        print(asyncio.run(run(_settings(ns), ns.action, ns.username)))
    except ChinwagError as exc:
        sys.exit(f"chinwag: {exc.message}")


def register(sub: Any) -> None:
    from chinwag.cli import _add_settings_flags

    parser = sub.add_parser(
        "admin", help="server admins and accounts: grant, revoke, find, deactivate, reactivate"
    )
    parser.add_argument("action", choices=ACTIONS)
    parser.add_argument("username", help="a username (for find: the start of usernames)")
    _add_settings_flags(parser)
    parser.set_defaults(func=cmd_admin)
