"""What the safety services need from storage."""

from __future__ import annotations

from typing import Protocol

from chinwag.messaging.models import Message
from chinwag.safety.models import AdminView, DeviceInfo, Erased, Report, Standing


class SafetyStore(Protocol):
    # -- blocks ----------------------------------------------------------------

    async def block(self, blocker_id: str, blocked_id: str, at: int) -> tuple[bool, bool]:
        """Store the block and, in the same transaction, end any friendship and pending
        friend request between the two (their direct channel closes to new messages).
        Returns (newly blocked, were friends)."""
        ...

    async def unblock(self, blocker_id: str, blocked_id: str) -> bool:
        """Remove the block only; nothing it ended comes back. False if there was none."""
        ...

    async def blocked_ids(self, blocker_id: str) -> list[str]: ...

    async def blocks_around(self, user_id: str) -> tuple[list[str], list[str]]:
        """(users `user_id` blocked, users who blocked `user_id`)."""
        ...

    async def blocked_either(self, user_id: str, others: list[str]) -> set[str]:
        """Those of `others` with a block between them and `user_id`, either way."""
        ...

    # -- mutes -----------------------------------------------------------------

    async def set_mute(self, user_id: str, channel_id: str, until: int | None) -> None:
        """Mute until `until` (ms), or forever when None."""
        ...

    async def clear_mute(self, user_id: str, channel_id: str) -> None: ...

    async def mutes_of(self, user_id: str, now: int) -> dict[str, int | None]:
        """The user's channels muted at `now`: channel_id to until (None: forever)."""
        ...

    async def is_muted(self, user_id: str, channel_id: str, now: int) -> bool: ...

    # -- reports ---------------------------------------------------------------

    async def add_report(self, report: Report) -> None: ...

    async def reports(self, limit: int) -> list[Report]:
        """The newest reports first."""
        ...

    # -- standing and admins ---------------------------------------------------

    async def standing(self, user_id: str) -> Standing | None:
        """None for an unknown user."""
        ...

    async def set_admin(self, user_id: str, admin: bool) -> None: ...

    async def set_deactivated(self, user_id: str, at: int | None) -> list[str]:
        """Deactivate at `at` (revoking every device, whose ids are returned, and
        leaving a revocation notice for each), or reactivate when None (no device comes
        back: the user logs in again)."""
        ...

    async def revocation_head(self) -> int:
        """The seq of the newest revocation notice (0 if none)."""
        ...

    async def revocations_after(self, seq: int, limit: int) -> list[tuple[int, str, str]]:
        """(seq, user_id, device_id) of the notices past `seq`, oldest first. Seqs
        become visible in order, so a reader's cursor never passes one yet to commit."""
        ...

    async def find_accounts(self, prefix: str, limit: int) -> list[AdminView]:
        """Accounts whose username starts with `prefix` (case-insensitively)."""
        ...

    # -- devices ---------------------------------------------------------------

    async def devices_of(self, user_id: str) -> list[DeviceInfo]:
        """The user's live (not revoked) devices, oldest first."""
        ...

    async def revoke_own_device(self, user_id: str, device_id: str, at: int) -> bool:
        """Revoke a live device of this user; False if it is not one."""
        ...

    async def touch_device(self, device_id: str, at: int) -> None: ...

    # -- deletion and export ---------------------------------------------------

    async def username_held(self, username_key: str, now: int) -> bool:
        """Whether a deleted account's username is still held back from new signups."""
        ...

    async def erase_account(self, user_id: str, at: int, hold_until: int) -> Erased:
        """In one transaction: revoke every device; erase the profile and password;
        free the username but hold it until `hold_until`; remove friend requests,
        friendships (closing direct channels), blocks either way, mutes and push
        subscriptions. Memberships are ended by the caller, through the channels."""
        ...

    async def own_messages(
        self, user_id: str, channel_id: str, after: int, limit: int
    ) -> list[Message]:
        """A page of the user's own messages in a channel, ascending after `after`."""
        ...
