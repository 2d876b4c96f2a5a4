"""The `chinwag chat` subcommands (all but `follow`), one coroutine each.

Each prints its result on stdout and raises `CliError` or a client error on failure;
`cli.run` turns those into one line on stderr.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from chinwag.chat.config import SavedSession
from chinwag.chat.context import (
    CliError,
    Context,
    device_name,
    find_channel,
    find_user,
    read_password,
)
from chinwag.chat.output import Names, message_line, presence_text
from chinwag.client import ApiClient, ChinwagClientError, FriendRequest, LoginResult


def _secret() -> Any:
    """End-to-end encryption, imported when used: it needs the `client` extra
    (vodozemac), which plain chats do not."""
    try:
        from chinwag.chat import secret
    except ImportError:
        raise CliError(
            "this channel is end-to-end encrypted: pip install 'chinwag[client]'"
        ) from None
    return secret


async def _log_in(ctx: Context, api: ApiClient, username: str, password: str) -> LoginResult:
    result = await api.login(
        username, password, getattr(ctx.args, "device_name", None) or device_name()
    )
    previous = ctx.saved
    ctx.files.save_session(
        SavedSession(
            ctx.server, result.token, result.user.id, result.user.username, result.device_id
        )
    )
    if previous is not None:
        # Replacing a login: revoke the old token rather than leave it valid forever.
        with contextlib.suppress(ChinwagClientError):
            async with ApiClient(ctx.server, previous.token) as old:
                await old.logout()
    return result


async def signup(ctx: Context) -> None:
    password = read_password(ctx.args, confirm=True)
    async with ctx.anonymous() as api:
        await api.signup(ctx.args.username, password, ctx.args.display_name)
        result = await _log_in(ctx, api, ctx.args.username, password)
    print(f"signed up and logged in as {result.user.username}")


async def login(ctx: Context) -> None:
    password = read_password(ctx.args)
    async with ctx.anonymous() as api:
        result = await _log_in(ctx, api, ctx.args.username, password)
    print(f"logged in as {result.user.username}")


async def logout(ctx: Context) -> None:
    if ctx.saved is None:
        print("not logged in")
        return
    api, saved = ctx.logged_in()
    async with api:
        try:
            await api.logout()
        except ChinwagClientError as exc:
            # The local login is forgotten anyway: that is what the user asked for.
            print(f"chinwag: the server did not confirm the logout ({exc})", file=sys.stderr)
    ctx.files.forget()
    print(f"logged out {saved.username}")


async def whoami(ctx: Context) -> None:
    api, _ = ctx.logged_in()
    async with api:
        me = await api.me()
    shown = f" ({me.display_name})" if me.display_name and me.display_name != me.username else ""
    print(f"{me.username}{shown} {me.id} on {ctx.server}")


async def add_friend(ctx: Context) -> None:
    api, _ = ctx.logged_in()
    async with api:
        user = await find_user(api, ctx.args.username)
        await api.request_friend(user.id)
    print(f"friend request sent to {user.username}")


async def requests(ctx: Context) -> None:
    api, _ = ctx.logged_in()
    async with api:
        pending = await api.friend_requests()
        names = Names(api)
        for r in pending.incoming:
            print(f"from {await names.of(r.from_user_id)}  (request {r.id})")
        for r in pending.outgoing:
            print(f"to {await names.of(r.to_user_id)}  (request {r.id}, waiting)")
    if not pending.incoming and not pending.outgoing:
        print("no pending friend requests")


async def _pick_request(
    api: ApiClient, who: str, candidates: list[tuple[FriendRequest, str]]
) -> tuple[FriendRequest, str]:
    """The request with id `who`, or the one with the user named `who` (its user id
    is the second item of each candidate)."""
    for request, other in candidates:
        if request.id == who:
            return request, other
    user = await find_user(api, who)
    for request, other in candidates:
        if other == user.id:
            return request, other
    raise CliError(f"no pending friend request with {who!r}")


async def accept(ctx: Context) -> None:
    api, _ = ctx.logged_in()
    async with api:
        incoming = (await api.friend_requests()).incoming
        request, _ = await _pick_request(api, ctx.args.who, [(r, r.from_user_id) for r in incoming])
        friend = await api.accept_friend(request.id)
    print(f"you and {friend.username} are now friends")


async def decline(ctx: Context) -> None:
    api, saved = ctx.logged_in()
    async with api:
        pending = await api.friend_requests()
        candidates = [(r, r.from_user_id) for r in pending.incoming]
        candidates += [(r, r.to_user_id) for r in pending.outgoing]
        request, other = await _pick_request(api, ctx.args.who, candidates)
        await api.decline_friend(request.id)
        name = await Names(api).of(other)
    verb = "withdrew the request to" if request.from_user_id == saved.user_id else "declined"
    print(f"{verb} {name}")


async def friends(ctx: Context) -> None:
    api, _ = ctx.logged_in()
    async with api:
        found = await api.friends()
    for friend in sorted(found, key=lambda f: f.user.username):
        print(f"{friend.user.username}  {presence_text(friend.presence)}")
    if not found:
        print("no friends yet; add one with 'chinwag chat add-friend USERNAME'")


async def channels(ctx: Context) -> None:
    api, saved = ctx.logged_in()
    async with api:
        names = Names(api)
        listed = await api.channels()
        for c in listed:
            if c.kind == "direct":
                others = [m for m in c.members or () if m != saved.user_id]
                title = await names.of(others[0]) if others else "(direct)"
            else:
                title = f"{c.name}  ({c.member_count} members)"
            unread = f"  {c.unread_count} unread" if c.unread_count else ""
            print(f"{c.id}  {c.kind:<6}  {title}{unread}")
    if not listed:
        print("no channels yet; start one with 'chinwag chat open USERNAME'")


async def open_direct(ctx: Context) -> None:
    api, _ = ctx.logged_in()
    async with api:
        user = await find_user(api, ctx.args.username)
        channel = await api.open_direct(user.id, encrypted=ctx.args.encrypted)
    print(channel.id)


async def group_create(ctx: Context) -> None:
    api, _ = ctx.logged_in()
    async with api:
        members = [(await find_user(api, name)).id for name in ctx.args.usernames]
        channel = await api.create_group(
            ctx.args.name, list(dict.fromkeys(members)), encrypted=ctx.args.encrypted
        )
    print(channel.id)


async def encrypt(ctx: Context) -> None:
    api, _ = ctx.logged_in()
    async with api:
        channel = await find_channel(api, ctx.args.target)
        await api.encrypt_channel(channel.id)
    print(f"{channel.id} is end-to-end encrypted from now on")


async def backup(ctx: Context) -> None:
    api, saved = ctx.logged_in()
    async with api:
        crypto = await _secret().device(ctx, api, saved)
        recovery = await crypto.create_backup() if ctx.args.new else None
        count = await crypto.back_up()
    if recovery is not None:
        print(f"recovery key (keep it safe; it is shown once): {recovery}")
    print(f"{count} session keys backed up")


async def restore(ctx: Context) -> None:
    recovery = sys.stdin.readline().strip()
    if not recovery:
        raise CliError("give the recovery key on stdin")
    api, saved = ctx.logged_in()
    async with api:
        crypto = await _secret().device(ctx, api, saved)
        taken = await crypto.restore(recovery)
    print(f"{taken} session keys restored")


async def send(ctx: Context) -> None:
    text = " ".join(ctx.args.text)
    paths = [Path(p) for p in ctx.args.file]
    if not text.strip() and not paths:
        raise CliError("nothing to send")
    for path in paths:
        if not path.is_file():
            raise CliError(f"no such file: {path}")
    api, saved = ctx.logged_in()
    async with api:
        channel = await find_channel(api, ctx.args.target)
        if channel.encrypted:
            # Files there must be encrypted by the client first, which this one cannot do.
            if paths:
                raise CliError("this client sends no files to an end-to-end encrypted channel")
            crypto = await _secret().device(ctx, api, saved)
            message = await crypto.send(channel.id, {"msgtype": "m.text", "body": text})
        else:
            ids = []
            for path in paths:
                attachment = await api.upload(path, progress=_progress(path.name))
                print(file=sys.stderr)
                ids.append(attachment.id)
            message = await api.send_http(channel.id, text, attachment_ids=ids)
    print(f"sent #{message.message_id}")


async def download(ctx: Context) -> None:
    api, _ = ctx.logged_in()
    dest = Path(ctx.args.out or ctx.args.attachment_id)
    async with api:
        size = await api.download(ctx.args.attachment_id, dest, progress=_progress(str(dest)))
    print(file=sys.stderr)
    print(f"saved {size} bytes to {dest}")


def _progress(label: str) -> Callable[[int, int], None]:
    """A progress line on stderr, rewritten in place."""

    def show(done: int, total: int) -> None:
        share = f"{100 * done // total}%" if total else f"{done} bytes"
        print(f"\r{label}: {share}", end="", file=sys.stderr, flush=True)

    return show


async def history(ctx: Context) -> None:
    api, saved = ctx.logged_in()
    async with api:
        channel = await find_channel(api, ctx.args.target)
        names = Names(api)
        names.add(saved.user_id, saved.username)
        crypto = await _secret().device(ctx, api, saved) if channel.encrypted else None
        for message in await api.history(channel.id, limit=ctx.args.limit):
            if message.encrypted is not None:
                text = await _secret().shown_text(crypto, message)
                message = msgspec.structs.replace(message, text=text)
            print(message_line(message, await names.of(message.sender_id)))


async def search(ctx: Context) -> None:
    api, saved = ctx.logged_in()
    async with api:
        channel_id = None
        if ctx.args.target is not None:
            channel_id = (await find_channel(api, ctx.args.target)).id
        names = Names(api)
        names.add(saved.user_id, saved.username)
        found = await api.search(
            " ".join(ctx.args.words), channel_id=channel_id, limit=ctx.args.limit
        )
        for message in found:
            print(message.channel_id, message_line(message, await names.of(message.sender_id)))
        if not found:
            print("no messages found")
