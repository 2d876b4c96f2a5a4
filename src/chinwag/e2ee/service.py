"""The key directory, to-device queues, device-list notices and key backup.

Authorisation: a user may read the keys of, claim keys of, and send to-device messages
to themselves, their friends, and anyone they share a channel with; nobody else exists
for these calls (they are left out of answers, as Matrix does). Every body is checked
for shape and size here; the keys themselves are checked by clients, which verify every
signature (the server holds no key that could decrypt anything).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from chinwag import wire
from chinwag.channels.models import Channel
from chinwag.clock import Clock, now_ms
from chinwag.e2ee.models import (
    KEY_ALGORITHMS,
    Backup,
    BackupKey,
    DeviceKeysView,
    KeyLimits,
    QueueFull,
    SignedKey,
    ToDeviceEvent,
    matrix_id,
    user_of,
)
from chinwag.e2ee.store import KeyStore
from chinwag.errors import conflict, invalid, not_found, rate_limited
from chinwag.events import ForDevice, Publisher

MAX_ID = 255  # event types, txn ids, key ids, room and session ids


def _json(raw: msgspec.Raw) -> str:
    return bytes(raw).decode()


def _is_object(raw: msgspec.Raw) -> bool:
    return bytes(raw).lstrip()[:1] == b"{"


def to_device_frame(device_id: str, event: ToDeviceEvent) -> bytes:
    """The `to_device` frame of one queued message for `device_id`."""
    return wire.frame(
        "to_device",
        device_id=device_id,
        seq=event.seq,
        sender=matrix_id(event.sender_id),
        sender_device=event.sender_device,
        event_type=event.type,
        content=msgspec.Raw(event.content.encode()),
    )


class E2eeService:
    def __init__(self, store: KeyStore, bus: Publisher, clock: Clock, limits: KeyLimits) -> None:
        self._store = store
        self._bus = bus
        self._clock = clock
        self.limits = limits

    # -- the key directory ---------------------------------------------------------------

    async def upload(
        self,
        user_id: str,
        device_id: str,
        device_keys: msgspec.Raw | None,
        one_time_keys: dict[str, msgspec.Raw],
        fallback_keys: dict[str, msgspec.Raw],
    ) -> dict[str, int]:
        lim = self.limits
        stored_keys: str | None = None
        if device_keys is not None:
            stored_keys = self._check_device_keys(user_id, device_id, device_keys)
        if len(one_time_keys) > lim.max_one_time_keys_per_upload:
            raise invalid(f"at most {lim.max_one_time_keys_per_upload} one-time keys per upload")
        one_time = [self._signed(k, v, "one_time_keys") for k, v in one_time_keys.items()]
        fallback = [self._signed(k, v, "fallback_keys") for k, v in fallback_keys.items()]
        if len({k.algorithm for k in fallback}) != len(fallback):
            raise invalid("one fallback key per algorithm")
        outcome = await self._store.upload(
            user_id,
            device_id,
            stored_keys,
            one_time,
            fallback,
            now_ms(self._clock),
            lim.max_one_time_keys_stored,
        )
        if outcome is None:
            raise invalid(f"a device holds at most {lim.max_one_time_keys_stored} one-time keys")
        counts, changed = outcome
        if changed:
            audience = await self._store.audience(user_id)
            self._bus.to_users(
                audience, wire.frame("device_lists", changed=[matrix_id(user_id)], left=[])
            )
        return counts

    def _check_device_keys(self, user_id: str, device_id: str, raw: msgspec.Raw) -> str:
        if len(raw) > self.limits.max_key_bytes:
            raise invalid("device_keys is too large")
        try:
            view = msgspec.json.decode(raw, type=DeviceKeysView)
        except (msgspec.ValidationError, msgspec.DecodeError):
            raise invalid("device_keys needs user_id, device_id, algorithms and keys") from None
        if view.user_id != matrix_id(user_id) or view.device_id != device_id:
            raise invalid("device_keys must name the caller's user and device")
        for kind in ("curve25519", "ed25519"):
            if not view.keys.get(f"{kind}:{device_id}"):
                raise invalid(f"device_keys.keys needs {kind}:{device_id}")
        return _json(raw)

    def _signed(self, key_id: str, raw: msgspec.Raw, field: str) -> SignedKey:
        algorithm, sep, name = key_id.partition(":")
        if not sep or not name or algorithm not in KEY_ALGORITHMS or len(key_id) > MAX_ID:
            raise invalid(f"{field}: key ids are <algorithm>:<id> of a known algorithm")
        if len(raw) > self.limits.max_key_bytes:
            raise invalid(f"{field}: a key is too large")
        return SignedKey(key_id, algorithm, _json(raw))

    async def key_counts(self, device_id: str) -> tuple[dict[str, int], list[str]]:
        return await self._store.key_counts(device_id)

    async def _visible(self, user_id: str, mxids: list[str]) -> dict[str, str]:
        """mxid -> user id of those the caller may see."""
        if len(mxids) > self.limits.max_users_per_request:
            raise invalid(f"at most {self.limits.max_users_per_request} users per request")
        wanted = {m: u for m in mxids if (u := user_of(m)) is not None}
        allowed = await self._store.related(user_id, sorted(set(wanted.values())))
        return {m: u for m, u in wanted.items() if u in allowed}

    async def query(self, user_id: str, users: dict[str, list[str]]) -> dict[str, Any]:
        visible = await self._visible(user_id, list(users))
        found = await self._store.device_keys(sorted(set(visible.values())))
        by_user: dict[str, dict[str, msgspec.Raw]] = {}
        for owner, device_id, body in found:
            mxid = matrix_id(owner)
            only = users.get(mxid) or []
            if only and device_id not in only:
                continue
            by_user.setdefault(mxid, {})[device_id] = msgspec.Raw(body.encode())
        return {"device_keys": by_user, "failures": {}}

    async def claim(self, user_id: str, wanted: dict[str, dict[str, str]]) -> dict[str, Any]:
        visible = await self._visible(user_id, list(wanted))
        n = sum(len(devices) for devices in wanted.values())
        if n > self.limits.max_devices_per_request:
            raise invalid(f"at most {self.limits.max_devices_per_request} devices per request")
        owned = await self._store.devices_of(sorted(set(visible.values())))
        asks: list[tuple[str, str, str]] = []
        for mxid, devices in wanted.items():
            owner = visible.get(mxid)
            if owner is None:
                continue
            mine = set(owned.get(owner, ()))
            for device_id, algorithm in devices.items():
                if device_id in mine and algorithm in KEY_ALGORITHMS:
                    asks.append((owner, device_id, algorithm))
        claimed = await self._store.claim(asks)
        out: dict[str, dict[str, dict[str, msgspec.Raw]]] = {}
        for key in claimed:
            out.setdefault(matrix_id(key.user_id), {}).setdefault(key.device_id, {})[key.key_id] = (
                msgspec.Raw(key.body.encode())
            )
        for key in claimed:
            await self._tell_counts(key.user_id, key.device_id)
        return {"one_time_keys": out, "failures": {}}

    async def _tell_counts(self, user_id: str, device_id: str) -> None:
        counts, unused = await self._store.key_counts(device_id)
        self._bus.to_user(
            user_id,
            wire.frame(
                "keys_count",
                device_id=device_id,
                one_time_key_counts=counts,
                unused_fallback_key_types=unused,
            ),
        )

    # -- to-device -----------------------------------------------------------------------

    async def send_to_device(
        self,
        user_id: str,
        device_id: str,
        event_type: str,
        txn_id: str,
        messages: dict[str, dict[str, msgspec.Raw]],
    ) -> None:
        lim = self.limits
        if not 1 <= len(event_type) <= MAX_ID or not 1 <= len(txn_id) <= MAX_ID:
            raise invalid(f"event type and txn_id are 1 to {MAX_ID} characters")
        visible = await self._visible(user_id, list(messages))
        owned = await self._store.devices_of(sorted(set(visible.values())))
        targets: list[tuple[str, str, str]] = []  # (user, device, content)
        for mxid, per_device in messages.items():
            owner = visible.get(mxid)
            if owner is None:
                continue
            devices = set(owned.get(owner, ()))
            for target, raw in per_device.items():
                if len(raw) > lim.max_content_bytes or not _is_object(raw):
                    raise invalid("each content is a JSON object of at most 64 KiB")
                chosen = devices if target == "*" else devices & {target}
                targets.extend((owner, d, _json(raw)) for d in sorted(chosen))
        if len(targets) > lim.max_devices_per_request:
            raise invalid(f"at most {lim.max_devices_per_request} devices per request")
        try:
            queued = await self._store.put_to_device(
                user_id,
                device_id,
                txn_id,
                event_type,
                [(d, content) for _, d, content in targets],
                now_ms(self._clock),
                max_pending=lim.max_pending_to_device,
                txn_keep_ms=lim.txn_keep_ms,
            )
        except QueueFull:
            raise rate_limited(5.0) from None
        if queued is None:
            return  # a repeat of a stored txn_id: delivered already
        for (owner, target, content), (_, seq) in zip(targets, queued, strict=True):
            event = ToDeviceEvent(seq, user_id, device_id, event_type, content)
            self._bus.control(owner, ForDevice(target, to_device_frame(target, event)))

    async def pending(self, device_id: str, after: int, limit: int) -> list[ToDeviceEvent]:
        return await self._store.to_device_after(device_id, after, limit)

    async def ack(self, device_id: str, seq: int) -> None:
        await self._store.ack_to_device(device_id, seq)

    # -- device lists when devices or channels change ------------------------------------

    async def audience(self, user_id: str) -> list[str]:
        """Who hears about the user's devices (read before an account is erased, since
        erasing ends the friendships that make up part of it)."""
        return await self._store.audience(user_id)

    def devices_changed(self, user_id: str, audience: Iterable[str]) -> None:
        """Some of the user's devices were logged out: whoever encrypts to them queries
        keys again (and stops encrypting to the logged-out ones)."""
        self._bus.to_users(
            audience, wire.frame("device_lists", changed=[matrix_id(user_id)], left=[])
        )

    async def members_changed(self, channel: Channel, user_id: str, joined: bool) -> None:
        """A member joined or left an encrypted channel: its members query keys again
        (a joiner's devices must get the room keys; a leaver's must stop getting them)."""
        members = [m for m in channel.members or () if m != user_id]
        who = matrix_id(user_id)
        if joined:
            self._bus.to_users(members, wire.frame("device_lists", changed=[who], left=[]))
            self._bus.to_user(
                user_id,
                wire.frame("device_lists", changed=[matrix_id(m) for m in members], left=[]),
            )
            return
        still = await self._store.related(user_id, members)
        gone = [m for m in members if m not in still]
        stay = [m for m in members if m in still]
        self._bus.to_users(gone, wire.frame("device_lists", changed=[], left=[who]))
        self._bus.to_users(stay, wire.frame("device_lists", changed=[who], left=[]))

    # -- key backup ----------------------------------------------------------------------

    async def get_backup(self, user_id: str) -> Backup:
        backup = await self._store.get_backup(user_id)
        if backup is None:
            raise not_found("no key backup")
        return backup

    async def new_backup(self, user_id: str, algorithm: str, auth_data: msgspec.Raw) -> int:
        if not 1 <= len(algorithm) <= MAX_ID:
            raise invalid("algorithm is 1 to 255 characters")
        if len(auth_data) > self.limits.max_key_bytes or not _is_object(auth_data):
            raise invalid("auth_data is a JSON object of at most 4 KiB")
        return await self._store.new_backup(user_id, algorithm, _json(auth_data))

    async def put_backup_keys(
        self, user_id: str, version: int, rooms: dict[str, dict[str, msgspec.Raw]]
    ) -> int:
        lim = self.limits
        keys: list[BackupKey] = []
        for room_id, sessions in rooms.items():
            for session_id, raw in sessions.items():
                if not 1 <= len(room_id) <= MAX_ID or not 1 <= len(session_id) <= MAX_ID:
                    raise invalid("room and session ids are 1 to 255 characters")
                if len(raw) > lim.max_backup_body_bytes or not _is_object(raw):
                    raise invalid("each session key is a JSON object of at most 16 KiB")
                keys.append(BackupKey(room_id, session_id, _json(raw)))
        if len(keys) > lim.max_backup_sessions_per_request:
            raise invalid(f"at most {lim.max_backup_sessions_per_request} sessions per request")
        current = await self._store.get_backup(user_id)
        if current is None or current.version != version:
            raise conflict("not the current backup version")
        count = await self._store.put_backup_keys(user_id, version, keys, lim.max_backup_sessions)
        if count is None:
            raise conflict("the backup changed, or is full")
        return count

    async def backup_keys(self, user_id: str, version: int) -> list[BackupKey]:
        current = await self._store.get_backup(user_id)
        if current is None or current.version != version:
            raise not_found("no such backup version")
        return await self._store.backup_keys(user_id, version)
