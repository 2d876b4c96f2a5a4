"""The services of one process, built in app.py and handed to the HTTP API.

The gateway gets its own narrower set (gateway/hub.py) from app.py too; nothing here is
filled in after construction.
"""

from __future__ import annotations

from dataclasses import dataclass

from chinwag.accounts.service import AccountService
from chinwag.bus.base import Bus
from chinwag.channels.service import ChannelService
from chinwag.clock import Clock
from chinwag.config import Settings
from chinwag.discovery.service import Discovery
from chinwag.e2ee.service import E2eeService
from chinwag.friends.service import FriendService
from chinwag.media.service import MediaService
from chinwag.messaging.changes import ChangeService
from chinwag.messaging.service import MessagingService
from chinwag.presence.service import PresenceService
from chinwag.push.service import PushService
from chinwag.safety.admin import AdminService
from chinwag.safety.blocks import BlockService
from chinwag.safety.lifecycle import LifecycleService
from chinwag.safety.mutes import MuteService
from chinwag.safety.reports import ReportService
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
    changes: ChangeService
    push: PushService
    e2ee: E2eeService
    blocks: BlockService
    mutes: MuteService
    reports: ReportService
    admin: AdminService
    lifecycle: LifecycleService
    media: MediaService
