"""The services of one process, built in app.py and handed to the API and gateway."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chinwag.accounts.service import AccountService
from chinwag.bus.base import Bus
from chinwag.channels.service import ChannelService
from chinwag.clock import Clock
from chinwag.config import Settings
from chinwag.discovery.service import Discovery
from chinwag.friends.service import FriendService
from chinwag.media.service import MediaService
from chinwag.messaging.service import MessagingService
from chinwag.presence.service import PresenceService
from chinwag.store.base import Store


@dataclass
class Services:
    settings: Settings
    clock: Clock
    store: Store
    bus: Bus
    accounts: AccountService
    friends: FriendService
    channels: ChannelService
    messaging: MessagingService
    presence: PresenceService
    discovery: Discovery
    media: MediaService
    # Set when this process runs those roles.
    hub: Any = None
    push: Any = None
    vapid_public_key: str = ""
    push_guard: Any = None  # push.guard.AddressGuard: where push subscriptions may point
