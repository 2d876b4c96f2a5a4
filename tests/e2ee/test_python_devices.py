"""Python devices in one encrypted group on vodozemac: messages and attachments, a member
who leaves, history restored from the backup, and the server's storage holding no
plaintext (scanned), on both engines."""

from __future__ import annotations

import secrets
from pathlib import Path

import asyncpg
import httpx
import pytest

from chinwag.client.e2ee import DecryptionRefused, E2eeDevice, SealedFile, attachments
from chinwag.client.e2ee.machine import CryptoMachine
from tests.e2ee.devices import device
from tests.helpers import api
from tests.helpers.server import RunningServer


def _files(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


async def _storage_bytes(server: RunningServer, store_url: str, data_dir: Path) -> bytes:
    """Everything the server stored: the SQLite files, or every row of every table."""
    if not store_url:
        return _files(data_dir)
    conn = await asyncpg.connect(store_url)
    try:
        tables = await conn.fetch(
            "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name)"
            " FROM information_schema.tables WHERE table_schema = 'public'"
            " AND table_type = 'BASE TABLE'"
        )
        out = []
        for (table,) in tables:
            rows = await conn.fetch(f"SELECT t::text FROM {table} t")
            out.extend(r[0].encode() for r in rows)
        return b"\n".join(out)
    finally:
        await conn.close()


def _other_secret() -> str:
    import vodozemac

    return vodozemac.Curve25519SecretKey().to_base64()


async def test_encrypted_group_of_python_devices(
    server: RunningServer,
    http: httpx.AsyncClient,
    tmp_path: Path,
    store_url: str,
    data_dir: Path,
) -> None:
    a, b, c = [await api.signup(http) for _ in range(3)]
    await api.befriend(http, a, b)
    await api.befriend(http, a, c)
    r = await http.post(
        "/v1/channels",
        json={"kind": "group", "name": "g", "member_ids": [b.id, c.id], "encrypted": True},
        headers=a.auth,
    )
    cid = r.json()["id"]
    secret_words = "hello-group-" + secrets.token_hex(8)
    after_words = "after-leaving-" + secrets.token_hex(8)
    photo = b"\x89PNG" + secrets.token_bytes(3000)
    url = server.base_url
    async with (
        device(url, a, tmp_path) as da,
        device(url, b, tmp_path) as db,
        device(url, b, tmp_path, new_login=True) as db2,
        device(url, c, tmp_path) as dc,
    ):
        blob, info = attachments.encrypt(photo)
        m1 = await da.send(cid, {"body": secret_words})
        m2 = await da.send(cid, {"body": "a photo", "file": info})
        assert m1.text == "" and m1.encrypted is not None
        for reader in (db, db2, dc):
            assert (await reader.decrypt(m1)).content == {"body": secret_words}
            got = (await reader.decrypt(m2)).content
            assert attachments.decrypt(blob, got["file"]) == photo
        reply = await db.send(cid, {"body": "hi from b"})
        assert (await da.decrypt(reply)).content["body"] == "hi from b"
        assert (await db2.decrypt(reply)).content["body"] == "hi from b"  # b's other device

        # C leaves: A's next message uses a new session that C never gets.
        await da.api.remove_member(cid, c.id)
        m3 = await da.send(cid, {"body": after_words})
        assert m3.encrypted is not None and m1.encrypted is not None
        assert m3.encrypted["session_id"] != m1.encrypted["session_id"]
        assert (await db.decrypt(m3)).content["body"] == after_words
        with pytest.raises(DecryptionRefused):
            await dc.decrypt(m3)

        # A new device of A's restores history from the backup, with the recovery key.
        recovery = await da.create_backup()
        assert await da.back_up() >= 2
        async with device(url, a, tmp_path, new_login=True) as da2:
            with pytest.raises(DecryptionRefused):
                await da2.decrypt(m1)
            assert await da2.restore(recovery) >= 2
            history = await da2.api.history(cid)
            shown = [(await da2.decrypt(m)).content.get("body") for m in history]
            assert shown == [secret_words, "a photo", "hi from b", after_words]
            # Without the recovery key the backup gives nothing.
            fresh = CryptoMachine(a.id, "other")
            keys = await da2.api.keys("GET", "/v1/keys/backup/keys", version="1")
            assert fresh.restore_backup(_other_secret(), keys["rooms"]) == 0

        # The sealed store brings a device back; a wrong key opens nothing.
        assert db.store is not None
        again = await E2eeDevice.open(db.api, b.id, b.device_id, db.store)
        assert (await again.decrypt(m3)).content["body"] == after_words
        with pytest.raises(Exception):  # noqa: B017 - the AEAD refuses it
            SealedFile(db.store.path, bytes(32)).load()

    stored = await _storage_bytes(server, store_url, data_dir)
    assert m1.encrypted["ciphertext"][:64].encode() in stored  # the scan sees messages
    for words in (secret_words, after_words):
        assert words.encode() not in stored
    assert photo[4:40] not in stored


async def test_one_time_keys_are_topped_up(
    server: RunningServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    a, b = await api.signup(http), await api.signup(http)
    await api.befriend(http, a, b)
    async with device(server.base_url, a, tmp_path) as da:
        counts = await da.api.keys("GET", "/v1/keys/counts")
        assert counts["one_time_key_counts"] == {"signed_curve25519": 50}
        want = {"one_time_keys": {f"@{a.id}:chinwag": {a.device_id: "signed_curve25519"}}}
        for _ in range(20):
            await http.post("/v1/keys/claim", json=want, headers=b.auth)
        await da.top_up()  # 30 left: enough
        counts = await da.api.keys("GET", "/v1/keys/counts")
        assert counts["one_time_key_counts"] == {"signed_curve25519": 30}
        for _ in range(10):
            await http.post("/v1/keys/claim", json=want, headers=b.auth)
        await da.top_up()  # 20 left: back to 50
        counts = await da.api.keys("GET", "/v1/keys/counts")
        assert counts["one_time_key_counts"] == {"signed_curve25519": 50}
