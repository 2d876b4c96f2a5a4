"""The web client's files: compressed once, cached by name, revalidated by ETag.

Files under `assets/` carry a content hash in their name (the web build writes them), so
they never change and are cached for a year (`immutable`); so are files under `vendor/`,
whose directory names carry the pinned version of the library they hold. Everything
else (`/`, `sw.js`, the manifest, icons) is `no-cache`: the browser keeps it but asks
again, and gets a 304 while the ETag holds. Text files are served gzip-compressed to
clients that accept it.

A file with a committed `<name>.gz` beside it is served from that (the vendored 7.8 MB
WebAssembly module is never compressed on the event loop); other text files are
compressed on their first request. Either is kept while the file's size and mtime stay
the same, so a rebuilt client is picked up without a restart.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

IMMUTABLE = b"public, max-age=31536000, immutable"
REVALIDATE = b"no-cache"
# Files smaller than this gain nothing from compression.
MIN_COMPRESS = 256
NOT_SERVED = {"README.md"}

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    # WebAssembly.instantiateStreaming takes nothing else.
    ".wasm": "application/wasm",
}
COMPRESSIBLE = {".html", ".js", ".mjs", ".css", ".json", ".webmanifest", ".svg", ".txt"}


@dataclass(frozen=True)
class Entry:
    stamp: tuple[int, int]  # (size, mtime_ns) of the file this was made from
    body: bytes
    gzipped: bytes | None
    etag: bytes
    content_type: bytes
    cache_control: bytes


def accepts_gzip(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            for part in value.split(b","):
                coding, _, params = part.strip().partition(b";")
                if coding.strip() in (b"gzip", b"*") and params.replace(b" ", b"") != b"q=0":
                    return True
    return False


def header(scope: Scope, wanted: bytes) -> bytes | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return bytes(value)
    return None


class WebFiles:
    """ASGI app serving one directory: `/` is index.html, anything else by its path."""

    def __init__(self, directory: Path) -> None:
        self.root = directory.resolve()
        self.entries: dict[str, Entry] = {}

    def resolve(self, url_path: str) -> Path | None:
        rel = PurePosixPath(url_path.lstrip("/") or "index.html")
        if (
            rel.name in NOT_SERVED
            or rel.suffix == ".gz"
            or any(p in ("..", "") or p.startswith(".") for p in rel.parts)
        ):
            return None
        path = (self.root / rel).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path

    def load(self, rel: str, path: Path) -> Entry:
        st = path.stat()
        stamp = (st.st_size, st.st_mtime_ns)
        cached = self.entries.get(rel)
        if cached is not None and cached.stamp == stamp:
            return cached
        body = path.read_bytes()
        suffix = path.suffix.lower()
        gzipped = None
        precompressed = path.with_name(path.name + ".gz")
        if precompressed.is_file():
            gzipped = precompressed.read_bytes()
        elif suffix in COMPRESSIBLE and len(body) >= MIN_COMPRESS:
            # mtime=0: the same bytes every time, so the compressed ETag is stable too.
            gzipped = gzip.compress(body, compresslevel=9, mtime=0)
        immutable = rel.startswith(("assets/", "vendor/"))
        entry = Entry(
            stamp=stamp,
            body=body,
            gzipped=gzipped,
            etag=b'"' + hashlib.sha256(body).hexdigest()[:20].encode() + b'"',
            content_type=TYPES.get(suffix, "application/octet-stream").encode(),
            cache_control=IMMUTABLE if immutable else REVALIDATE,
        )
        self.entries[rel] = entry
        return entry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            raise HTTPException(405, "only GET and HEAD")
        url_path = scope["path"]
        path = self.resolve(url_path)
        if path is None:
            raise HTTPException(404)
        entry = self.load(path.relative_to(self.root).as_posix(), path)
        use_gzip = entry.gzipped is not None and accepts_gzip(scope)
        # A compressed body is a different representation: it gets its own ETag.
        etag = entry.etag[:-1] + b'-gz"' if use_gzip else entry.etag
        headers = [
            (b"content-type", entry.content_type),
            (b"cache-control", entry.cache_control),
            (b"etag", etag),
        ]
        if entry.gzipped is not None:
            headers.append((b"vary", b"Accept-Encoding"))
        if url_path == "/sw.js":
            headers.append((b"service-worker-allowed", b"/"))
        if_none_match = header(scope, b"if-none-match")
        if if_none_match is not None and etag in [t.strip() for t in if_none_match.split(b",")]:
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        body = entry.gzipped if use_gzip and entry.gzipped is not None else entry.body
        if use_gzip:
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})


def default_web_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "web"


def web_dir(configured: str) -> Path:
    return Path(os.path.expanduser(configured)) if configured else default_web_dir()
