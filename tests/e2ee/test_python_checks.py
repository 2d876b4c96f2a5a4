"""What a Python device refuses: a tampered device key, a replayed Megolm index, a forged
sender (Megolm and Olm), on a real server."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from chinwag.client.e2ee import DecryptionRefused
from chinwag.client.e2ee.machine import CryptoMachine, mxid
from tests.e2ee.devices import device
from tests.helpers import api
from tests.helpers.server import RunningServer


async def _group(http: httpx.AsyncClient, owner: api.TestUser, *others: api.TestUser) -> str:
    for o in others:
        await api.befriend(http, owner, o)
    r = await http.post(
        "/v1/channels",
        json={
            "kind": "group",
            "name": "g",
            "member_ids": [o.id for o in others],
            "encrypted": True,
        },
        headers=owner.auth,
    )
    cid: str = r.json()["id"]
    return cid


async def test_tampered_device_keys_are_refused(
    server: RunningServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    a, b = await api.signup(http), await api.signup(http)
    await api.befriend(http, a, b)
    async with (
        device(server.base_url, a, tmp_path) as da,
        device(server.base_url, b, tmp_path) as db,
    ):
        answer = await db.api.keys("POST", "/v1/keys/query", {"device_keys": {mxid(a.id): []}})
        good = answer["device_keys"][mxid(a.id)][a.device_id]
        # A key swapped by the server (or on the way) breaks the signature.
        forged = copy.deepcopy(answer)
        keys = forged["device_keys"][mxid(a.id)][a.device_id]["keys"]
        keys[f"curve25519:{a.device_id}"] = CryptoMachine("x", "y").curve25519
        assert db.machine.track(forged) == [a.device_id]
        assert a.id not in db.machine.devices or not db.machine.devices[a.id]
        # A device seen once never changes keys, even to a validly self-signed set.
        assert db.machine.track(answer) == []
        impostor = CryptoMachine(a.id, a.device_id)
        swapped = {"device_keys": {mxid(a.id): {a.device_id: impostor.device_keys()}}}
        assert db.machine.track(swapped) == [a.device_id]
        assert db.machine.devices[a.id][a.device_id].keys == good
        # Uploaded with a bad signature: the server keeps it, every peer refuses it.
        bad = impostor.device_keys()
        bad["signatures"][mxid(a.id)][f"ed25519:{a.device_id}"] = "A" * 86
        await da.api.keys("POST", "/v1/keys/upload", {"device_keys": bad})
        fresh = CryptoMachine(b.id, "fresh")
        answer = await db.api.keys("POST", "/v1/keys/query", {"device_keys": {mxid(a.id): []}})
        assert fresh.track(answer) == [a.device_id]


async def test_replayed_megolm_index_is_refused(
    server: RunningServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    a, b = await api.signup(http), await api.signup(http)
    cid = await _group(http, a, b)
    async with (
        device(server.base_url, a, tmp_path) as da,
        device(server.base_url, b, tmp_path) as db,
    ):
        first = await da.send(cid, {"body": "pay 10"})
        assert first.encrypted is not None
        # The same ciphertext stored again as a new message (by the server, or resent).
        again = await da.api.send_encrypted(cid, first.encrypted)
        assert again.message_id == first.message_id + 1
        assert (await db.decrypt(first)).content == {"body": "pay 10"}
        with pytest.raises(DecryptionRefused, match="replayed"):
            await db.decrypt(again)
        # Decrypting the original again is fine (the same message id).
        assert (await db.decrypt(first)).content == {"body": "pay 10"}


async def test_forged_sender_is_refused(
    server: RunningServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    a, b, c = [await api.signup(http) for _ in range(3)]
    cid = await _group(http, a, b, c)
    await api.befriend(http, b, c)
    url = server.base_url
    async with (
        device(url, a, tmp_path) as da,
        device(url, b, tmp_path) as db,
        device(url, c, tmp_path) as dc,
    ):
        original = await da.send(cid, {"body": "from a"})
        assert original.encrypted is not None
        # C posts A's ciphertext as its own message: the session is not C's.
        copied = await dc.api.send_encrypted(cid, original.encrypted)
        with pytest.raises(DecryptionRefused, match="does not belong"):
            await db.decrypt(copied)
        # C makes its own session but labels the message as A's device and key.
        await dc.share_key(cid)
        body = dc.machine.megolm_encrypt(cid, {"body": "I am a"})
        body.update(sender_key=da.machine.curve25519, device_id=a.device_id)
        posed = await dc.api.send_encrypted(cid, body)
        with pytest.raises(DecryptionRefused):
            await db.decrypt(posed)
        # Olm: a payload naming another sender than the server attests is refused.
        await db.receive()
        b_dev = dc.machine.devices[b.id][b.device_id]
        content = _olm_with_sender(dc.machine, b_dev, mxid(a.id))
        with pytest.raises(DecryptionRefused, match="fails its checks"):
            db.machine.olm_decrypt(mxid(c.id), content)


def _olm_with_sender(machine: CryptoMachine, target: Any, claimed: str) -> dict[str, Any]:
    """An Olm message from `machine` whose payload claims another sender."""
    session = machine.olm[target.curve25519][0]
    payload = {
        "type": "m.room_key",
        "content": {},
        "sender": claimed,
        "sender_device": machine.device_id,
        "keys": {"ed25519": machine.ed25519},
        "recipient": mxid(target.user_id),
        "recipient_keys": {"ed25519": target.ed25519},
    }
    from chinwag.client.e2ee.canonical import unpadded_b64

    kind, data = session.encrypt(json.dumps(payload).encode()).to_parts()
    return {
        "algorithm": "m.olm.v1.curve25519-aes-sha2",
        "sender_key": machine.curve25519,
        "ciphertext": {target.curve25519: {"type": kind, "body": unpadded_b64(data)}},
    }
