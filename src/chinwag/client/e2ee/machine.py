"""One device's end-to-end encryption state and rules, with no I/O.

Checks made on everything decrypted (any failure raises `DecryptionRefused`):
- Device keys count only with a valid self-signature of the device's Ed25519 key, and
  a device's keys never change once seen (a changed key is refused as tampering).
- One-time keys count only when signed by the device they were claimed for.
- Olm: the message is for our Curve25519 key; the payload names us as recipient with
  our Ed25519 key, names the server-attested sender, and claims the Ed25519 key of the
  known device that owns the sending Curve25519 key.
- Room keys come only over Olm; the session is bound to the device that sent it.
- Megolm: the session is known for this channel; the device that owns it belongs to the
  server-attested sender of the message (a forged sender is refused); the payload names
  this channel; one (session, index) decrypts one message id only (replays refused).
  Keys restored from the backup decrypt as unauthenticated (`Decrypted.authenticated`
  false): anyone holding the backup's public key, the server included, could have
  written them; a device logged out since is accepted only for those.

Outbound group sessions rotate after `ROTATE_MESSAGES` messages, after `ROTATE_SECONDS`,
and whenever a device that had the session is no longer among the channel's devices
(a member or device left), so those who left cannot read what follows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

import vodozemac as vz

from chinwag.client.e2ee import canonical

OLM = "m.olm.v1.curve25519-aes-sha2"
MEGOLM = "m.megolm.v1.aes-sha2"
BACKUP = "m.megolm_backup.v1.curve25519-aes-sha2"
SIGNED_CURVE = "signed_curve25519"
ROTATE_MESSAGES = 100
ROTATE_SECONDS = 7 * 24 * 3600.0


def mxid(user_id: str) -> str:
    return f"@{user_id}:chinwag"


def room_id(channel_id: str) -> str:
    return f"!{channel_id}:chinwag"


class DecryptionRefused(Exception):
    """A payload that cannot be decrypted, or that fails a check: never shown as sent."""


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    user_id: str  # chinwag user id
    device_id: str
    curve25519: str
    ed25519: str
    keys: dict[str, Any]  # the signed device_keys object


@dataclass(slots=True)
class Outbound:
    session: vz.GroupSession
    created_at: float
    sent: int
    shared_with: set[str]  # curve25519 keys of the devices that have it


@dataclass(slots=True)
class Inbound:
    session: vz.InboundGroupSession
    channel_id: str
    sender_key: str  # the owning device's curve25519 key
    ed25519: str
    user_id: str
    device_id: str
    from_backup: bool = False


@dataclass(frozen=True, slots=True)
class Decrypted:
    content: dict[str, Any]
    # False when the key came from the backup, whose writer the backup cannot prove.
    authenticated: bool


class CryptoMachine:
    def __init__(self, user_id: str, device_id: str, account: vz.Account | None = None) -> None:
        self.user_id = user_id
        self.device_id = device_id
        self.account = account or vz.Account()
        self.devices: dict[str, dict[str, DeviceInfo]] = {}  # user -> device -> info
        self.olm: dict[str, list[vz.Session]] = {}  # their curve25519 -> sessions
        self.outbound: dict[str, Outbound] = {}  # channel -> session
        self.inbound: dict[str, Inbound] = {}  # session_id -> session
        self.seen: dict[str, str] = {}  # "session_id|index" -> "channel|message_id"

    # -- our keys -------------------------------------------------------------------------

    @property
    def curve25519(self) -> str:
        return self.account.curve25519_key.to_base64()

    @property
    def ed25519(self) -> str:
        return self.account.ed25519_key.to_base64()

    def device_keys(self) -> dict[str, Any]:
        keys: dict[str, Any] = {
            "user_id": mxid(self.user_id),
            "device_id": self.device_id,
            "algorithms": [OLM, MEGOLM],
            "keys": {
                f"curve25519:{self.device_id}": self.curve25519,
                f"ed25519:{self.device_id}": self.ed25519,
            },
        }
        canonical.sign(self.account, mxid(self.user_id), self.device_id, keys)
        return keys

    def one_time_keys(self, held: int, target: int = 50) -> dict[str, Any]:
        """Signed one-time keys to bring the server's count up to `target`."""
        wanted = max(0, target - held)
        if wanted:
            self.account.generate_one_time_keys(wanted)
        out: dict[str, Any] = {}
        for key_id, key in self.account.one_time_keys.items():
            obj: dict[str, Any] = {"key": key.to_base64()}
            canonical.sign(self.account, mxid(self.user_id), self.device_id, obj)
            out[f"{SIGNED_CURVE}:{key_id}"] = obj
        return out

    def fallback_keys(self) -> dict[str, Any]:
        account = cast(Any, self.account)  # not in vodozemac's type stubs
        account.generate_fallback_key()
        out: dict[str, Any] = {}
        for key_id, key in account.fallback_key.items():
            obj: dict[str, Any] = {"key": key.to_base64(), "fallback": True}
            canonical.sign(self.account, mxid(self.user_id), self.device_id, obj)
            out[f"{SIGNED_CURVE}:{key_id}"] = obj
        return out

    def mark_published(self) -> None:
        self.account.mark_keys_as_published()

    # -- other devices --------------------------------------------------------------------

    def track(self, query: dict[str, Any]) -> list[str]:
        """Take a keys/query answer; returns the devices refused (bad or changed keys)."""
        refused: list[str] = []
        for user, devices in query.get("device_keys", {}).items():
            if not user.startswith("@") or not user.endswith(":chinwag"):
                continue
            user_id = user[1:-8]
            known = self.devices.setdefault(user_id, {})
            for device_id, keys in devices.items():
                info = _device_info(user_id, device_id, keys)
                if info is None:
                    refused.append(device_id)
                    continue
                old = known.get(device_id)
                if old is not None and (old.curve25519, old.ed25519) != (
                    info.curve25519,
                    info.ed25519,
                ):
                    refused.append(device_id)  # keys of a device never change
                    continue
                known[device_id] = info
        return refused

    def forget_user(self, user_id: str) -> None:
        self.devices.pop(user_id, None)

    def device_by_curve(self, curve: str) -> DeviceInfo | None:
        for devices in self.devices.values():
            for info in devices.values():
                if info.curve25519 == curve:
                    return info
        return None

    def needs_olm(self, device: DeviceInfo) -> bool:
        return not self.olm.get(device.curve25519)

    def start_olm(self, device: DeviceInfo, claimed: dict[str, Any]) -> bool:
        """Open an Olm session with a claimed one-time (or fallback) key, if it carries a
        valid signature of that device."""
        for key_id, obj in claimed.items():
            if not key_id.startswith(SIGNED_CURVE + ":") or not isinstance(obj, dict):
                continue
            if not canonical.verify(obj, mxid(device.user_id), device.device_id, device.ed25519):
                continue
            session = self.account.create_outbound_session(
                vz.Curve25519PublicKey.from_base64(device.curve25519),
                vz.Curve25519PublicKey.from_base64(obj["key"]),
            )
            self.olm.setdefault(device.curve25519, []).insert(0, session)
            return True
        return False

    # -- Olm: to-device -------------------------------------------------------------------

    def olm_encrypt(
        self, device: DeviceInfo, event_type: str, content: dict[str, Any]
    ) -> dict[str, Any]:
        sessions = self.olm.get(device.curve25519)
        if not sessions:
            raise KeyError(f"no Olm session with {device.device_id}")
        payload = {
            "type": event_type,
            "content": content,
            "sender": mxid(self.user_id),
            "sender_device": self.device_id,
            "keys": {"ed25519": self.ed25519},
            "recipient": mxid(device.user_id),
            "recipient_keys": {"ed25519": device.ed25519},
        }
        kind, body = sessions[0].encrypt(canonical.canonical(payload)).to_parts()
        return {
            "algorithm": OLM,
            "sender_key": self.curve25519,
            "ciphertext": {device.curve25519: {"type": kind, "body": canonical.unpadded_b64(body)}},
        }

    def olm_decrypt(self, sender: str, content: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Decrypt a to-device message whose server-attested sender is `sender` (an
        mxid); returns (type, content) of the payload after every check."""
        if content.get("algorithm") != OLM:
            raise DecryptionRefused("not an Olm message")
        sender_key = content.get("sender_key")
        mine = content.get("ciphertext", {}).get(self.curve25519)
        if not isinstance(sender_key, str) or not isinstance(mine, dict):
            raise DecryptionRefused("not for this device")
        try:
            message = vz.AnyOlmMessage.from_parts(
                int(mine["type"]), canonical.b64decode(mine["body"])
            )
        except (KeyError, TypeError, ValueError):
            raise DecryptionRefused("malformed Olm message") from None
        plaintext = self._olm_plaintext(sender_key, message)
        try:
            payload = json.loads(plaintext)
        except ValueError:
            raise DecryptionRefused("payload is not JSON") from None
        device = self.device_by_curve(sender_key)
        if (
            not isinstance(payload, dict)
            or payload.get("sender") != sender
            or payload.get("recipient") != mxid(self.user_id)
            or payload.get("recipient_keys", {}).get("ed25519") != self.ed25519
            or device is None
            or mxid(device.user_id) != sender
            or payload.get("sender_device", device.device_id) != device.device_id
            or payload.get("keys", {}).get("ed25519") != device.ed25519
            or not isinstance(payload.get("content"), dict)
            or not isinstance(payload.get("type"), str)
        ):
            raise DecryptionRefused("the Olm payload fails its checks")
        return payload["type"], payload["content"]

    def _olm_plaintext(self, sender_key: str, message: vz.AnyOlmMessage) -> bytes:
        sessions = self.olm.setdefault(sender_key, [])
        pre_key = message.to_pre_key()
        for session in sessions:
            if pre_key is not None and not session.session_matches(pre_key):
                continue
            try:
                return session.decrypt(message)
            except vz.OlmDecryptionException:
                continue
        if pre_key is None:
            raise DecryptionRefused("no Olm session decrypts this message")
        try:
            session, plaintext = self.account.create_inbound_session(
                vz.Curve25519PublicKey.from_base64(sender_key), pre_key
            )
        except (vz.SessionCreationException, vz.KeyException, vz.DecodeException):
            raise DecryptionRefused("cannot open an Olm session") from None
        sessions.insert(0, session)
        return plaintext

    # -- Megolm: room keys and messages ---------------------------------------------------

    def accept_room_key(self, sender: str, sender_key: str, content: dict[str, Any]) -> bool:
        """An `m.room_key` that came out of `olm_decrypt` from `sender` / `sender_key`."""
        device = self.device_by_curve(sender_key)
        if content.get("algorithm") != MEGOLM or device is None or mxid(device.user_id) != sender:
            return False
        rid, session_id = content.get("room_id", ""), content.get("session_id")
        if not rid.startswith("!") or not rid.endswith(":chinwag"):
            return False
        try:
            session = vz.InboundGroupSession(vz.SessionKey(content["session_key"]))
        except (KeyError, ValueError):
            return False
        if session.session_id != session_id:
            return False
        self.inbound.setdefault(
            session_id,
            Inbound(
                session,
                rid[1:-8],
                sender_key,
                device.ed25519,
                device.user_id,
                device.device_id,
            ),
        )
        return True

    def rotation_due(self, channel_id: str, devices: list[DeviceInfo], now: float) -> bool:
        out = self.outbound.get(channel_id)
        if out is None:
            return True
        current = {d.curve25519 for d in devices}
        return (
            out.sent >= ROTATE_MESSAGES
            or now - out.created_at >= ROTATE_SECONDS
            or not out.shared_with <= current
        )

    def new_group_session(self, channel_id: str, now: float) -> Outbound:
        session = vz.GroupSession()
        out = self.outbound[channel_id] = Outbound(session, now, 0, set())
        # Our own copy, so this device reads its own messages (and backs them up).
        self.inbound[session.session_id] = Inbound(
            vz.InboundGroupSession(session.session_key),
            channel_id,
            self.curve25519,
            self.ed25519,
            self.user_id,
            self.device_id,
        )
        return out

    def room_key(self, channel_id: str) -> dict[str, Any]:
        out = self.outbound[channel_id]
        return {
            "algorithm": MEGOLM,
            "room_id": room_id(channel_id),
            "session_id": out.session.session_id,
            "session_key": out.session.session_key.to_base64(),
        }

    def megolm_encrypt(self, channel_id: str, content: dict[str, Any]) -> dict[str, str]:
        out = self.outbound[channel_id]
        plain = {"type": "m.room.message", "content": content, "room_id": room_id(channel_id)}
        message = out.session.encrypt(canonical.canonical(plain))
        out.sent += 1
        return {
            "algorithm": MEGOLM,
            "sender_key": self.curve25519,
            "device_id": self.device_id,
            "session_id": out.session.session_id,
            "ciphertext": message.to_base64(),
        }

    def megolm_decrypt(
        self, channel_id: str, message_id: int, sender_id: str, body: dict[str, Any]
    ) -> Decrypted:
        """A channel message's `encrypted` body; `sender_id` is what the server says."""
        if body.get("algorithm") != MEGOLM:
            raise DecryptionRefused("not a Megolm message")
        inbound = self.inbound.get(str(body.get("session_id")))
        if inbound is None:
            raise DecryptionRefused("no key for this session (yet)")
        if inbound.from_backup and not inbound.user_id:
            self._bind_owner(inbound, sender_id, str(body.get("device_id")))
        if (
            inbound.channel_id != channel_id
            or inbound.sender_key != body.get("sender_key")
            or inbound.device_id != body.get("device_id")
            or inbound.user_id != sender_id
        ):
            raise DecryptionRefused("the session does not belong to this sender and channel")
        owner = self.devices.get(sender_id, {}).get(inbound.device_id)
        ours = (inbound.user_id, inbound.device_id) == (self.user_id, self.device_id)
        # A key from the backup may belong to a device logged out since: it is used, but
        # its messages are shown as unauthenticated (the backup cannot prove its writer).
        gone = owner is None and inbound.from_backup
        if not ours and not gone and (owner is None or owner.curve25519 != inbound.sender_key):
            raise DecryptionRefused("the sending device is not a known device of the sender")
        try:
            decrypted = inbound.session.decrypt(vz.MegolmMessage.from_base64(body["ciphertext"]))
        except (KeyError, ValueError):
            raise DecryptionRefused("Megolm decryption failed") from None
        mark = f"{inbound.session.session_id}|{decrypted.message_index}"
        where = f"{channel_id}|{message_id}"
        if self.seen.setdefault(mark, where) != where:
            raise DecryptionRefused("a replayed Megolm message index")
        try:
            payload = json.loads(decrypted.plaintext)
        except ValueError:
            raise DecryptionRefused("payload is not JSON") from None
        if (
            not isinstance(payload, dict)
            or payload.get("room_id") != room_id(channel_id)
            or not isinstance(payload.get("content"), dict)
        ):
            raise DecryptionRefused("the payload names another channel")
        return Decrypted(payload["content"], not inbound.from_backup)

    def _bind_owner(self, inbound: Inbound, sender_id: str, device_id: str) -> None:
        """A backed-up key without its owner (as matrix-sdk-crypto, the web client's
        library, writes them) belongs to the known device whose curve25519 key it names."""
        owner = self.devices.get(sender_id, {}).get(device_id)
        if owner is not None and owner.curve25519 == inbound.sender_key:
            inbound.user_id, inbound.device_id = sender_id, device_id

    # -- key backup -----------------------------------------------------------------------

    def backup_sessions(self, public_key: str) -> dict[str, dict[str, Any]]:
        """Every inbound session, encrypted to the backup key: {room: {session: data}}."""
        pk = vz.PkEncryption.from_key(vz.Curve25519PublicKey.from_base64(public_key))
        rooms: dict[str, dict[str, Any]] = {}
        for session_id, inbound in self.inbound.items():
            first = inbound.session.first_known_index
            exported = inbound.session.export_at(first)
            if exported is None:
                continue
            data = {
                "algorithm": MEGOLM,
                "sender_key": inbound.sender_key,
                "session_key": exported.to_base64(),
                "sender_claimed_keys": {"ed25519": inbound.ed25519},
                "forwarding_curve25519_key_chain": [],
                # chinwag's own: the owner, checked again against known devices on use.
                "sender_user": inbound.user_id,
                "sender_device": inbound.device_id,
            }
            sealed = pk.encrypt(canonical.canonical(data))
            # Matrix: unpadded base64 of each part (`to_base64` orders them differently).
            ciphertext = canonical.unpadded_b64(sealed.ciphertext)
            mac = canonical.unpadded_b64(sealed.mac)
            ephemeral = canonical.unpadded_b64(sealed.ephemeral_key)
            rooms.setdefault(room_id(inbound.channel_id), {})[session_id] = {
                "first_message_index": first,
                "forwarded_count": 0,
                "is_verified": False,
                "session_data": {"ciphertext": ciphertext, "mac": mac, "ephemeral": ephemeral},
            }
        return rooms

    def restore_backup(self, secret_key: str, rooms: dict[str, Any]) -> int:
        """Import sessions from the backup; returns how many were taken."""
        pk = vz.PkDecryption.from_key(vz.Curve25519SecretKey.from_base64(secret_key))
        taken = 0
        for rid, room in rooms.items():
            for session_id, entry in room.get("sessions", {}).items():
                if session_id in self.inbound or not rid.endswith(":chinwag"):
                    continue
                try:
                    sd = entry["session_data"]
                    sealed = vz.Message(
                        canonical.b64decode(sd["ciphertext"]),
                        canonical.b64decode(sd["mac"]),
                        canonical.b64decode(sd["ephemeral"]),
                    )
                    plain = pk.decrypt(sealed)
                    data = json.loads(plain)
                    session = vz.InboundGroupSession.import_session(
                        vz.ExportedSessionKey(data["session_key"])
                    )
                except (KeyError, TypeError, ValueError):
                    continue
                if session.session_id != session_id:
                    continue
                self.inbound[session_id] = Inbound(
                    session,
                    rid[1:-8],
                    data["sender_key"],
                    data["sender_claimed_keys"]["ed25519"],
                    # chinwag's own fields; other writers' keys get them on first use.
                    str(data.get("sender_user", "")),
                    str(data.get("sender_device", "")),
                    from_backup=True,
                )
                taken += 1
        return taken

    # -- pickling -------------------------------------------------------------------------

    def pickle(self, key: bytes) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "device_id": self.device_id,
            "account": self.account.pickle(key),
            "devices": {u: {d: i.keys for d, i in ds.items()} for u, ds in self.devices.items()},
            "olm": {c: [s.pickle(key) for s in ss] for c, ss in self.olm.items()},
            "outbound": {
                c: [o.session.pickle(key), o.created_at, o.sent, sorted(o.shared_with)]
                for c, o in self.outbound.items()
            },
            "inbound": {
                s: [
                    i.session.pickle(key),
                    i.channel_id,
                    i.sender_key,
                    i.ed25519,
                    i.user_id,
                    i.device_id,
                    i.from_backup,
                ]
                for s, i in self.inbound.items()
            },
            "seen": self.seen,
        }

    @classmethod
    def unpickle(cls, state: dict[str, Any], key: bytes) -> CryptoMachine:
        m = cls(state["user_id"], state["device_id"], vz.Account.from_pickle(state["account"], key))
        for user_id, devices in state["devices"].items():
            for device_id, keys in devices.items():
                info = _device_info(user_id, device_id, keys)
                if info is not None:
                    m.devices.setdefault(user_id, {})[device_id] = info
        m.olm = {c: [vz.Session.from_pickle(p, key) for p in ps] for c, ps in state["olm"].items()}
        for c, (p, created, sent, shared) in state["outbound"].items():
            m.outbound[c] = Outbound(
                vz.GroupSession.from_pickle(p, key), created, sent, set(shared)
            )
        for s, (p, *rest) in state["inbound"].items():
            m.inbound[s] = Inbound(vz.InboundGroupSession.from_pickle(p, key), *rest)
        m.seen = dict(state["seen"])
        return m


def _device_info(user_id: str, device_id: str, keys: Any) -> DeviceInfo | None:
    """The device's keys if the object is well formed, names this user and device, and
    is signed by its own Ed25519 key."""
    if not isinstance(keys, dict):
        return None
    try:
        curve = keys["keys"][f"curve25519:{device_id}"]
        ed = keys["keys"][f"ed25519:{device_id}"]
    except (KeyError, TypeError):
        return None
    if (
        keys.get("user_id") != mxid(user_id)
        or keys.get("device_id") != device_id
        or not isinstance(curve, str)
        or not isinstance(ed, str)
        or not canonical.verify(keys, mxid(user_id), device_id, ed)
    ):
        return None
    return DeviceInfo(user_id, device_id, curve, ed, keys)
