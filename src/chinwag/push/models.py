from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PushKind = Literal["webpush", "fcm", "apns", "webhook"]


@dataclass(frozen=True, slots=True)
class PushSubscription:
    id: str
    user_id: str
    device_id: str
    kind: PushKind
    # webpush: endpoint + keys; webhook: endpoint is the URL; fcm/apns: token.
    endpoint: str = ""
    p256dh: str = ""
    auth: str = ""
    token: str = ""
    created_at: int = 0
