"""`chinwag chat ...`: argument parsing and the one place errors become messages.

`register` adds the `chat` command to the `chinwag` parser. Every subcommand runs as
one coroutine under `run`, which turns every expected failure into a one-line
`chinwag: ...` message on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn

from chinwag.chat import commands
from chinwag.chat.context import CliError, Context
from chinwag.chat.follow import follow
from chinwag.client import (
    ChinwagApiError,
    ChinwagClientError,
    ServerUnreachable,
    Unauthorized,
)

Command = Callable[[Context], Coroutine[Any, Any, None]]


def _fail(message: str, status: int = 1) -> NoReturn:
    print(f"chinwag: {message}", file=sys.stderr)
    sys.exit(status)


def _api_message(exc: ChinwagApiError, authenticated: bool) -> str:
    if exc.code == "unauthorized" and authenticated:
        return "your login is no longer valid; run 'chinwag chat login USERNAME'"
    if exc.code == "rate_limited":
        wait = f" in {exc.retry_after:.0f}s" if exc.retry_after else " later"
        return f"too many requests; try again{wait}"
    if exc.code == "internal":
        return "the server had an internal error; try again later"
    return exc.message


def run(
    command: Command, args: argparse.Namespace, *, authenticated: bool, interrupt_ok: bool
) -> None:
    """Run `command` to completion and exit: 0 on success, 1 on a reported error, 130
    when interrupted (0 for commands, like `follow`, that end by Ctrl-C)."""
    try:
        asyncio.run(command(Context.from_args(args)))
    except KeyboardInterrupt:
        if interrupt_ok:
            sys.exit(0)
        _fail("interrupted", 130)
    except CliError as exc:
        _fail(str(exc))
    except ChinwagApiError as exc:
        _fail(_api_message(exc, authenticated))
    except ServerUnreachable as exc:
        _fail(f"cannot reach the server at {exc.url} ({exc.reason})")
    except Unauthorized:
        _fail("your login is no longer valid; run 'chinwag chat login USERNAME'")
    except ChinwagClientError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""))


def _server_option(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument(
        "--server",
        metavar="URL",
        default=default,
        help="chinwag server (default: the one logged in to, else http://127.0.0.1:8080)",
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `chat` and its subcommands to the `chinwag` command's subparsers."""
    chat = sub.add_parser("chat", help="the command-line chat client")
    _server_option(chat, None)
    cmds = chat.add_subparsers(dest="chat_command", required=True, metavar="COMMAND")

    def add(
        name: str, command: Command, help_: str, *, auth: bool = True, interrupt_ok: bool = False
    ) -> argparse.ArgumentParser:
        parser = cmds.add_parser(name, help=help_, description=help_)
        # SUPPRESS: given after the subcommand it wins, else `chat --server` stands.
        _server_option(parser, argparse.SUPPRESS)

        def func(args: argparse.Namespace) -> None:
            run(command, args, authenticated=auth, interrupt_ok=interrupt_ok)

        parser.set_defaults(func=func)
        return parser

    for name, command, help_ in (
        ("signup", commands.signup, "create an account and log in"),
        ("login", commands.login, "log in and remember the login"),
    ):
        p = add(name, command, help_, auth=False)
        p.add_argument("username")
        p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
        if name == "signup":
            p.add_argument("--display-name", metavar="NAME")
        else:
            p.add_argument("--device-name", metavar="NAME")
    add("logout", commands.logout, "log out and forget the login")
    add("whoami", commands.whoami, "show who is logged in")
    add("add-friend", commands.add_friend, "send a friend request").add_argument("username")
    add("requests", commands.requests, "list pending friend requests")
    add("accept", commands.accept, "accept a friend request").add_argument(
        "who", metavar="USERNAME|REQUEST_ID"
    )
    add("decline", commands.decline, "decline (or withdraw) a friend request").add_argument(
        "who", metavar="USERNAME|REQUEST_ID"
    )
    add("friends", commands.friends, "list friends and whether they are online")
    add("channels", commands.channels, "list your channels")
    p = add("open", commands.open_direct, "print the direct channel with a friend")
    p.add_argument("username")
    p.add_argument("--encrypted", action="store_true", help="end-to-end encrypted")
    p = add("group-create", commands.group_create, "create a group; prints its channel id")
    p.add_argument("name")
    p.add_argument("usernames", nargs="+", metavar="USERNAME")
    p.add_argument("--encrypted", action="store_true", help="end-to-end encrypted")
    p = add("encrypt", commands.encrypt, "turn on end-to-end encryption (never off)")
    p.add_argument("target", metavar="CHANNEL_OR_USERNAME")
    p = add("backup", commands.backup, "back up this device's message keys, encrypted")
    p.add_argument("--new", action="store_true", help="start a new backup; prints its recovery key")
    add("restore", commands.restore, "restore message keys from the backup (recovery key on stdin)")
    p = add("send", commands.send, "send a message to a channel or a friend")
    p.add_argument("target", metavar="CHANNEL_OR_USERNAME")
    p.add_argument("text", nargs="*")
    p.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="PATH",
        help="attach a file (repeat for more, at most 10); the text may then be left out",
    )
    p = add("download", commands.download, "save an attachment to a file")
    p.add_argument("attachment_id", metavar="ATTACHMENT_ID")
    p.add_argument("--out", metavar="PATH", help="where to save it (default: ./ATTACHMENT_ID)")
    p = add("history", commands.history, "print a channel's recent messages")
    p.add_argument("target", metavar="CHANNEL_OR_USERNAME")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="how many (1 to 200)")
    p = add("search", commands.search, "search the messages you may see, newest first")
    p.add_argument("words", nargs="+", metavar="WORD")
    p.add_argument("--in", dest="target", default=None, metavar="CHANNEL_OR_USERNAME")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="how many (1 to 100)")
    p = add("follow", follow, "print a channel's messages as they arrive", interrupt_ok=True)
    p.add_argument("target", metavar="CHANNEL_OR_USERNAME")
