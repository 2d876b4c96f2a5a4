"""`ApiClient`: the HTTP half of the contract (docs/protocol.md, "HTTP API"), typed.

Every method either returns typed objects or raises `ChinwagApiError` (the server said
no) or `ServerUnreachable` (it said nothing). The transport is injectable, so tests can
run the client against the in-process app (`httpx.ASGITransport`) or a real socket.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
import msgspec

from chinwag.client import files
from chinwag.client.errors import ChinwagApiError, ServerUnreachable
from chinwag.client.files import Progress
from chinwag.client.models import (
    Attachment,
    Channel,
    Friend,
    FriendRequest,
    FriendRequests,
    Gateway,
    LoginResult,
    Message,
    Presence,
    User,
)

T = TypeVar("T")


class _ErrorBody(msgspec.Struct):
    code: str
    message: str


class _ErrorEnvelope(msgspec.Struct):
    error: _ErrorBody


class _Users(msgspec.Struct):
    users: list[User]


class _Friends(msgspec.Struct):
    friends: list[Friend]


class _Accepted(msgspec.Struct):
    friend: User


class _Channels(msgspec.Struct):
    channels: list[Channel]


class _Messages(msgspec.Struct):
    messages: list[Message]


class _PresenceList(msgspec.Struct):
    presence: list[Presence]


class _Gateways(msgspec.Struct):
    gateways: list[Gateway]


def _seg(value: str) -> str:
    """An id as one path segment: ids are opaque, so never let one add a path."""
    return quote(value, safe="")


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None  # an HTTP date; the contract only sends seconds
    return value if math.isfinite(value) and value >= 0 else None


def error_from_response(response: httpx.Response) -> ChinwagApiError:
    """The contract's error body as an exception; a bare status if there is none."""
    try:
        body = msgspec.json.decode(response.content, type=_ErrorEnvelope).error
    except (msgspec.DecodeError, msgspec.ValidationError):
        text = response.reason_phrase or f"HTTP {response.status_code}"
        error = ChinwagApiError.from_status(response.status_code, text)
    else:
        error = ChinwagApiError(body.code, body.message, response.status_code)
    error.retry_after = _retry_after(response)
    return error


def websocket_url(base_url: str) -> str:
    """The `/v1/ws` URL on the same host as an API base URL (http -> ws, https -> wss)."""
    parts = urlsplit(base_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + "/v1/ws", "", ""))


class ApiClient:
    """A chinwag HTTP API client for one server and at most one device token.

    `login` stores the token it gets and `logout` forgets it; authenticated calls send
    it as a bearer token. One instance may be used by many tasks at once.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = httpx.AsyncClient(base_url=self.base_url, transport=transport, timeout=timeout)

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- plumbing -------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
        auth: bool = True,
        timeout: float | None = None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if auth and self.token else None
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        try:
            response = await self._http.request(
                method, path, json=json, params=params, headers=headers, **extra
            )
        except httpx.TransportError as exc:
            raise ServerUnreachable(self.base_url, str(exc) or type(exc).__name__) from exc
        if response.status_code >= 400:
            raise error_from_response(response)
        return response

    async def _get(self, path: str, model: type[T], **kw: Any) -> T:
        return _decode(await self._call("GET", path, **kw), model)

    async def _post(self, path: str, body: Any, model: type[T], **kw: Any) -> T:
        return _decode(await self._call("POST", path, json=body, **kw), model)

    # -- accounts -------------------------------------------------------------------

    async def signup(self, username: str, password: str, display_name: str | None = None) -> User:
        body: dict[str, str] = {"username": username, "password": password}
        if display_name is not None:
            body["display_name"] = display_name
        return await self._post("/v1/users", body, User, auth=False)

    async def login(
        self, username: str, password: str, device_name: str | None = None
    ) -> LoginResult:
        """Log in as a new device; the client keeps the new token for later calls."""
        body: dict[str, str] = {"username": username, "password": password}
        if device_name is not None:
            body["device_name"] = device_name
        result = await self._post("/v1/sessions", body, LoginResult, auth=False)
        self.token = result.token
        return result

    async def logout(self) -> None:
        """Revoke this device's token (its sockets close with 4001) and forget it."""
        await self._call("DELETE", "/v1/sessions/current")
        self.token = None

    async def me(self) -> User:
        return await self._get("/v1/me", User)

    async def update_me(
        self,
        *,
        display_name: str | None = None,
        avatar_url: str | None = None,
        status_text: str | None = None,
        group_adds: Literal["friends", "anyone"] | None = None,
    ) -> User:
        """Change the given profile fields; fields left as None stay as they are.
        `group_adds` says who may add this user to groups: only friends, or anyone."""
        fields = (
            ("display_name", display_name),
            ("avatar_url", avatar_url),
            ("status_text", status_text),
            ("group_adds", group_adds),
        )
        body = {name: value for name, value in fields if value is not None}
        return _decode(await self._call("PATCH", "/v1/me", json=body), User)

    async def user(self, user_id: str) -> User:
        return await self._get(f"/v1/users/{_seg(user_id)}", User)

    async def find_user(self, username: str) -> User | None:
        """The user with this username (case-insensitive), or None."""
        found = await self._get("/v1/users", _Users, params={"username": username})
        return found.users[0] if found.users else None

    # -- friends --------------------------------------------------------------------

    async def request_friend(self, user_id: str) -> FriendRequest:
        return await self._post("/v1/friends/requests", {"user_id": user_id}, FriendRequest)

    async def friend_requests(self) -> FriendRequests:
        return await self._get("/v1/friends/requests", FriendRequests)

    async def accept_friend(self, request_id: str) -> User:
        """Accept an incoming request; returns the new friend."""
        path = f"/v1/friends/requests/{_seg(request_id)}/accept"
        return (await self._post(path, None, _Accepted)).friend

    async def decline_friend(self, request_id: str) -> None:
        """Decline an incoming request, or withdraw an outgoing one."""
        await self._call("POST", f"/v1/friends/requests/{_seg(request_id)}/decline")

    async def friends(self) -> list[Friend]:
        return (await self._get("/v1/friends", _Friends)).friends

    async def remove_friend(self, user_id: str) -> None:
        await self._call("DELETE", f"/v1/friends/{_seg(user_id)}")

    # -- channels -------------------------------------------------------------------

    async def open_direct(self, user_id: str, *, encrypted: bool = False) -> Channel:
        """The direct channel with a friend, created on first use."""
        body = {"kind": "direct", "user_id": user_id, "encrypted": encrypted}
        return await self._post("/v1/channels", body, Channel)

    async def create_group(
        self, name: str, member_ids: Iterable[str], *, encrypted: bool = False
    ) -> Channel:
        body: dict[str, Any] = {"kind": "group", "name": name, "member_ids": list(member_ids)}
        if encrypted:
            body["encrypted"] = True
        return await self._post("/v1/channels", body, Channel)

    async def encrypt_channel(self, channel_id: str) -> Channel:
        """Turn on end-to-end encryption (the owner; never off)."""
        path = f"/v1/channels/{_seg(channel_id)}"
        return _decode(await self._call("PATCH", path, json={"encrypted": True}), Channel)

    async def channels(self) -> list[Channel]:
        return (await self._get("/v1/channels", _Channels)).channels

    async def channel(self, channel_id: str) -> Channel:
        return await self._get(f"/v1/channels/{_seg(channel_id)}", Channel)

    async def add_member(self, channel_id: str, user_id: str) -> None:
        path = f"/v1/channels/{_seg(channel_id)}/members"
        await self._call("POST", path, json={"user_id": user_id})

    async def remove_member(self, channel_id: str, user_id: str) -> None:
        """Remove a member (owner or admin), or leave when `user_id` is oneself."""
        await self._call("DELETE", f"/v1/channels/{_seg(channel_id)}/members/{_seg(user_id)}")

    async def history(
        self,
        channel_id: str,
        *,
        before: int | None = None,
        after: int | None = None,
        limit: int | None = None,
    ) -> list[Message]:
        """One page of messages, oldest first: the newest ones unless `after` is given."""
        params = {"before": before, "after": after, "limit": limit}
        query = {k: v for k, v in params.items() if v is not None}
        path = f"/v1/channels/{_seg(channel_id)}/messages"
        return (await self._get(path, _Messages, params=query)).messages

    async def send_http(
        self,
        channel_id: str,
        text: str,
        client_msg_id: str | None = None,
        *,
        reply_to: int | None = None,
        attachment_ids: Iterable[str] = (),
    ) -> Message:
        """Send over HTTP. Retrying with the same `client_msg_id` stores it only once.
        `attachment_ids` are uploads of this user's (`upload`); with any, `text` may be
        empty."""
        body: dict[str, Any] = {"client_msg_id": client_msg_id or uuid.uuid4().hex, "text": text}
        if reply_to is not None:
            body["reply_to"] = reply_to
        ids = list(attachment_ids)
        if ids:
            body["attachment_ids"] = ids
        return await self._post(f"/v1/channels/{_seg(channel_id)}/messages", body, Message)

    async def send_encrypted(
        self,
        channel_id: str,
        encrypted: dict[str, str],
        client_msg_id: str | None = None,
        *,
        attachment_ids: Iterable[str] = (),
    ) -> Message:
        """Send a Megolm-encrypted body (see `chinwag.client.e2ee`) over HTTP;
        `attachment_ids` are the encrypted blobs its content names."""
        body: dict[str, Any] = {
            "client_msg_id": client_msg_id or uuid.uuid4().hex,
            "encrypted": encrypted,
        }
        ids = list(attachment_ids)
        if ids:
            body["attachment_ids"] = ids
        return await self._post(f"/v1/channels/{_seg(channel_id)}/messages", body, Message)

    # -- end-to-end encryption: Matrix-shaped bodies, kept as JSON ------------------------

    async def keys(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """One call of the key, to-device or backup routes (`/v1/keys/...`,
        `/v1/to-device...`); answers are Matrix-shaped JSON."""
        if not path.startswith(("/v1/keys", "/v1/to-device")):
            raise ValueError("only the key, to-device and backup routes")
        response = await self._call(method, path, json=body, params=params or None)
        return None if response.status_code == 204 else response.json()

    async def edit(self, channel_id: str, message_id: int, text: str) -> Message:
        """Replace the text of one's own message."""
        path = f"/v1/channels/{_seg(channel_id)}/messages/{message_id}"
        return _decode(await self._call("PATCH", path, json={"text": text}), Message)

    async def delete_message(self, channel_id: str, message_id: int) -> None:
        """Delete a message (one's own, or any as a group's owner or admin)."""
        await self._call("DELETE", f"/v1/channels/{_seg(channel_id)}/messages/{message_id}")

    async def react(
        self, channel_id: str, message_id: int, emoji: str, *, add: bool = True
    ) -> None:
        """Add (or with `add=False` remove) one's reaction; both are idempotent."""
        path = f"/v1/channels/{_seg(channel_id)}/messages/{message_id}/reactions/{_seg(emoji)}"
        await self._call("PUT" if add else "DELETE", path)

    async def search(
        self,
        q: str,
        *,
        channel_id: str | None = None,
        before: int | None = None,
        limit: int | None = None,
    ) -> list[Message]:
        """Messages one may see that hold every word of `q`, newest first."""
        params = {"q": q, "channel_id": channel_id, "before": before, "limit": limit}
        query = {k: v for k, v in params.items() if v is not None}
        return (await self._get("/v1/search", _Results, params=query)).results

    # -- files --------------------------------------------------------------------------

    async def upload(
        self, path: str | Path, *, name: str | None = None, progress: Progress | None = None
    ) -> Attachment:
        """Upload a file, streamed from disk (never read whole into memory); `progress`
        is called with (bytes sent, total) as it goes."""
        source = Path(path)
        size = (await asyncio.to_thread(source.stat)).st_size
        headers = self._auth()
        headers["Content-Length"] = str(size)
        params = {"filename": name or source.name}
        try:
            response = await self._http.post(
                "/v1/uploads",
                params=params,
                content=files.read_chunks(source, size, progress),
                headers=headers,
                timeout=None,
            )
        except httpx.TransportError as exc:
            raise ServerUnreachable(self.base_url, str(exc) or type(exc).__name__) from exc
        if response.status_code >= 400:
            raise error_from_response(response)
        return _decode(response, Attachment)

    async def download(
        self, attachment_id: str, dest: str | Path, *, progress: Progress | None = None
    ) -> int:
        """Stream an attachment into the file `dest` (written whole, or not at all);
        returns its size."""
        path = f"/v1/attachments/{_seg(attachment_id)}"
        try:
            async with self._http.stream("GET", path, headers=self._auth(), timeout=None) as r:
                if r.status_code >= 400:
                    await r.aread()
                    raise error_from_response(r)
                total = int(r.headers.get("content-length", "0"))
                return await files.write_chunks(
                    r.aiter_bytes(files.CHUNK), Path(dest), total, progress
                )
        except httpx.TransportError as exc:
            raise ServerUnreachable(self.base_url, str(exc) or type(exc).__name__) from exc

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    # -- presence and discovery -------------------------------------------------------

    async def presence(self, user_ids: Iterable[str]) -> list[Presence]:
        ids = ",".join(user_ids)
        return (await self._get("/v1/presence", _PresenceList, params={"user_ids": ids})).presence

    async def discovery(self, *, timeout: float | None = None) -> list[Gateway]:
        """The WebSocket gateways, best first. `timeout` overrides the client's, so a
        reconnect loop is not held up by a dead path for a whole request timeout."""
        found = await self._get("/v1/discovery", _Gateways, auth=False, timeout=timeout)
        return found.gateways


class _Results(msgspec.Struct):
    results: list[Message]


def _decode(response: httpx.Response, model: type[T]) -> T:
    try:
        return msgspec.json.decode(response.content, type=model)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ChinwagApiError(
            "internal", f"unexpected answer from the server: {exc}", response.status_code
        ) from None
