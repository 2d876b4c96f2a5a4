"""What every CLI command needs: its arguments, files, server, login, and lookups."""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
from dataclasses import dataclass

from chinwag.chat.config import DEFAULT_SERVER, ConfigFiles, SavedSession, config_dir
from chinwag.chat.config import normalize_server as _normalize
from chinwag.client import ApiClient, Channel, User


class CliError(Exception):
    """A problem to tell the user in one line; the command exits with status 1."""


class NotLoggedIn(CliError):
    def __init__(self, server: str) -> None:
        super().__init__(f"not logged in to {server}; run 'chinwag chat login USERNAME'")


@dataclass
class Context:
    """One command's view: parsed arguments, the server to talk to and, if the saved
    login is for that server, the login."""

    args: argparse.Namespace
    files: ConfigFiles
    server: str
    saved: SavedSession | None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Context:
        files = ConfigFiles(config_dir())
        saved = files.load_session()
        explicit = getattr(args, "server", None)
        server = _normalize(explicit or (saved.server if saved else DEFAULT_SERVER))
        if saved is not None and _normalize(saved.server) != server:
            saved = None  # a token is only good on the server that issued it
        return cls(args, files, server, saved)

    def anonymous(self) -> ApiClient:
        return ApiClient(self.server)

    def logged_in(self) -> tuple[ApiClient, SavedSession]:
        if self.saved is None:
            raise NotLoggedIn(self.server)
        return ApiClient(self.server, self.saved.token), self.saved


def read_password(args: argparse.Namespace, *, confirm: bool = False) -> str:
    """From one line of stdin with --password-stdin, else typed at a hidden prompt."""
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CliError("no password on standard input")
        return line.rstrip("\r\n")
    try:
        password = getpass.getpass("Password: ")
        if confirm and getpass.getpass("Repeat password: ") != password:
            raise CliError("the passwords do not match")
    except EOFError:
        raise CliError("no password given") from None
    return password


def device_name() -> str:
    return f"chinwag-cli@{socket.gethostname()}"[:64]


async def find_user(api: ApiClient, username: str) -> User:
    user = await api.find_user(username)
    if user is None:
        raise CliError(f"no user named {username!r}")
    return user


async def find_channel(api: ApiClient, target: str) -> Channel:
    """A channel id, a friend's username (their direct channel) or a group's name."""
    channels = await api.channels()
    for channel in channels:
        if channel.id == target:
            return channel
    user = await api.find_user(target)
    if user is not None:
        return await api.open_direct(user.id)
    named = [c for c in channels if c.kind == "group" and c.name == target]
    if len(named) == 1:
        return named[0]
    if named:
        raise CliError(f"several groups are named {target!r}; use a channel id")
    raise CliError(f"no channel, user or group named {target!r}")
