"""What the accounts service asks of the account lifecycle (safety/lifecycle.py):
whether an account may log in, whether a username is held back, device activity."""

from __future__ import annotations

from typing import Protocol


class AccountGate(Protocol):
    async def login_refusal(self, user_id: str) -> str | None:
        """Why this account may not log in (shown to the user), or None."""
        ...

    async def username_held(self, username: str) -> bool:
        """A deleted account's username, not yet free for a new signup."""
        ...

    async def device_seen(self, device_id: str) -> None:
        """A device used its token (throttled by the gate)."""
        ...
