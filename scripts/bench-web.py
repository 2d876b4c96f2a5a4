#!/usr/bin/env python3
"""Load time of the web client on a slow phone network, and scrolling a long conversation.

    .venv/bin/python scripts/bench-web.py                  # load figures, 5 runs each
    .venv/bin/python scripts/bench-web.py --runs 9 --variants --scroll 10000

Starts `chinwag serve` on a free port with a throwaway data directory, fills it with a
lived-in account (25 conversations of 40 messages, 20 friends), and drives Debian's
Chromium (/usr/bin/chromium; never a downloaded browser) through the DevTools protocol
with the "slow 4G" profile: 150 ms latency, 1.6 Mbit/s down, 750 kbit/s up, CPU 4x slower.

For each scenario, in a fresh browser profile per run, it prints medians (min-max) of:
first contentful paint; the time until the chat list can be used (the app's
`chinwag:list-ready` mark: the list of conversations rendered from data and clickable) or
the log-in form can be (`chinwag:login-ready`); bytes received over the network until
then (compressed, as sent) and the requests, counting those sent before the mark; and
the deepest request chain before it (the page is 1, what the page asks for is 2, what
that asks for is 3...). "On screen after" is the first frame drawn after the mark (an
app that renders before its first paint and one that renders after it are timed alike).
The marks are polled through the DevTools protocol, which runs nothing else in the page.

- `cold, logged out`: nothing cached; until the log-in form is usable.
- `cold, logged in`: a session in localStorage (as after logging in on this browser),
  nothing else: no HTTP cache, no service worker, no IndexedDB.
- `warm`: the same profile opening the app again in a new tab (the first one closed): shell
  from the service worker, list from the saved snapshot and IndexedDB.
- `warm, reload`: that tab reloaded (the measure of earlier rounds: it also times tearing
  down the page that was open).
- `log-in`: from pressing "Log in" (cold, form already shown) until the list is usable.

`--variants` also measures, cold and logged in, the same client served as its source
modules (no bundle), with and without `<link rel=modulepreload>` hints.
`--cpu 1` leaves the CPU at full speed (the network stays slow), to tell the two apart on
a busy machine; `--only load|scroll` runs one of the two measurements (`none`: neither).
`--against REV` serves git revision REV beside this tree and alternates one run of each
scenario on each, swapping the order every round, so a busy machine's load falls on both
alike: on a shared machine compare the two, not figures taken at different times.
`--scroll N` measures a conversation of N messages, all loaded (scrolling up page by
page), then scrolled from top to bottom (`--scroll-step` screens per animation frame,
0.9 by default: a fling): long tasks (main thread blocked > 50 ms) during each phase, the
time between frames, and how many message elements the page holds.
"""

# ruff: noqa: E501  (JavaScript and table rows read best on one line each)
from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PASSWORD = "correct horse battery staple"
SLOW_4G = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 750_000 / 8,
}
CPU_SLOWDOWN = 4
CONTEXT: dict[str, Any] = {"locale": "en-US", "timezone_id": "UTC"}
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 800},
    "is_mobile": True,
    "has_touch": True,
}

# ---- the server and a lived-in account ----


@contextlib.contextmanager
def serve(web_dir: Path | None = None, src: Path | None = None) -> Iterator[str]:
    """`chinwag serve` on a free port with a fresh data directory; yields its base URL.

    `src`: run the chinwag package (server and web files) found there instead of this one.
    """
    if src is not None and web_dir is None:
        web_dir = src / "chinwag" / "web"
    env = {**os.environ, "PYTHONPATH": str(src)} if src is not None else None
    with tempfile.TemporaryDirectory(prefix="chinwag-bench-web-") as data:
        cmd = [
            sys.executable,
            "-m",
            "chinwag",
            "serve",
            "--port",
            "0",
            "--data-dir",
            data,
            "--log-level",
            "warning",
            "--drain-seconds",
            "0",
            "--login-per-account-per-min",
            "10000",
            "--signup-per-address-per-min",
            "10000",
            "--login-per-address-per-min",
            "10000",
            # The setup writes a long conversation far faster than a person would.
            "--sends-per-user-per-sec",
            "100000",
            "--send-burst",
            "100000",
        ]
        if web_dir is not None:
            cmd += ["--web-dir", str(web_dir)]
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, text=True, cwd=src.parent if src else ROOT, env=env
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            m = re.search(r"listening on (http://\S+)", line)
            if not m:
                raise RuntimeError(f"chinwag serve did not start: {line!r}")
            yield m.group(1)
        finally:
            proc.terminate()
            proc.wait(30)


@dataclass
class Scene:
    base_url: str
    username: str
    token: str
    user_id: str
    long_channel: str | None = None
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base_url, timeout=60)

    def login(self) -> dict[str, Any]:
        r = self.http.post(
            "/v1/sessions",
            json={"username": self.username, "password": PASSWORD, "device_name": "bench"},
        )
        r.raise_for_status()
        body: dict[str, Any] = r.json()
        return body


def call(http: httpx.Client, method: str, path: str, token: str = "", body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = http.request(method, path, json=body, headers=headers)
    if r.status_code >= 300:
        raise RuntimeError(f"{method} {path}: {r.status_code} {r.text}")
    return r.json() if r.content else None


def account(http: httpx.Client, name: str) -> tuple[str, str]:
    username = f"{name}_{secrets.token_hex(3)}"
    call(
        http,
        "POST",
        "/v1/users",
        body={"username": username, "password": PASSWORD, "display_name": name.capitalize()},
    )
    s = call(http, "POST", "/v1/sessions", body={"username": username, "password": PASSWORD})
    return s["token"], s["user"]["id"]


def say(http: httpx.Client, token: str, channel: str, text: str) -> None:
    call(
        http,
        "POST",
        f"/v1/channels/{channel}/messages",
        token,
        {"client_msg_id": secrets.token_hex(8), "text": text},
    )


def lived_in(base_url: str, scroll: int) -> Scene:
    """One user with 20 friends, 20 direct chats and 5 groups of 40 messages each."""
    http = httpx.Client(base_url=base_url, timeout=60)
    me_token, me_id = account(http, "me")
    me_name = call(http, "GET", "/v1/me", me_token)["username"]
    friends = [account(http, f"friend{i}") for i in range(20)]
    channels: list[tuple[str, list[str]]] = []
    for token, uid in friends:
        req = call(http, "POST", "/v1/friends/requests", me_token, {"user_id": uid})
        call(http, "POST", f"/v1/friends/requests/{req['id']}/accept", token)
        ch = call(http, "POST", "/v1/channels", me_token, {"kind": "direct", "user_id": uid})
        channels.append((ch["id"], [token]))
    for g in range(5):
        members = friends[g * 4 : g * 4 + 4]
        ch = call(
            http,
            "POST",
            "/v1/channels",
            me_token,
            {"kind": "group", "name": f"Group {g + 1}", "member_ids": [u for _, u in members]},
        )
        channels.append((ch["id"], [t for t, _ in members]))
    for ch_id, tokens in channels:
        for i in range(40):
            who = me_token if i % 3 == 0 else tokens[i % len(tokens)]
            say(http, who, ch_id, f"Message {i + 1}: " + "some words of a chat " * (1 + i % 4))
    scene = Scene(base_url, me_name, me_token, me_id)
    if scroll:
        ch_id = channels[0][0]
        peer = channels[0][1][0]
        scene.long_channel = ch_id

        def send_many(part: int) -> None:
            with httpx.Client(base_url=base_url, timeout=60) as c:
                for i in range(part, scroll - 40, 4):
                    who = me_token if i % 5 == 0 else peer
                    say(c, who, ch_id, f"Long {i + 1}: " + "words " * (3 + i % 30))

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(send_many, range(4)))
    http.close()
    return scene


# ---- one measured page load ----

# The first frame drawn after each of the app's marks: the page's work for that frame
# (style, layout, paint) is done when a task posted from its animation frame callback runs.
# Marked as "<name>:painted", whichever the app's version, so both sides of an A/B are timed
# alike whether the app renders before its first paint or after it.
PAINTED = """(() => {
  const mark = performance.mark.bind(performance);
  performance.mark = (name, ...rest) => {
    const entry = mark(name, ...rest);
    if (name.startsWith('chinwag:') && name.endsWith('-ready')) {
      requestAnimationFrame(() => setTimeout(() => mark(`${name}:painted`), 0));
    }
    return entry;
  };
})();"""
TIMES = """(name) => ({
  origin: performance.timeOrigin,
  fcp: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime ?? null,
  mark: (performance.getEntriesByName(name)[0] || {}).startTime ?? null,
  painted: (performance.getEntriesByName(`${name}:painted`)[0] || {}).startTime ?? null,
  submit: (performance.getEntriesByName('chinwag:login-submit')[0] || {}).startTime ?? null,
})"""


class NetLog:
    """Requests seen through the DevTools protocol, with sizes and who asked for them."""

    cpu = CPU_SLOWDOWN  # set from --cpu

    def __init__(self, page: Page) -> None:
        self.cdp = page.context.new_cdp_session(page)
        self.requests: dict[str, dict[str, Any]] = {}
        self.cdp.on("Network.requestWillBeSent", self.sent)
        self.cdp.on("Network.responseReceived", self.response)
        self.cdp.on("Network.loadingFinished", self.finished)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})

    def throttle(self) -> None:
        self.cdp.send("Network.emulateNetworkConditions", SLOW_4G)
        self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": self.cpu})

    def unthrottle(self) -> None:
        self.cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})

    def reset(self) -> None:
        self.requests = {}

    def evaluate(self, expression: str) -> Any:
        r = self.cdp.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return r["result"].get("value")

    def wait_mark(self, name: str, timeout_s: float = 60) -> dict[str, Any]:
        """The page's times once mark `name` is set. Asked through the DevTools protocol, a
        short expression every 20 ms: Playwright's `wait_for_function` would first run its
        own injected script in the page, which took ~300 ms of the main thread of a cold
        load with the CPU slowed 4x, ahead of the app's script."""
        deadline = time.monotonic() + timeout_s
        arg = json.dumps(name)
        # The mark, the first frame after it, and the first contentful paint.
        done = f"""performance.getEntriesByName({arg} + ':painted').length > 0
            && performance.getEntriesByName('first-contentful-paint').length > 0"""
        while not self.evaluate(done):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {name} mark in {timeout_s} s")
            time.sleep(0.02)
        times: dict[str, Any] = self.evaluate(f"({TIMES})({arg})")
        return times

    def sent(self, e: dict[str, Any]) -> None:
        self.requests[e["requestId"]] = {
            "url": e["request"]["url"],
            "type": e.get("type"),
            "initiator": e["initiator"],
            "wall_ms": float(e.get("wallTime") or 0) * 1000,
            "bytes": 0,
            "sw": False,
            "cache": False,
            "done": False,
        }

    def response(self, e: dict[str, Any]) -> None:
        r = self.requests.get(e["requestId"])
        if r is not None:
            r["sw"] = bool(e["response"].get("fromServiceWorker"))
            r["cache"] = bool(
                e["response"].get("fromDiskCache") or e["response"].get("fromPrefetchCache")
            )

    def finished(self, e: dict[str, Any]) -> None:
        r = self.requests.get(e["requestId"])
        if r is not None:
            r["bytes"] = int(e.get("encodedDataLength") or 0)
            r["done"] = True

    def asked(self, until_ms: float) -> list[dict[str, Any]]:
        """The requests sent before `until_ms` (epoch ms): what came after a mark is not
        counted against it, though the page is only polled for the mark later."""
        return [r for r in self.requests.values() if r["wall_ms"] <= until_ms]

    def over_network(self, until_ms: float = float("inf")) -> list[dict[str, Any]]:
        return [
            r
            for r in self.asked(until_ms)
            if not r["sw"] and not r["cache"] and r["url"].startswith("http")
        ]

    def depth(self, until_ms: float = float("inf")) -> int:
        """The longest chain page -> what it loads -> what that loads, over the network."""
        by_url: dict[str, int] = {}
        deepest = 0
        for r in self.asked(until_ms):
            url = r["url"].split("#")[0]
            ini = r["initiator"]
            parent = ini.get("url")
            stack = ini.get("stack")
            while not parent and stack:  # the script that asked, through async frames too
                parent = next(
                    (f["url"] for f in stack.get("callFrames", []) if f.get("url") in by_url), None
                )
                stack = stack.get("parent")
            level = (
                1 if r["type"] == "Document" else by_url.get((parent or "").split("#")[0], 1) + 1
            )
            by_url.setdefault(url, level)
            if not r["sw"] and not r["cache"]:
                deepest = max(deepest, level)
        return deepest


@dataclass
class Run:
    fcp: float
    ready: float
    painted: float
    bytes: int
    requests: int
    depth: int


def load(page: Page, log: NetLog, url: str, mark: str) -> Run:
    log.reset()
    log.throttle()
    page.goto(url, wait_until="commit")
    times = log.wait_mark(mark)
    until = times["origin"] + times["mark"]
    net = log.over_network(until)
    log.unthrottle()
    return Run(
        times["fcp"] or 0.0,
        times["mark"],
        times["painted"],
        sum(r["bytes"] for r in net),
        len(net),
        log.depth(until),
    )


def session_script(session: dict[str, Any]) -> str:
    value = json.dumps(
        {"token": session["token"], "device_id": session["device_id"], "user": session["user"]}
    )
    return f"if (!localStorage.getItem('chinwag.session')) localStorage.setItem('chinwag.session', {json.dumps(value)});"


def new_context(browser: Browser) -> BrowserContext:
    ctx = browser.new_context(**CONTEXT, **PHONE)
    ctx.add_init_script(PAINTED)
    return ctx


def measure(browser: Browser, scene: Scene, runs: int, warm: bool = True) -> dict[str, list[Run]]:
    out: dict[str, list[Run]] = {
        "cold, logged out": [],
        "cold, logged in": [],
        "warm": [],
        "warm, reload": [],
        "log-in": [],
    }
    for _ in range(runs):
        # Logged out: until the form is usable; then log in through it.
        ctx = new_context(browser)
        page = ctx.new_page()
        log = NetLog(page)
        out["cold, logged out"].append(load(page, log, scene.base_url + "/", "chinwag:login-ready"))
        page.fill('[data-testid="login-username"]', scene.username)
        page.fill('[data-testid="login-password"]', PASSWORD)
        log.reset()
        log.throttle()
        page.click('[data-testid="login-submit"]')
        t = log.wait_mark("chinwag:list-ready")
        net = log.over_network(t["origin"] + t["mark"])
        log.unthrottle()
        out["log-in"].append(
            Run(
                0.0,
                t["mark"] - t["submit"],
                t["painted"] - t["submit"],
                sum(r["bytes"] for r in net),
                len(net),
                0,
            )
        )
        ctx.close()

        # Logged in, nothing cached; then the same profile again, warm.
        ctx = new_context(browser)
        ctx.add_init_script(session_script(scene.login()))
        page = ctx.new_page()
        log = NetLog(page)
        out["cold, logged in"].append(load(page, log, scene.base_url + "/", "chinwag:list-ready"))
        if warm:
            page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=60_000)
            page.wait_for_function(  # previews written to IndexedDB
                "() => document.querySelectorAll('[data-testid=channel-preview]:empty').length === 0",
                timeout=60_000,
            )
            page.wait_for_timeout(500)  # let the batched IndexedDB writes land
            # Opening the app again: its page was closed; a new one in the same browser
            # profile (HTTP cache, service worker, storage). Reloading the open page would
            # also time tearing that page down (~80 ms of the main thread, CPU 4x).
            page.close()
            page = ctx.new_page()
            log = NetLog(page)
            out["warm"].append(load(page, log, scene.base_url + "/", "chinwag:list-ready"))
            page.wait_for_timeout(1500)  # the snapshot written again, as before the first
            out["warm, reload"].append(load(page, log, scene.base_url + "/", "chinwag:list-ready"))
        ctx.close()
    return {k: v for k, v in out.items() if v}


def cold_only(browser: Browser, scene: Scene, runs: int) -> list[Run]:
    result = []
    for _ in range(runs):
        ctx = new_context(browser)
        ctx.add_init_script(session_script(scene.login()))
        page = ctx.new_page()
        result.append(load(page, NetLog(page), scene.base_url + "/", "chinwag:list-ready"))
        ctx.close()
    return result


def fmt_ms(values: list[float]) -> str:
    med = statistics.median(values)
    return (
        f"{med:.0f} ms ({min(values):.0f}-{max(values):.0f})"
        if len(values) > 1
        else f"{med:.0f} ms"
    )


def table(rows: dict[str, list[Run]]) -> str:
    lines = [
        "| scenario | first contentful paint | usable after | on screen after | received | requests | deepest chain |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, runs in rows.items():
        fcp = fmt_ms([r.fcp for r in runs]) if any(r.fcp for r in runs) else "-"
        lines.append(
            f"| {name} | {fcp} | {fmt_ms([r.ready for r in runs])} | "
            f"{fmt_ms([r.painted for r in runs])} | "
            f"{statistics.median(r.bytes for r in runs) / 1024:.1f} KiB | "
            f"{statistics.median(r.requests for r in runs):.0f} | "
            f"{max(r.depth for r in runs) or '-'} |"
        )
    return "\n".join(lines)


# ---- A/B: this tree against another revision, runs alternated ----


@contextlib.contextmanager
def checkout(rev: str) -> Iterator[Path]:
    """The `src` directory of revision `rev` of this repository, in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="chinwag-bench-rev-") as tmp:
        archive = subprocess.run(
            ["git", "archive", rev, "src"], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        yield Path(tmp) / "src"


@dataclass
class Versus:
    loads: dict[str, list[Run]] = field(default_factory=dict)
    scrolls: list[dict[str, Any]] = field(default_factory=list)


def against(
    browser: Browser, rev: str, runs: int, load: bool, scroll: int, step: float
) -> dict[str, Versus]:
    """Both versions served side by side; one run of each measurement on each in turn, the
    order swapped every round, so the machine's load falls on both alike."""
    results = {rev: Versus(), "this tree": Versus()}
    with contextlib.ExitStack() as stack:
        src = stack.enter_context(checkout(rev))
        scenes = {
            rev: lived_in(stack.enter_context(serve(src=src)), scroll),
            "this tree": lived_in(stack.enter_context(serve()), scroll),
        }
        order = list(scenes)
        for i in range(runs):
            for name in order if i % 2 == 0 else order[::-1]:
                if load:
                    for scenario, got in measure(browser, scenes[name], 1).items():
                        results[name].loads.setdefault(scenario, []).extend(got)
                if scroll:
                    results[name].scrolls.append(scroll_bench(browser, scenes[name], scroll, step))
            print(f"  round {i + 1}/{runs}, load average {os.getloadavg()[0]:.1f}", flush=True)
    return results


def scroll_summary(runs: list[dict[str, Any]]) -> str:
    """Per CPU rate: each run's long tasks while scrolling and the longest (ms)."""
    lines = []
    for rate in ("cpu 1x", f"cpu {CPU_SLOWDOWN}x"):
        cells = [
            f"{r[rate]['long tasks while scrolling']}, {r[rate]['longest while scrolling (ms)']} ms"
            for r in runs
        ]
        p95 = [r[rate]["frame interval median / p95 / max (ms)"][1] for r in runs]
        lines.append(
            f"  {rate}: long tasks while scrolling, longest: {' | '.join(cells)}; "
            f"frame interval p95: {', '.join(map(str, p95))} ms"
        )
    return "\n".join(lines)


# ---- the served variants: source modules, with and without preload hints ----


def variant(dest: Path, preload: bool) -> Path:
    web = ROOT / "src" / "chinwag" / "web"
    shutil.copytree(web, dest)
    index = (dest / "index.html").read_text()
    index = re.sub(
        r'<link rel="stylesheet" href="/assets/[^"]+">',
        '<link rel="stylesheet" href="/app.css">',
        index,
    )
    hints = ""
    if preload:
        modules = sorted(p.relative_to(web).as_posix() for p in (web / "js").rglob("*.js"))
        hints = "".join(f'\n  <link rel="modulepreload" href="/{m}">' for m in modules)
    index = re.sub(
        r'<script type="module" src="/assets/[^"]+"></script>',
        f'<script type="module" src="/js/app.js"></script>{hints}',
        index,
    )
    (dest / "index.html").write_text(index)
    return dest


# ---- a long conversation ----

LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__longTasks.push(e.duration);
}).observe({ type: 'longtask', buffered: true });
"""


def scroll_bench(browser: Browser, scene: Scene, total: int, step: float) -> dict[str, Any]:
    assert scene.long_channel
    ctx = browser.new_context(**CONTEXT, viewport={"width": 1100, "height": 800})
    ctx.add_init_script(session_script(scene.login()))
    ctx.add_init_script(LONG_TASKS)
    page = ctx.new_page()
    page.goto(scene.base_url + f"/#/c/{scene.long_channel}")
    page.wait_for_selector('[data-testid="message"]')
    cdp = ctx.new_cdp_session(page)
    result: dict[str, Any] = {}
    for rate in (1, CPU_SLOWDOWN):
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
        # Load everything: scroll to the top until the start of the conversation.
        page.evaluate("window.__longTasks = []")
        started = time.monotonic()
        page.wait_for_function(
            """() => {
                const s = document.querySelector('[data-testid=message-list]');
                s.scrollTop = 0; s.dispatchEvent(new Event('scroll'));
                return document.querySelector('[data-testid=history-status]').textContent
                  .startsWith('This is the start');
            }""",
            timeout=600_000,
            polling=100,
        )
        loading = page.evaluate("window.__longTasks")
        load_s = time.monotonic() - started
        print(f"  cpu {rate}x: all {total} loaded in {load_s:.1f} s", file=sys.stderr, flush=True)
        # Scroll from top to bottom, `step` of a screen per frame; the time between frames
        # is what a person sees (a long task is one > 50 ms on the main thread).
        page.evaluate("window.__longTasks = []")
        frames = page.evaluate(
            """(step) => new Promise((done) => {
                const s = document.querySelector('[data-testid=message-list]');
                s.scrollTop = 0;
                let frames = 0, most = 0, last = 0;
                const gaps = [];
                const tick = (now) => {
                    if (last) gaps.push(now - last);
                    last = now;
                    most = Math.max(most, document.querySelectorAll('[data-testid=message]').length);
                    if (s.scrollTop + s.clientHeight >= s.scrollHeight - 2) return done({frames, most, gaps});
                    s.scrollTop += s.clientHeight * step; frames++;
                    requestAnimationFrame(tick);
                };
                requestAnimationFrame(tick);
            })""",
            step,
        )
        scrolling = page.evaluate("window.__longTasks")
        gaps = sorted(frames["gaps"])
        result[f"cpu {rate}x"] = {
            "load all (s)": round(load_s, 1),
            "long tasks while loading": len(loading),
            "longest while loading (ms)": round(max(loading, default=0)),
            "screens scrolled": frames["frames"],
            "long tasks while scrolling": len(scrolling),
            "longest while scrolling (ms)": round(max(scrolling, default=0)),
            "frame interval median / p95 / max (ms)": [
                round(statistics.median(gaps)),
                round(gaps[int(len(gaps) * 0.95)]),
                round(gaps[-1]),
            ],
            "most message elements in the page": frames["most"],
        }
        page.reload()
        page.wait_for_selector('[data-testid="message"]')
    ctx.close()
    result["messages"] = total
    result["screens per frame"] = step
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--variants", action="store_true", help="also source modules, +/- preload")
    parser.add_argument(
        "--scroll", type=int, default=0, metavar="N", help="a conversation of N messages"
    )
    parser.add_argument(
        "--cpu",
        type=float,
        default=CPU_SLOWDOWN,
        help=f"CPU slowdown of the load measurements (default {CPU_SLOWDOWN})",
    )
    parser.add_argument(
        "--only",
        choices=["load", "scroll", "none"],
        help="skip the other measurement (none: only what --against or --variants ask for)",
    )
    parser.add_argument(
        "--scroll-step",
        type=float,
        default=0.9,
        metavar="F",
        help="screens scrolled per animation frame (default 0.9, a fling)",
    )
    parser.add_argument(
        "--against",
        metavar="REV",
        help="also measure git revision REV, alternating runs with this tree (A/B)",
    )
    args = parser.parse_args()
    NetLog.cpu = args.cpu
    if not os.access(CHROMIUM, os.X_OK):
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium (no browser is downloaded)")
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores)", flush=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        with contextlib.ExitStack() as alone:
            # With --against, this tree is measured in the A/B alone.
            solo = not args.against and args.only != "none"
            scene = lived_in(alone.enter_context(serve()), args.scroll) if solo else None
            if scene and args.only != "scroll":
                rows = measure(browser, scene, args.runs)
                print(
                    f"\nSlow 4G (150 ms, 1.6 Mbit/s down), CPU {args.cpu:g}x slower, 390x800 "
                    f"phone, {args.runs} runs, median (min-max):\n"
                )
                print(table(rows), flush=True)
            if scene and args.scroll and args.only != "load":
                print(
                    f"\nA conversation of {args.scroll} messages (1100x800, no network throttling):\n"
                )
                print(
                    json.dumps(
                        scroll_bench(browser, scene, args.scroll, args.scroll_step), indent=2
                    ),
                    flush=True,
                )
        if args.against:
            print(f"\nA/B against {args.against}, {args.runs} rounds, runs alternated:", flush=True)
            versus = against(
                browser,
                args.against,
                args.runs,
                args.only != "scroll",
                args.scroll if args.only != "load" else 0,
                args.scroll_step,
            )
            for name, got in versus.items():
                print(f"\n{name}:\n")
                if got.loads:
                    print(table(got.loads), flush=True)
                if got.scrolls:
                    print(f"{args.scroll} messages, {args.scroll_step} screens per frame:")
                    print(scroll_summary(got.scrolls), flush=True)
        if args.variants:
            variants: dict[str, list[Run]] = {}
            with tempfile.TemporaryDirectory() as tmp:
                for name, preload in (
                    ("source modules, no hints", False),
                    ("source modules + modulepreload", True),
                ):
                    web = variant(Path(tmp) / name.replace(" ", "-").replace(",", ""), preload)
                    with serve(web) as base_url:
                        scene = lived_in(base_url, 0)
                        variants[f"cold, logged in: {name}"] = cold_only(browser, scene, args.runs)
            print("\nThe same, served without the bundle:\n")
            print(table(variants), flush=True)
        browser.close()
    print(f"\nload average after: {os.getloadavg()[0]:.2f} (2 cores)")


if __name__ == "__main__":
    main()
