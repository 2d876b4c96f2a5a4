"""`E2eeDevice`: a `CryptoMachine` driven against a chinwag server through `ApiClient`.

Sending in an encrypted channel: fetch the members' device keys (verified by the
machine), rotate the channel's group session when due, share its key over Olm with every
device that lacks it (claiming one-time keys for new Olm sessions), then send the
Megolm ciphertext. Receiving: read this device's to-device queue, take room keys from
it, acknowledge, then decrypt channel messages. The state is saved sealed after each
change when a `SealedFile` is given.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import vodozemac as vz

from chinwag.client.e2ee.machine import (
    BACKUP,
    SIGNED_CURVE,
    CryptoMachine,
    Decrypted,
    DecryptionRefused,
    DeviceInfo,
    mxid,
)
from chinwag.client.e2ee.store import SealedFile
from chinwag.client.http import ApiClient
from chinwag.client.models import Message

OTK_TARGET = 50


class E2eeDevice:
    def __init__(
        self,
        api: ApiClient,
        machine: CryptoMachine,
        store: SealedFile | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api = api
        self.machine = machine
        self.store = store
        self.clock = clock
        self.cursor = 0  # the last to-device seq processed
        # Why recent to-device messages were refused (for "cannot decrypt yet" states).
        self.refused: deque[str] = deque(maxlen=50)

    @classmethod
    async def open(
        cls, api: ApiClient, user_id: str, device_id: str, store: SealedFile | None = None
    ) -> E2eeDevice:
        """Load the device's state from `store`, or make new keys and publish them."""
        state = store.load() if store is not None else None
        if store is not None and state is not None:
            device = cls(api, CryptoMachine.unpickle(state["machine"], store.key), store)
            device.cursor = int(state["cursor"])
            return device
        device = cls(api, CryptoMachine(user_id, device_id), store)
        await device.publish()
        return device

    def save(self) -> None:
        if self.store is not None:
            self.store.save({"machine": self.machine.pickle(self.store.key), "cursor": self.cursor})

    async def publish(self, held: int | None = None) -> None:
        """Upload device keys, a fallback key, and one-time keys up to the target."""
        m = self.machine
        if held is None:
            counts = (await self.api.keys("GET", "/v1/keys/counts"))["one_time_key_counts"]
            held = int(counts.get(SIGNED_CURVE, 0))
        body = {
            "device_keys": m.device_keys(),
            "one_time_keys": m.one_time_keys(held, OTK_TARGET),
            "fallback_keys": m.fallback_keys(),
        }
        await self.api.keys("POST", "/v1/keys/upload", body)
        m.mark_published()
        self.save()

    async def top_up(self) -> None:
        """Publish more one-time keys once others claimed half of them (each new Olm
        session with this device uses one; the fallback key stands in meanwhile)."""
        counts = (await self.api.keys("GET", "/v1/keys/counts"))["one_time_key_counts"]
        held = int(counts.get(SIGNED_CURVE, 0))
        if held < OTK_TARGET // 2:
            await self.publish(held)

    async def refresh_devices(self, user_ids: list[str]) -> list[str]:
        """Fetch and verify the devices of these users; returns refused device ids."""
        query: dict[str, Any] = {"device_keys": {mxid(u): [] for u in user_ids}}
        answer = await self.api.keys("POST", "/v1/keys/query", query)
        for user_id in user_ids:  # devices gone from the answer are forgotten
            if mxid(user_id) not in answer.get("device_keys", {}):
                self.machine.forget_user(user_id)
            else:
                known = self.machine.devices.get(user_id, {})
                listed = answer["device_keys"][mxid(user_id)]
                for device_id in [d for d in known if d not in listed]:
                    del known[device_id]
        return self.machine.track(answer)

    # -- to-device ------------------------------------------------------------------------

    async def receive(self) -> int:
        """Process this device's queued to-device messages; returns room keys taken."""
        taken = 0
        while True:
            page = await self.api.keys("GET", "/v1/to-device", after=self.cursor)
            events: list[dict[str, Any]] = page["events"]
            if not events:
                if taken:
                    await self.top_up()
                return taken
            for event in events:
                taken += await self._to_device(event)
                self.cursor = max(self.cursor, int(event["seq"]))
            await self.api.keys("POST", "/v1/to-device/ack", {"seq": self.cursor})
            self.save()

    async def _to_device(self, event: dict[str, Any]) -> int:
        if event.get("type") != "m.room.encrypted":
            return 0
        sender = event["sender"]
        m = self.machine
        if m.device_by_curve(event["content"].get("sender_key", "")) is None:
            await self.refresh_devices([sender[1:].rsplit(":", 1)[0]])
        try:
            kind, content = m.olm_decrypt(sender, event["content"])
        except DecryptionRefused as exc:
            self.refused.append(f"to-device {event['seq']} from {sender}: {exc}")
            return 0
        if kind == "m.room_key" and m.accept_room_key(
            sender, event["content"]["sender_key"], content
        ):
            return 1
        return 0

    # -- channel messages -----------------------------------------------------------------

    async def send(
        self,
        channel_id: str,
        content: dict[str, Any],
        client_msg_id: str | None = None,
        *,
        attachment_ids: Iterable[str] = (),
    ) -> Message:
        """Encrypt `content` (e.g. {"body": "hi"}) for the channel's devices and send it.
        Files: upload blobs of `attachments.encrypt`, name them in `content`
        (`files: [{id, name, mimetype, size, file}]`, as the web client does) and list
        their ids in `attachment_ids`."""
        await self.share_key(channel_id)
        body = self.machine.megolm_encrypt(channel_id, content)
        self.save()
        return await self.api.send_encrypted(
            channel_id, body, client_msg_id, attachment_ids=attachment_ids
        )

    async def share_key(self, channel_id: str) -> int:
        """Rotate the channel's group session if due and give its key to every member
        device that lacks it; returns how many devices got it now."""
        m = self.machine
        channel = await self.api.channel(channel_id)
        members = list(channel.members or ())
        await self.refresh_devices(members)
        devices = [
            d
            for user_id in members
            for d in m.devices.get(user_id, {}).values()
            if (d.user_id, d.device_id) != (m.user_id, m.device_id)
        ]
        now = self.clock()
        if m.rotation_due(channel_id, devices, now):
            m.new_group_session(channel_id, now)
        out = m.outbound[channel_id]
        lacking = [d for d in devices if d.curve25519 not in out.shared_with]
        if not lacking:
            return 0
        await self._open_olm([d for d in lacking if m.needs_olm(d)])
        key = m.room_key(channel_id)
        messages: dict[str, dict[str, Any]] = {}
        reached: list[DeviceInfo] = []
        for d in lacking:
            if m.needs_olm(d):
                continue  # no valid one-time key: it gets the key on a later send
            messages.setdefault(mxid(d.user_id), {})[d.device_id] = m.olm_encrypt(
                d, "m.room_key", key
            )
            reached.append(d)
        if messages:
            txn = uuid.uuid4().hex
            await self.api.keys(
                "PUT", f"/v1/to-device/m.room.encrypted/{txn}", {"messages": messages}
            )
        out.shared_with.update(d.curve25519 for d in reached)
        self.save()
        return len(reached)

    async def _open_olm(self, devices: list[DeviceInfo]) -> None:
        if not devices:
            return
        want: dict[str, dict[str, str]] = {}
        for d in devices:
            want.setdefault(mxid(d.user_id), {})[d.device_id] = SIGNED_CURVE
        claimed = await self.api.keys("POST", "/v1/keys/claim", {"one_time_keys": want})
        for d in devices:
            keys = claimed.get("one_time_keys", {}).get(mxid(d.user_id), {}).get(d.device_id)
            if keys:
                self.machine.start_olm(d, keys)

    async def decrypt(self, message: Message) -> Decrypted:
        """The content of an encrypted message; reads pending room keys first if needed.
        Raises `DecryptionRefused` ("cannot decrypt yet" until a key arrives)."""
        if message.encrypted is None:
            raise DecryptionRefused("not an encrypted message")
        m = self.machine
        if message.sender_id not in m.devices or message.encrypted.get("session_id") not in (
            m.inbound
        ):
            await self.receive()
            await self.refresh_devices([message.sender_id])
        result = m.megolm_decrypt(
            message.channel_id, message.message_id, message.sender_id, message.encrypted
        )
        self.save()
        return result

    # -- key backup -----------------------------------------------------------------------

    async def create_backup(self) -> str:
        """Start a new backup version; returns the recovery key (keep it safe: without
        it the backup cannot be read by anyone, the server included)."""
        secret = vz.Curve25519SecretKey()
        public = secret.public_key().to_base64()
        await self.api.keys(
            "PUT", "/v1/keys/backup", {"algorithm": BACKUP, "auth_data": {"public_key": public}}
        )
        return secret.to_base64()

    async def back_up(self) -> int:
        """Upload every session key this device holds, encrypted to the backup key."""
        info = await self.api.keys("GET", "/v1/keys/backup")
        rooms = self.machine.backup_sessions(info["auth_data"]["public_key"])
        body = {
            "version": info["version"],
            "rooms": {r: {"sessions": sessions} for r, sessions in rooms.items()},
        }
        answer = await self.api.keys("PUT", "/v1/keys/backup/keys", body)
        return int(answer["count"])

    async def restore(self, recovery_key: str) -> int:
        info = await self.api.keys("GET", "/v1/keys/backup")
        keys = await self.api.keys("GET", "/v1/keys/backup/keys", version=info["version"])
        taken = self.machine.restore_backup(recovery_key, keys["rooms"])
        self.save()
        return taken
