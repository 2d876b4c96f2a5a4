"""The storage engine as a whole: one object per engine holding each aggregate's store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from chinwag.accounts.store import AccountStore
from chinwag.channels.store import ChannelStore
from chinwag.e2ee.store import KeyStore
from chinwag.friends.store import FriendStore
from chinwag.media.store import AttachmentStore
from chinwag.messaging.store import MessageStore
from chinwag.push.keys import SecretStore
from chinwag.push.store import PushStore
from chinwag.safety.store import SafetyStore

Gauge = tuple[str, str, Callable[[], float]]


class Store(Protocol):
    @property
    def accounts(self) -> AccountStore: ...

    @property
    def friends(self) -> FriendStore: ...

    @property
    def channels(self) -> ChannelStore: ...

    @property
    def messages(self) -> MessageStore: ...

    @property
    def push(self) -> PushStore: ...

    @property
    def keys(self) -> KeyStore:
        """End-to-end encryption: key directory, to-device queues, key backup."""
        ...

    @property
    def safety(self) -> SafetyStore:
        """Blocks, mutes, reports, admins, devices and account erasure."""
        ...

    @property
    def attachments(self) -> AttachmentStore:
        """Uploads: their records and the messages that carry them."""
        ...

    @property
    def secrets(self) -> SecretStore:
        """Keys the server makes for itself, shared by every process on this store."""
        ...

    async def start(self) -> None:
        """Connect and apply pending migrations."""
        ...

    async def close(self) -> None: ...

    async def ping(self) -> bool:
        """True when storage answers (for /readyz)."""
        ...

    def gauges(self) -> list[Gauge]:
        """The engine's own counters for /metrics: (name, help, read)."""
        ...
