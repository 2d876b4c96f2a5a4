"""What push needs from storage."""

from __future__ import annotations

from typing import Protocol

from chinwag.push.models import PushSubscription


class PushStore(Protocol):
    async def add_subscription(self, sub: PushSubscription) -> None: ...

    async def delete_subscription(self, sub_id: str, user_id: str) -> bool:
        """Delete a user's own subscription; False if it is not theirs or not there."""
        ...

    async def forget_subscription(self, sub_id: str) -> None:
        """Delete a subscription the provider reported gone."""
        ...

    async def subscriptions_of(self, user_id: str) -> list[PushSubscription]: ...

    async def delete_device_subscriptions(self, device_id: str) -> int: ...
