"""An async client for chinwag's public contract (docs/protocol.md).

- `ApiClient`: the HTTP API, typed; raises `ChinwagApiError` / `ServerUnreachable`.
- `ChatSession`: a WebSocket session that reconnects, resends and resumes by itself
  and yields typed events; see its docstring for what it guarantees.
- `CursorStore` (`JsonFileCursorStore`, `MemoryCursorStore`): where a session keeps
  its sync position between runs.

    async with ApiClient("http://127.0.0.1:8080") as api:
        await api.login("alice", "correct horse")
        async with ChatSession(api, cursor_store=JsonFileCursorStore("cursor.json")) as s:
            async for event in s.events():
                if isinstance(event, MessageEvent):
                    print(event.message.text)
"""

from chinwag.client.cursor import CursorStore, JsonFileCursorStore, MemoryCursorStore, Position
from chinwag.client.errors import (
    ChinwagApiError,
    ChinwagClientError,
    ProtocolViolation,
    ServerUnreachable,
    SessionClosed,
    Unauthorized,
)
from chinwag.client.events import (
    ChannelEvent,
    Connected,
    Disconnected,
    ErrorEvent,
    Event,
    FriendEvent,
    MessageEvent,
    PresenceEvent,
    ReadEvent,
    ResetEvent,
    SyncedEvent,
    TypingEvent,
    UpdateEvent,
)
from chinwag.client.http import ApiClient
from chinwag.client.models import (
    Ack,
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
from chinwag.client.options import SessionOptions
from chinwag.client.session import ChatSession

__all__ = [
    "Ack",
    "ApiClient",
    "Channel",
    "ChannelEvent",
    "ChatSession",
    "ChinwagApiError",
    "ChinwagClientError",
    "Connected",
    "CursorStore",
    "Disconnected",
    "ErrorEvent",
    "Event",
    "Friend",
    "FriendEvent",
    "FriendRequest",
    "FriendRequests",
    "Gateway",
    "JsonFileCursorStore",
    "LoginResult",
    "MemoryCursorStore",
    "Message",
    "MessageEvent",
    "Position",
    "Presence",
    "PresenceEvent",
    "ProtocolViolation",
    "ReadEvent",
    "ResetEvent",
    "ServerUnreachable",
    "SessionClosed",
    "SessionOptions",
    "SyncedEvent",
    "TypingEvent",
    "Unauthorized",
    "UpdateEvent",
    "User",
]
