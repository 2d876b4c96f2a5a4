"""Address guards for push tests, whose stand-in providers listen on loopback."""

from __future__ import annotations

from chinwag.push.guard import AddressGuard, AddressPolicy

# Every address permitted: the senders still resolve and connect through the guard.
LOCAL = AddressGuard(AddressPolicy(allow_private=True))
