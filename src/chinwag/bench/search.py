"""`chinwag bench search`: search latency over a large store, on either engine.

Fills a store (an empty SQLite data directory, or an empty PostgreSQL database) with
`--messages` messages through the engine's own send path (so the search index is built
exactly as a server builds it): `--users` users in `--groups` groups of `--group-size`,
texts of pseudo-words drawn with a Zipf-like skew, one in twenty in Chinese. Then runs
`--queries` searches one after another, each by a random user (who sees the messages of
their few groups only), and prints p50 / p99 / max in milliseconds per kind of query:

  own-two    two words of a message in one of the caller's conversations (at least one
             result; the target: p99 < 50 ms on SQLite)
  own-one    one word of such a message
  rare-two   two words of middling frequency that seldom meet (mostly no result: every
             match in the store is looked at and refused)
  one-word   one word of middling frequency
  cjk-2      one two-character Chinese word (shorter than a trigram)

A store that already holds a fill of this command (a marker message) is reused. With
`--prefilled N` the store is one `chinwag bench prefill` wrote (users lived0..livedN-1),
nothing is written and only the queries from the callers' own conversations run.

    chinwag bench search --data-dir /tmp/search-bench --messages 1000000
    chinwag bench search --store postgresql://127.0.0.1/searchbench --messages 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections.abc import Awaitable
from dataclasses import dataclass

from chinwag.accounts.models import NewUser, ProfileChanges
from chinwag.app import build_store
from chinwag.config import Settings
from chinwag.messaging.models import SendRefusal, SendRequest, Stored
from chinwag.messaging.search import SearchQuery
from chinwag.store.base import Store

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_MARKER = "chinwag-bench-search-fill"


@dataclass(frozen=True)
class Plan:
    messages: int
    users: int
    groups: int
    group_size: int
    queries: int
    seed: int


def _vocabulary(rng: random.Random, n: int) -> list[str]:
    words: dict[str, None] = {}
    while len(words) < n:
        words["".join(rng.choice(_LETTERS) for _ in range(rng.randint(3, 9)))] = None
    return list(words)


def _cjk_words(rng: random.Random, n: int) -> list[str]:
    # Two-character words over a few hundred characters, as everyday Chinese mostly is.
    chars = [chr(c) for c in rng.sample(range(0x4E00, 0x9FA5), 600)]
    words: dict[str, None] = {}
    while len(words) < n:
        words[rng.choice(chars) + rng.choice(chars)] = None
    return list(words)


class _Texts:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = _vocabulary(rng, 20_000)
        self.cjk = _cjk_words(rng, 2_000)
        # Zipf-like: the word of rank r is drawn with weight 1 / (r + 10).
        self._cum = list(_cumulative([1.0 / (r + 10) for r in range(len(self.words))]))
        self._cjk_cum = list(_cumulative([1.0 / (r + 10) for r in range(len(self.cjk))]))

    def text(self) -> str:
        rng = self.rng
        if rng.random() < 0.05:
            return "".join(rng.choices(self.cjk, cum_weights=self._cjk_cum, k=rng.randint(4, 20)))
        return " ".join(rng.choices(self.words, cum_weights=self._cum, k=rng.randint(4, 24)))


def _cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


async def _fill(store: Store, plan: Plan, texts: _Texts) -> None:
    rng = texts.rng
    now = int(time.time() * 1000) - plan.messages  # one message per ms, ending now
    users = [f"ubench{n:07d}" for n in range(plan.users)]
    await asyncio.gather(*(store.accounts.create_user(NewUser(u, u, "-", "", now)) for u in users))
    anyone = ProfileChanges(group_adds="anyone")
    await asyncio.gather(*(store.accounts.update_profile(u, anyone) for u in users))
    groups = [(f"cbench{n:07d}", rng.sample(users, plan.group_size)) for n in range(plan.groups)]
    await asyncio.gather(
        *(store.channels.create_group(c, c, m[0], m[1:], now, 1_000_000) for c, m in groups)
    )
    pending: list[Awaitable[Stored | SendRefusal]] = []
    t0 = time.perf_counter()
    for n in range(plan.messages):
        cid, members = rng.choice(groups) if n else groups[0]  # the marker goes first
        sender = rng.choice(members)
        text = texts.text() if n else _MARKER
        req = SendRequest(sender, "dbench-" + sender, cid, f"b{n}", text, now + n)
        pending.append(store.messages.append(req))
        if len(pending) >= 2_000:
            await _settle(pending)
            pending = []
            if (n + 1) % 50_000 < 2_000:
                rate = (n + 1) / (time.perf_counter() - t0)
                print(f"  stored {n + 1:,} messages ({rate:,.0f}/s)", file=sys.stderr)
    await _settle(pending)


async def _settle(pending: list[Awaitable[Stored | SendRefusal]]) -> None:
    for outcome in await asyncio.gather(*pending):
        if isinstance(outcome, SendRefusal):
            raise RuntimeError(f"a send was refused: {outcome}")


async def _filled(store: Store) -> bool:
    # The marker is the first message of the first group.
    found = await store.messages.history("cbench0000000", before=None, after=0, limit=1)
    return bool(found) and found[0].text == _MARKER


async def _own(
    store: Store, rng: random.Random, users: list[str], n: int
) -> list[tuple[str, str, str]]:
    """(caller, two words, one word) from messages of the callers' own conversations."""
    out: list[tuple[str, str, str]] = []
    while len(out) < n:
        user = rng.choice(users)
        views = await store.channels.channels_of(user, member_list_limit=0)
        if not views:
            continue
        channel = rng.choice(views).channel
        page = await store.messages.history(channel.id, before=None, after=None, limit=50)
        if not page:
            continue
        words = [w for w in dict.fromkeys(rng.choice(page).text.split()) if len(w) >= 3]
        if len(words) >= 2:
            two = rng.sample(words, 2)
            out.append((user, " ".join(two), two[0]))
    return out


def _kinds(texts: _Texts, rng: random.Random) -> dict[str, list[str]]:
    middling = texts.words[100:3_000]
    ranks = {w: r for r, w in enumerate(texts.words)}
    pairs: list[str] = []
    while len(pairs) < 1_000:
        # Two words that occur together in a text like the stored ones, neither of the
        # hundred most frequent.
        words = [w for w in dict.fromkeys(texts.text().split()) if ranks.get(w, 0) >= 100]
        if len(words) >= 2:
            pairs.append(" ".join(rng.sample(words, 2)))
    return {
        "rare-two": pairs,
        "one-word": [rng.choice(middling) for _ in range(1_000)],
        "cjk-2": [rng.choice(texts.cjk[20:500]) for _ in range(1_000)],
    }


async def _measure(
    store: Store, plan: Plan, texts: _Texts, users: list[str], synthetic: bool
) -> dict[str, dict[str, float]]:
    rng = random.Random(plan.seed + 1)
    own = await _own(store, rng, users, plan.queries)
    kinds: dict[str, list[tuple[str, str]]] = {
        "own-two": [(u, two) for u, two, _ in own],
        "own-one": [(u, one) for u, _, one in own],
    }
    if synthetic:
        for kind, queries in _kinds(texts, rng).items():
            kinds[kind] = [
                (rng.choice(users), queries[i % len(queries)]) for i in range(plan.queries)
            ]
    report: dict[str, dict[str, float]] = {}
    for kind, asked in kinds.items():
        took: list[float] = []
        hits = 0
        for user, words in asked:
            q = SearchQuery(user, tuple(words.split()))
            t0 = time.perf_counter()
            hits += len(await store.messages.search(q))
            took.append((time.perf_counter() - t0) * 1000)
        took.sort()
        report[kind] = {
            "p50_ms": round(statistics.median(took), 2),
            "p99_ms": round(took[int(len(took) * 0.99) - 1], 2),
            "max_ms": round(took[-1], 2),
            "mean_results": round(hits / len(took), 1),
        }
    return report


async def run(
    settings: Settings, plan: Plan, prefilled: int, *, measure_only: bool = False
) -> dict[str, object]:
    store = build_store(settings)
    await store.start()
    try:
        texts = _Texts(random.Random(plan.seed))
        if prefilled:
            found = [await store.accounts.find_user(f"lived{n}") for n in range(prefilled)]
            users = [u.id for u in found if u is not None]
        else:
            users = [f"ubench{n:07d}" for n in range(plan.users)]
            if not measure_only and not await _filled(store):
                t0 = time.perf_counter()
                await _fill(store, plan, texts)
                print(f"filled in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        return {
            "engine": "postgres" if settings.uses_postgres else "sqlite",
            "messages": plan.messages,
            "users": plan.users,
            "groups": plan.groups,
            "group_size": plan.group_size,
            "queries_per_kind": plan.queries,
            "prefilled": bool(prefilled),
            "latency": await _measure(store, plan, texts, users, not prefilled),
        }
    finally:
        await store.close()


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="chinwag bench search", description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default="./var/bench-search", help="SQLite data directory")
    p.add_argument("--store", default="", help="a postgres:// URL (default: SQLite)")
    p.add_argument("--messages", type=int, default=1_000_000)
    p.add_argument("--users", type=int, default=2_000)
    p.add_argument("--groups", type=int, default=1_000)
    p.add_argument("--group-size", type=int, default=10)
    p.add_argument("--queries", type=int, default=1_000, help="per kind of query")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--measure-only", action="store_true", help="the store is filled already: only search"
    )
    p.add_argument(
        "--prefilled", type=int, default=0, metavar="N", help="a prefilled SQLite store of N users"
    )
    ns = p.parse_args(argv)
    settings = Settings(data_dir=ns.data_dir, store=ns.store)
    plan = Plan(ns.messages, ns.users, ns.groups, ns.group_size, ns.queries, ns.seed)
    import uvloop

    result = uvloop.run(run(settings, plan, ns.prefilled, measure_only=ns.measure_only))
    print(json.dumps(result, indent=2))
    return 0
