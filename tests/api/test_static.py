"""The web client's files: gzip, cache headers by name, ETags, and what is not served."""

from __future__ import annotations

import gzip
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from chinwag.api.errors import HANDLERS
from chinwag.api.static import WebFiles

INDEX = "<!doctype html><title>x</title>" + "<p>hello</p>" * 100


@pytest.fixture
def web(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "app-abc.js").write_text("console.log(1);\n" * 100)
    (tmp_path / "sw.js").write_text("// worker\n" * 50)
    (tmp_path / "manifest.webmanifest").write_text('{"name": "x"}')
    (tmp_path / "icon.png").write_bytes(b"\x89PNG" + bytes(1000))
    (tmp_path / "README.md").write_text("notes")
    return tmp_path


@pytest.fixture
async def client(web: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=[Mount("/", WebFiles(web))], exception_handlers=HANDLERS)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def test_index_is_gzipped_and_revalidated(client: httpx.AsyncClient) -> None:
    r = await client.get("/", headers={"Accept-Encoding": "gzip, br"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["vary"] == "Accept-Encoding"
    assert r.headers["cache-control"] == "no-cache"
    assert int(r.headers["content-length"]) < len(INDEX) / 5
    assert r.text == INDEX  # httpx decodes it
    again = await client.get(
        "/", headers={"Accept-Encoding": "gzip", "If-None-Match": r.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""


async def test_without_gzip_the_plain_bytes_with_their_own_etag(client: httpx.AsyncClient) -> None:
    plain = await client.get("/index.html", headers={"Accept-Encoding": "identity"})
    zipped = await client.get("/index.html", headers={"Accept-Encoding": "gzip"})
    refused = await client.get("/index.html", headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in plain.headers
    assert "content-encoding" not in refused.headers
    assert int(plain.headers["content-length"]) == len(INDEX)
    assert plain.headers["etag"] != zipped.headers["etag"]


async def test_hashed_assets_are_cached_for_a_year(client: httpx.AsyncClient) -> None:
    r = await client.get("/assets/app-abc.js", headers={"Accept-Encoding": "gzip"})
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["content-type"] == "text/javascript; charset=utf-8"
    assert r.headers["content-encoding"] == "gzip"


async def test_types_and_the_service_worker_scope(client: httpx.AsyncClient) -> None:
    sw = await client.get("/sw.js")
    assert sw.headers["content-type"] == "text/javascript; charset=utf-8"
    assert sw.headers["cache-control"] == "no-cache"
    assert sw.headers["service-worker-allowed"] == "/"
    manifest = await client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"] == "application/manifest+json"
    png = await client.get("/icon.png", headers={"Accept-Encoding": "gzip"})
    assert png.headers["content-type"] == "image/png"
    assert "content-encoding" not in png.headers  # already compressed
    head = await client.head("/sw.js")
    assert head.status_code == 200 and head.content == b""


@pytest.mark.parametrize(
    "path", ["/README.md", "/nope.js", "/assets/", "/..%2fetc/passwd", "/.git/config"]
)
async def test_what_is_not_served(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


async def test_only_get_and_head(client: httpx.AsyncClient) -> None:
    r = await client.post("/", content=b"x")
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "invalid_request"


async def test_a_rebuilt_file_is_served_without_a_restart(
    client: httpx.AsyncClient, web: Path
) -> None:
    first = await client.get("/sw.js")
    path = web / "sw.js"
    path.write_text("// worker, version 2\n" * 50)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    second = await client.get("/sw.js")
    assert second.text.startswith("// worker, version 2")
    assert second.headers["etag"] != first.headers["etag"]


async def test_vendored_wasm_is_served_precompressed_and_cached_for_a_year(
    web: Path, client: httpx.AsyncClient
) -> None:
    pkg = web / "vendor" / "lib-1.2.3"
    pkg.mkdir(parents=True)
    module = b"\0asm\x01\0\0\0" + bytes(5000)
    (pkg / "lib.wasm").write_bytes(module)
    # A marker that only the committed .gz holds: the server must not compress on its own.
    (pkg / "lib.wasm.gz").write_bytes(gzip.compress(module + b"precompressed", mtime=0))
    r = await client.get("/vendor/lib-1.2.3/lib.wasm", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/wasm"
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.content == module + b"precompressed"
    r = await client.get("/vendor/lib-1.2.3/lib.wasm", headers={"Accept-Encoding": "identity"})
    assert r.content == module and "content-encoding" not in r.headers
    assert (await client.get("/vendor/lib-1.2.3/lib.wasm.gz")).status_code == 404
