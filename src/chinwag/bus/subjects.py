"""Every NATS name one chinwag cluster uses, under one namespace. Pure, no I/O.

Two clusters (say staging and production) can share one NATS server when their
namespaces differ: their subjects and their discovery bucket never meet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chinwag.ids import is_token

DEFAULT_NAMESPACE = "chinwag"


@dataclass(frozen=True, slots=True)
class Subjects:
    namespace: str = DEFAULT_NAMESPACE
    user_prefix: str = field(init=False)
    channel_prefix: str = field(init=False)
    push: str = field(init=False)
    presence_updates: str = field(init=False)
    presence_snapshot: str = field(init=False)
    presence_hello: str = field(init=False)
    gateways_bucket: str = field(init=False)

    def __post_init__(self) -> None:
        if not is_token(self.namespace):
            raise ValueError("cluster name may hold only letters, digits, '_' and '-'")
        ns = self.namespace
        # Precomputed: the user prefix is joined on every publish.
        for name, value in (
            ("user_prefix", f"{ns}.u."),
            ("channel_prefix", f"{ns}.c."),
            ("push", f"{ns}.push"),
            ("presence_updates", f"{ns}.presence."),
            ("presence_snapshot", f"{ns}.presence-snapshot."),
            ("presence_hello", f"{ns}.presence-hello"),
            ("gateways_bucket", f"{ns}_gateways"),
        ):
            object.__setattr__(self, name, value)

    def user(self, user_id: str) -> str:
        return self.user_prefix + user_id

    def channel(self, channel_id: str) -> str:
        return self.channel_prefix + channel_id
