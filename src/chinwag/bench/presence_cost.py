"""`chinwag bench presence`: server CPU per presence change fanned out to F online friends.

A subject user with `--friends` friends, all connected, goes online and offline
`--toggles` times (a socket that says hello, then closes cleanly). Each change reaches
every friend as a `presence` frame; the run waits for all of them each time. The
server's CPU time over the toggles (from `--server-pid`) divided by the number of
changes is the cost of one presence change, and divided by the frames delivered, the
cost per friend notified. Run the server with a short `--presence-grace` (e.g. 0.2) so
offline follows a clean close quickly.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

import httpx
import msgspec
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from chinwag.bench import flags

PASSWORD = "presence-bench-1"


@dataclass
class PresenceConfig:
    url: str = "http://127.0.0.1:8080"
    friends: int = 100
    toggles: int = 20
    server_pid: int = 0
    concurrency: int = 32


class _Watcher(WSListener):  # type: ignore[misc]
    def __init__(self, subject: list[str], counts: dict[str, int], changed: asyncio.Event) -> None:
        self.subject = subject
        self.counts = counts
        self.changed = changed
        self.welcomed = asyncio.Event()

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type != WSMsgType.TEXT:
            return
        msg: dict[str, Any] = msgspec.json.decode(frame.get_payload_as_bytes())
        if msg.get("type") == "welcome":
            self.welcomed.set()
        elif msg.get("type") == "presence" and msg.get("user_id") == self.subject[0]:
            self.counts[msg["status"]] = self.counts.get(msg["status"], 0) + 1
            self.changed.set()


async def _user(http: httpx.AsyncClient, name: str) -> tuple[str, str]:
    await http.post("/v1/users", json={"username": name, "password": PASSWORD})
    r = await http.post("/v1/sessions", json={"username": name, "password": PASSWORD})
    r.raise_for_status()
    body = r.json()
    return body["user"]["id"], body["token"]


async def run_presence(cfg: PresenceConfig) -> dict[str, Any]:
    import psutil

    ws_url = cfg.url.replace("http", "ws", 1).rstrip("/") + "/v1/ws"
    prefix = f"pres{random.randrange(1 << 30):x}"
    limit = asyncio.Semaphore(cfg.concurrency)
    async with httpx.AsyncClient(base_url=cfg.url, timeout=60) as http:
        subject_id, subject_token = await _user(http, f"{prefix}_s")

        async def friend(i: int) -> str:
            async with limit:
                _uid, token = await _user(http, f"{prefix}_{i}")
                req = await http.post(
                    "/v1/friends/requests", json={"user_id": subject_id},
                    headers={"Authorization": f"Bearer {token}"},
                )  # fmt: skip
                req.raise_for_status()
                acc = await http.post(
                    f"/v1/friends/requests/{req.json()['id']}/accept",
                    headers={"Authorization": f"Bearer {subject_token}"},
                )
                acc.raise_for_status()
                return token

        tokens = await asyncio.gather(*(friend(i) for i in range(cfg.friends)))
    counts: dict[str, int] = {}
    changed = asyncio.Event()
    watchers = []
    for token in tokens:
        transport, listener = await ws_connect(
            lambda: _Watcher([subject_id], counts, changed), ws_url, read_buffer_init_size=1024
        )
        transport.send(WSMsgType.TEXT, msgspec.json.encode({"type": "hello", "token": token}))
        assert isinstance(listener, _Watcher)
        await listener.welcomed.wait()
        watchers.append(transport)

    async def reach(status: str, total: int) -> None:
        while counts.get(status, 0) < total:
            changed.clear()
            await asyncio.wait_for(changed.wait(), 30)

    server = psutil.Process(cfg.server_pid) if cfg.server_pid else None
    cpu0 = sum(server.cpu_times()[:2]) if server else 0.0
    start = time.monotonic()
    for n in range(1, cfg.toggles + 1):
        transport, listener = await ws_connect(lambda: _Watcher([""], {}, asyncio.Event()), ws_url)
        transport.send(
            WSMsgType.TEXT, msgspec.json.encode({"type": "hello", "token": subject_token})
        )
        await reach("online", n * cfg.friends)
        transport.send_close()
        transport.disconnect()
        await reach("offline", n * cfg.friends)
    elapsed = time.monotonic() - start
    cpu = (sum(server.cpu_times()[:2]) - cpu0) if server else None
    for transport in watchers:
        transport.disconnect()
    changes = 2 * cfg.toggles
    frames = changes * cfg.friends
    return {
        "config": asdict(cfg),
        "changes": changes,
        "frames_delivered": frames,
        "seconds": round(elapsed, 2),
        "server_cpu_s": None if cpu is None else round(cpu, 3),
        "cpu_us_per_change": None if cpu is None else round(cpu / changes * 1e6, 1),
        "cpu_us_per_friend_frame": None if cpu is None else round(cpu / frames * 1e6, 2),
    }


def main(argv: list[str] | None = None) -> int:
    cfg, out = flags.parse(PresenceConfig, "chinwag bench presence", __doc__, argv)
    result = asyncio.run(run_presence(cfg))
    if out:
        with open(out, "w") as f:
            json.dump(result, f, indent=2)
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
