"""What the accounts service needs from storage."""

from __future__ import annotations

from typing import Protocol

from chinwag.accounts.models import Device, NewUser, ProfileChanges, User


class AccountStore(Protocol):
    async def create_user(self, user: NewUser) -> User:
        """Store a new user; raises conflict if the username is taken (case-insensitively)."""
        ...

    async def get_user(self, user_id: str) -> User | None: ...

    async def get_users(self, user_ids: list[str]) -> list[User]: ...

    async def find_user(self, username: str) -> User | None:
        """Look up by username, case-insensitively."""
        ...

    async def password_hash(self, username: str) -> tuple[str, str] | None:
        """(user_id, argon2 hash) for a username, or None."""
        ...

    async def set_password_hash(self, user_id: str, password_hash: str) -> None: ...

    async def update_profile(self, user_id: str, changes: ProfileChanges) -> User: ...

    async def create_device(self, device: Device, token_hash: bytes) -> None: ...

    async def device_for_token(self, token_hash: bytes) -> Device | None:
        """The live (not revoked) device holding this token, if any."""
        ...

    async def revoke_device(self, device_id: str, at: int) -> None: ...

    async def revoke_user_devices(self, user_id: str, at: int, *, keep: str | None) -> list[str]:
        """Revoke every device of a user but `keep`; returns the revoked ids."""
        ...

    async def touch_last_active(self, user_id: str, at: int) -> None: ...
