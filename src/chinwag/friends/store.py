"""What the friends service needs from storage."""

from __future__ import annotations

from typing import Protocol

from chinwag.friends.models import FriendRequest


class FriendStore(Protocol):
    async def create_request(self, request: FriendRequest) -> FriendRequest:
        """Store a request atomically; raises conflict if the two are already friends or a
        request between them (either direction) is pending."""
        ...

    async def get_request(self, request_id: str) -> FriendRequest | None: ...

    async def requests_of(self, user_id: str) -> tuple[list[FriendRequest], list[FriendRequest]]:
        """(incoming, outgoing), oldest first."""
        ...

    async def accept_request(self, request: FriendRequest, at: int) -> None:
        """Delete the request and make the two friends, in one transaction, which also
        reopens their direct channel (if they have one) to new messages."""
        ...

    async def delete_request(self, request_id: str) -> bool: ...

    async def friend_ids(self, user_id: str) -> list[str]: ...

    async def are_friends(self, a: str, b: str) -> bool: ...

    async def remove_friend(self, a: str, b: str) -> bool:
        """End the friendship; their direct channel closes to new messages in the same
        transaction, so no send committed after it lands there. False if not friends."""
        ...
