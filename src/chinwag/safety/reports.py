"""Reports of messages to the server's admins."""

from __future__ import annotations

from chinwag.channels.service import ChannelService
from chinwag.clock import Clock, now_ms
from chinwag.errors import ChinwagError, Code, invalid, not_found
from chinwag.ids import new_id
from chinwag.messaging.service import MessagingService
from chinwag.safety.models import Report
from chinwag.safety.store import SafetyStore

MAX_REASON = 1000


class ReportService:
    def __init__(
        self,
        store: SafetyStore,
        channels: ChannelService,
        messaging: MessagingService,
        clock: Clock,
    ) -> None:
        self._store = store
        self._channels = channels
        self._messaging = messaging
        self._clock = clock

    async def report(
        self, reporter_id: str, channel_id: str, message_id: int, reason: str
    ) -> Report:
        reason = reason.strip()
        if not 1 <= len(reason) <= MAX_REASON:
            raise invalid(f"reason must be 1 to {MAX_REASON} characters")
        # A message the reporter cannot see is answered exactly as an unknown one.
        try:
            await self._channels.member(channel_id, reporter_id)
        except ChinwagError as exc:
            if exc.code in (Code.FORBIDDEN, Code.NOT_FOUND):
                raise not_found("no such message") from None
            raise
        page = await self._messaging.history(
            channel_id, before=None, after=max(0, message_id - 1), limit=1
        )
        if not page or page[0].message_id != message_id:
            raise not_found("no such message")
        m = page[0]
        report = Report(
            new_id("r"),
            reporter_id,
            channel_id,
            message_id,
            m.sender_id,
            m.text,
            reason,
            now_ms(self._clock),
        )
        await self._store.add_report(report)
        return report
