"""`chinwag bench upload`: upload and download MB/s, image uploads (thumbnails) per second,
and the server's memory while many large uploads run at once.

Uploads and downloads are HTTP/1.1 spoken by hand over asyncio streams, so the client
costs little next to the server: uploads write a repeated random block (the client
never holds a file) after a Content-Length; downloads are counted and dropped. With
`--server-pid`, the server's RSS is sampled every 20 ms: its peak during `--concurrent`
simultaneous uploads of `--concurrent-mib` MiB, above what it held just before, is the
memory that many uploads cost. Run the server with its data dir on the disk to be measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from chinwag.bench import flags

PASSWORD = "upload-bench-1"
CHUNK = 1 << 20


@dataclass
class UploadConfig:
    url: str = "http://127.0.0.1:8080"
    sizes_mib: str = "1,50"  # file sizes, comma-separated
    rounds: int = 5  # uploads (and downloads) of each size
    images: int = 20  # photo uploads, each thumbnailed by the server
    photo_megapixels: float = 12.0  # a 4:3 photo of this size (noise: a large JPEG)
    concurrent: int = 20
    concurrent_mib: int = 50
    server_pid: int = 0


async def _raw(url: str, head: str, body_size: int) -> tuple[int, bytes, int]:
    """One HTTP/1.1 exchange on its own connection, by hand, so that the client costs
    as little as possible: `body_size` bytes of a repeated random block go up after
    `head`; the answer's status, its body when small, and its body's size come back
    (a large body is counted and dropped)."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
    try:
        writer.write(head.encode())
        block = os.urandom(CHUNK)  # incompressible, and sniffed as nothing but a file
        left = body_size
        while left > 0:
            n = min(CHUNK, left)
            writer.write(block[:n])
            left -= n
            await writer.drain()
        status_line = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        keep = b""
        got = 0
        while got < length:
            chunk = await reader.read(min(CHUNK, length - got))
            if not chunk:
                break
            got += len(chunk)
            if length <= 1 << 16:
                keep += chunk
        return int(status_line.split()[1]), keep, got
    finally:
        writer.close()


async def _upload(url: str, token: str, size: int, name: str) -> dict[str, Any]:
    head = (
        f"POST /v1/uploads?filename={name} HTTP/1.1\r\nHost: bench\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {size}\r\n"
        "Connection: close\r\n\r\n"
    )
    status, body, _ = await _raw(url, head, size)
    if status != 201:
        raise RuntimeError(f"upload answered {status}: {body[:200]!r}")
    out: dict[str, Any] = json.loads(body)
    return out


async def _download(url: str, token: str, attachment_id: str) -> int:
    head = (
        f"GET /v1/attachments/{attachment_id} HTTP/1.1\r\nHost: bench\r\n"
        f"Authorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    status, _, got = await _raw(url, head, 0)
    if status != 200:
        raise RuntimeError(f"download answered {status}")
    return got


def _photo(megapixels: float) -> bytes:
    from PIL import Image

    width = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    img = Image.effect_noise((width, width * 3 // 4), 40).convert("RGB")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


class _Rss:
    """The server's resident memory, sampled while a block of work runs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._task: asyncio.Task[None] | None = None

    def now(self) -> int:
        if not self.pid:
            return 0
        import psutil  # type: ignore[import-untyped]

        return int(psutil.Process(self.pid).memory_info().rss)

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, self.now())
            await asyncio.sleep(0.02)

    def start(self) -> None:
        self.peak = self.now()
        if self.pid:
            self._task = asyncio.create_task(self._sample())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.peak = max(self.peak, self.now())


async def run(cfg: UploadConfig) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=cfg.concurrent + 4)
    async with httpx.AsyncClient(base_url=cfg.url, timeout=600, limits=limits) as http:
        name = f"upbench{os.getpid()}{int(time.time())}"
        await http.post("/v1/users", json={"username": name, "password": PASSWORD})
        r = await http.post("/v1/sessions", json={"username": name, "password": PASSWORD})
        r.raise_for_status()
        token = r.json()["token"]
        result: dict[str, Any] = {"config": asdict(cfg), "sizes": {}}
        for mib in (int(s) for s in cfg.sizes_mib.split(",")):
            size = mib << 20
            ups, downs = [], []
            for n in range(cfg.rounds):
                start = time.perf_counter()
                att = await _upload(cfg.url, token, size, f"f{mib}-{n}.bin")
                ups.append(size / (time.perf_counter() - start) / 1e6)
                start = time.perf_counter()
                assert await _download(cfg.url, token, att["id"]) == size
                downs.append(size / (time.perf_counter() - start) / 1e6)
            result["sizes"][f"{mib}MiB"] = {
                "upload_MBps": sorted(ups)[len(ups) // 2],
                "download_MBps": sorted(downs)[len(downs) // 2],
            }
        photo = _photo(cfg.photo_megapixels)
        start = time.perf_counter()
        for n in range(cfg.images):
            r = await http.post(
                "/v1/uploads",
                params={"filename": f"p{n}.jpg"},
                content=photo,
                headers={"Authorization": f"Bearer {token}"},
            )
            r.raise_for_status()
        result["photo_bytes"] = len(photo)
        result["photos_per_s"] = cfg.images / (time.perf_counter() - start)
        rss = _Rss(cfg.server_pid)
        before = rss.now()
        rss.start()
        start = time.perf_counter()
        await asyncio.gather(
            *(
                _upload(cfg.url, token, cfg.concurrent_mib << 20, f"c{n}.bin")
                for n in range(cfg.concurrent)
            )
        )
        took = time.perf_counter() - start
        await rss.stop()
        result["concurrent"] = {
            "uploads": cfg.concurrent,
            "MiB_each": cfg.concurrent_mib,
            "total_MBps": cfg.concurrent * (cfg.concurrent_mib << 20) / took / 1e6,
            "server_rss_before_MiB": before / 2**20,
            "server_rss_peak_MiB": rss.peak / 2**20,
            "server_rss_growth_MiB": (rss.peak - before) / 2**20,
        }
        return result


def main(argv: list[str] | None = None) -> int:
    cfg, out = flags.parse(UploadConfig, "chinwag bench upload", __doc__, argv)
    result = asyncio.run(run(cfg))
    text = json.dumps(result, indent=2)
    print(text)
    if out:
        with open(out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
