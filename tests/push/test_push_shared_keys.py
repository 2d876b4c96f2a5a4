"""Push keys in the shared store: on PostgreSQL every process uses one VAPID key pair
and one webhook secret, made once by whichever process got there first, with no file
to copy between machines."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import httpx

from chinwag.push.webpush import VAPID_KEY_FILE, VapidKeys
from chinwag.store.postgres.db import Database
from chinwag.store.postgres.migrate import migrate_url
from chinwag.store.postgres.secrets import PostgresSecrets
from tests.helpers.process import ServerProcess
from tests.helpers.server import run_server, test_settings


async def stored(pg_url: str) -> dict[str, bytes]:
    conn = await asyncpg.connect(pg_url)
    try:
        rows = await conn.fetch("SELECT name, value FROM server_secrets")
    finally:
        await conn.close()
    return {r["name"]: bytes(r["value"]) for r in rows}


async def test_two_processes_starting_at_once_share_the_keys(tmp_path: Path, pg_url: str) -> None:
    procs = [ServerProcess(tmp_path / name, pg_url) for name in ("one", "two")]
    try:
        await asyncio.gather(*(p.start() for p in procs))
        keys = []
        async with httpx.AsyncClient(timeout=30) as http:
            for p in procs:
                r = await http.get(p.base_url + "/v1/push/vapid-public-key")
                keys.append(r.json()["key"])
        assert keys[0] and keys[0] == keys[1]
    finally:
        await asyncio.gather(*(p.stop() for p in procs), return_exceptions=True)
    assert sorted(await stored(pg_url)) == ["vapid_private_key.pem", "webhook_secret"]
    # Nothing was written to either data dir that another machine would need.
    for p in procs:
        assert not (p.data_dir / VAPID_KEY_FILE).exists()
        assert not (p.data_dir / "webhook_secret").exists()


async def test_concurrent_creators_agree_on_one_secret(pg_url: str) -> None:
    await migrate_url(pg_url)
    dbs = [Database(pg_url, min_size=1, max_size=1) for _ in range(6)]
    for db in dbs:
        await db.start()
    try:
        got = await asyncio.gather(
            *(
                PostgresSecrets(db).get_or_create("k", lambda i=i: f"candidate {i}".encode())
                for i, db in enumerate(dbs)
            )
        )
    finally:
        for db in dbs:
            await db.close()
    assert len(set(got)) == 1
    assert (await stored(pg_url))["k"] == got[0]


async def test_key_files_from_before_are_adopted(tmp_path: Path, pg_url: str) -> None:
    """A data dir with keys from a version that kept them in files: the first process
    stores those, so browsers' existing Web Push subscriptions keep working."""
    data = tmp_path / "data"
    old = VapidKeys.load_or_create(data)
    (data / "webhook_secret").write_bytes(b"an-old-secret\n")
    async with run_server(test_settings(data, pg_url)) as srv:
        assert srv.app.services is not None
        assert srv.app.services.push.vapid_public_key() == old.public_key_b64url()
    secrets = await stored(pg_url)
    assert secrets["vapid_private_key.pem"] == (data / VAPID_KEY_FILE).read_bytes()
    assert secrets["webhook_secret"].strip() == b"an-old-secret"
