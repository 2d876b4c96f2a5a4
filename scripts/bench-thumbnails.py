"""Pillow against pyvips for the thumbnails of uploads: thumbnails per second and peak RSS.

    .venv/bin/pip install pyvips pyvips-binary    # only for this comparison
    .venv/bin/python scripts/bench-thumbnails.py [--rounds 3] [--count 20]

Each (library, image) runs in a fresh process, alternating A/B, `--rounds` times; a
process makes `--count` thumbnails (at most 320 px on the longer side) of one image
file and reports thumbnails/s and its peak RSS above what it held before the first one.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIDE = 320


def make_images(folder: Path) -> dict[str, Path]:
    from PIL import Image

    # A photo-like gradient with noise, so the encoders do real work.
    out = {}
    for name, (w, h) in {"jpeg-12mp": (4000, 3000), "png-3mp": (2000, 1500)}.items():
        noise = Image.effect_noise((w, h), 40).convert("RGB")
        grad = Image.linear_gradient("L").resize((w, h)).convert("RGB")
        img = Image.blend(noise, grad, 0.5)
        path = folder / (name + (".jpg" if name.startswith("jpeg") else ".png"))
        img.save(path, quality=90) if path.suffix == ".jpg" else img.save(path)
        out[name] = path
    return out


def reset_peak() -> None:
    # A process started by fork+exec inherits its parent's peak (ru_maxrss survives
    # exec): Linux resets it on "5" into clear_refs.
    Path("/proc/self/clear_refs").write_text("5")


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_pillow(path: Path, count: int) -> None:
    import io

    from PIL import Image

    for _ in range(count):
        with Image.open(path) as img:
            img.draft("RGB", (SIDE, SIDE))  # JPEG: decode at 1/2..1/8 scale
            img.thumbnail((SIDE, SIDE))
            buf = io.BytesIO()
            img.convert("RGB").save(buf, "JPEG", quality=80)


def run_vips(path: Path, count: int) -> None:
    import pyvips

    pyvips.cache_set_max(0)
    for _ in range(count):
        thumb = pyvips.Image.thumbnail(str(path), SIDE)
        thumb.jpegsave_buffer(Q=80)


def child(lib: str, path: Path, count: int) -> None:
    import importlib

    importlib.import_module("PIL.Image" if lib == "pillow" else "pyvips")
    reset_peak()
    base = rss_kib()
    start = time.perf_counter()
    (run_pillow if lib == "pillow" else run_vips)(path, count)
    took = time.perf_counter() - start
    print(json.dumps({"per_sec": count / took, "peak_mib": (rss_kib() - base) / 1024}))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--count", type=int, default=20)
    p.add_argument("--child", nargs=2)
    a = p.parse_args()
    if a.child:
        child(a.child[0], Path(a.child[1]), a.count)
        return
    with tempfile.TemporaryDirectory() as tmp:
        images = make_images(Path(tmp))
        results: dict[tuple[str, str], list[dict[str, float]]] = {}
        for _ in range(a.rounds):
            for name, path in images.items():
                for lib in ("pillow", "vips"):
                    cmd = [sys.executable, __file__, "--count", str(a.count)]
                    out = subprocess.run(
                        [*cmd, "--child", lib, str(path)],
                        check=True,
                        capture_output=True,
                        text=True,
                        env={**os.environ, "VIPS_CONCURRENCY": "1"},
                    )
                    results.setdefault((name, lib), []).append(json.loads(out.stdout))
        print("| image | library | thumbnails/s (median) | peak RSS growth MiB (max) |")
        print("|---|---|---|---|")
        for (name, lib), runs in results.items():
            rates = sorted(r["per_sec"] for r in runs)
            peak = max(r["peak_mib"] for r in runs)
            print(f"| {name} | {lib} | {rates[len(rates) // 2]:.1f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
