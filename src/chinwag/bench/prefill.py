"""`chinwag bench prefill`: give a SQLite data directory a past, before a server runs on it.

A database that has lived is not a fresh one: its tables are deep, the pages a send
touches are scattered over gigabytes, and caches hold only a little of it. Benchmarks
mean steady state on such a database, so this writes one directly in the real schema,
in bulk (the wire would take hours): `--users` users with a device each, `--channels`
conversations (direct ones between friends, a share of small groups), and `--messages`
messages spread over them in time order, busy conversations busier than others, each
with its idempotency row, its inbox entry per member and gapless ids and seqs, exactly
as the server stores them. Then every member has read everything, and every message is
in the search index, as a server that has lived would have indexed it in its idle
moments: nothing waits in search_pending, and the index is merged to one segment.

It refuses a data directory a server is using (the same lock as the server) and one
that holds a database it did not make. A directory it made already, with at least as
many messages, is reused as it is (runs on top of it only add to its past), so a
benchmark script can always start with this command.

    chinwag bench prefill --data-dir /srv/lived --messages 10000000 --users 100000
"""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import json
import random
import secrets
import sqlite3
import string
import sys
import time
from bisect import bisect
from dataclasses import asdict, dataclass
from pathlib import Path

from argon2 import PasswordHasher

from chinwag.bench import flags
from chinwag.store.sqlite import indexer, searchfile
from chinwag.store.sqlite.migrate import migrate

MARKER = "prefill.json"
DAY_MS = 86_400_000
# FTS5's in-memory build buffer while prefilling (bytes; FTS5's default is 1 MiB): each
# flush is a segment, so a large buffer leaves fewer segments to merge at the end.
BUILD_HASH_BYTES = 256 << 20


@dataclass(frozen=True)
class PrefillConfig:
    data_dir: str = ""
    messages: int = 10_000_000
    users: int = 100_000
    channels: int = 100_000
    group_share: float = 0.05  # of channels; groups have 3 to 20 members (fan-out on write)
    days: int = 365  # messages are spread over this many days before now
    chunk: int = 500_000  # messages per transaction
    seed: int = 1
    cache_mib: int = 2048  # SQLite page cache while writing


@dataclass
class _World:
    user_ids: list[str]
    device_of: list[str]
    channel_ids: list[str]
    members: list[tuple[int, ...]]  # user indexes per channel
    cum_weights: list[float]  # busy conversations are busier (Zipf-like)


def main(argv: list[str] | None = None) -> int:
    cfg, out = flags.parse(PrefillConfig, "chinwag bench prefill", __doc__, argv)
    if not cfg.data_dir:
        print("chinwag bench prefill: --data-dir is required", file=sys.stderr)
        return 2
    try:
        result = prefill(cfg)
    except RuntimeError as exc:
        print(f"chinwag bench prefill: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(result, indent=2)
    print(text)
    if out:
        Path(out).write_text(text + "\n")
    return 0


def prefill(cfg: PrefillConfig) -> dict[str, object]:
    data = Path(cfg.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    path = data / "chinwag.db"
    lock = open(data / "chinwag.lock", "a")  # noqa: SIM115 - held until the end
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise RuntimeError(f"a server is using {data}; stop it first") from None
        marker = data / MARKER
        if marker.exists():
            made = json.loads(marker.read_text())
            if made.get("messages", 0) >= cfg.messages and made.get("users", 0) >= cfg.users:
                return {"reused": True, **made, "db_bytes": path.stat().st_size}
            raise RuntimeError(f"{data} was prefilled with less ({made}); use a new directory")
        if path.exists():
            raise RuntimeError(f"{path} exists and was not made by prefill; use a new directory")
        started = time.monotonic()
        counts = _write(path, cfg)
        # The index was built in the store's file, in the same transactions as the
        # messages; the server keeps it in a file of its own.
        searchfile.prepare_file(path)
        made = {**asdict(cfg), **counts, "seconds": round(time.monotonic() - started, 1)}
        marker.write_text(json.dumps(made, indent=2) + "\n")
        size = path.stat().st_size
        return {
            "reused": False,
            **made,
            "db_bytes": size,
            "bytes_per_message": size // cfg.messages,
        }
    finally:
        lock.close()


def _write(path: Path, cfg: PrefillConfig) -> dict[str, int]:
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        migrate(conn)
        # Bulk loading into a new file: nothing to protect until it is done, and the
        # marker is written only after the last commit and checkpoint.
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute(f"PRAGMA cache_size=-{cfg.cache_mib * 1024}")
        rng = random.Random(cfg.seed)
        now = int(time.time() * 1000)
        start = now - cfg.days * DAY_MS
        conn.execute("INSERT INTO search_text (search_text, rank) VALUES ('automerge', 0)")
        conn.execute(
            "INSERT INTO search_text (search_text, rank) VALUES ('hashsize', ?)",
            (BUILD_HASH_BYTES,),
        )
        world = _people(conn, rng, cfg, start)
        inbox_rows = _messages(conn, rng, cfg, world, start, now)
        conn.execute("BEGIN")
        # The index as the server leaves it when nothing is pending: one segment (a
        # search seeks once per segment), FTS5's own merging off, the default buffer.
        conn.execute("INSERT INTO search_text (search_text) VALUES ('optimize')")
        conn.execute(
            "INSERT INTO search_text (search_text, rank) VALUES ('hashsize', ?)", (1 << 20,)
        )
        indexer.configure(conn)
        # Everyone has read everything: unread counts start at zero.
        conn.execute(
            "UPDATE members SET last_read_message_id = (SELECT coalesce(max(message_id), 0)"
            " FROM messages_main WHERE messages_main.channel_id = members.channel_id)"
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("ANALYZE")
        return {"inbox_rows": inbox_rows, "groups": sum(1 for m in world.members if len(m) > 2)}
    finally:
        conn.close()


def _ids(rng: random.Random, prefix: str, n: int) -> list[str]:
    # The server's id shape (a letter and 16 base32 characters), from the seeded generator.
    alphabet = string.ascii_lowercase + "234567"
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        value = prefix + "".join(rng.choices(alphabet, k=16))
        if value not in seen:
            seen.add(value)
            out.append(value)
    return out


def _people(conn: sqlite3.Connection, rng: random.Random, cfg: PrefillConfig, at: int) -> _World:
    users = _ids(rng, "u", cfg.users)
    devices = _ids(rng, "d", cfg.users)
    channels = _ids(rng, "c", cfg.channels)
    # One real argon2 hash, of a password nobody keeps, shared by every prefilled user.
    password_hash = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(
        secrets.token_urlsafe()
    )
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO users (id, username, username_key, password_hash, display_name,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (
            (u, f"Lived{i}", f"lived{i}", password_hash, f"Lived {i}", at)
            for i, u in enumerate(users)
        ),
    )
    conn.executemany(
        "INSERT INTO devices (id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        (
            (d, u, "prefill", hashlib.sha256(f"prefill-{cfg.seed}-{d}".encode()).digest(), at)
            for d, u in zip(devices, users, strict=True)
        ),
    )
    groups = int(cfg.channels * cfg.group_share)
    members: list[tuple[int, ...]] = []
    pairs: set[tuple[int, int]] = set()
    while len(members) < cfg.channels - groups:
        a, b = rng.randrange(cfg.users), rng.randrange(cfg.users)
        key = (min(a, b), max(a, b))
        if a != b and key not in pairs:
            pairs.add(key)
            members.append(key)
    while len(members) < cfg.channels:
        members.append(tuple(rng.sample(range(cfg.users), rng.randint(3, 20))))
    rng.shuffle(members)
    conn.executemany(
        "INSERT INTO channels (id, kind, name, direct_key, fanout, member_count, created_at)"
        " VALUES (?, ?, ?, ?, 'write', ?, ?)",
        (
            (
                cid,
                "direct" if len(m) == 2 else "group",
                "" if len(m) == 2 else f"group {i}",
                ":".join(sorted((users[m[0]], users[m[1]]))) if len(m) == 2 else None,
                len(m),
                at,
            )
            for i, (cid, m) in enumerate(zip(channels, members, strict=True))
        ),
    )
    conn.executemany(
        "INSERT INTO members (channel_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)",
        (
            (cid, users[u], "owner" if len(m) > 2 and j == 0 else "member", at)
            for cid, m in zip(channels, members, strict=True)
            for j, u in enumerate(m)
        ),
    )
    conn.executemany(
        "INSERT OR IGNORE INTO friendships (user_id, friend_id, created_at) VALUES (?, ?, ?)",
        (
            (users[x], users[y], at)
            for m in members
            if len(m) == 2
            for x, y in ((m[0], m[1]), (m[1], m[0]))
        ),
    )
    # Search numbers every channel; each one's messages are a range of index rowids.
    conn.executemany(
        "INSERT INTO search_channels (id, channel_id) VALUES (?, ?)",
        ((i + 1, cid) for i, cid in enumerate(channels)),
    )
    conn.execute("COMMIT")
    weights = [1.0 / (rank + 10) ** 0.8 for rank in range(cfg.channels)]
    return _World(users, devices, channels, members, list(itertools.accumulate(weights)))


def _messages(
    conn: sqlite3.Connection,
    rng: random.Random,
    cfg: PrefillConfig,
    world: _World,
    start: int,
    end: int,
) -> int:
    last_id = [0] * cfg.channels
    seq = [0] * cfg.users
    words = "".join(rng.choices(string.ascii_lowercase + "      ", k=4096))
    total_w = world.cum_weights[-1]
    step = (end - start) / max(1, cfg.messages)
    inbox_rows = 0
    made = 0
    report = time.monotonic()
    while made < cfg.messages:
        n = min(cfg.chunk, cfg.messages - made)
        msgs, sends, inbox, docs = [], [], [], []
        for k in range(made, made + n):
            ch = bisect(world.cum_weights, rng.random() * total_w)
            ch = min(ch, cfg.channels - 1)
            members = world.members[ch]
            sender = members[rng.randrange(len(members))]
            mid = last_id[ch] = last_id[ch] + 1
            cid, uid, cmid = world.channel_ids[ch], world.user_ids[sender], f"p{k}"
            did = world.device_of[sender]
            at = start + int(k * step)
            pos = rng.randrange(3000)
            text = words[pos : pos + 20 + (k * 7919) % 140]
            msgs.append((cid, mid, uid, did, cmid, text, at))
            docs.append((((ch + 1) << 32) | (searchfile.MAX_ID - mid), text))
            sends.append((did, cmid, cid, mid))
            for u in members:
                s = seq[u] = seq[u] + 1
                inbox.append((world.user_ids[u], s, cid, mid))
        # Each table's rows in its key order: every page is visited once per chunk.
        msgs.sort()
        sends.sort()
        inbox.sort()
        # Ascending rowids: FTS5 starts a new segment whenever a rowid is not above the last.
        docs.sort()
        conn.execute("BEGIN")
        # Straight into the history, where no trigger queues them for the indexer:
        # prefill indexes its messages itself, in bulk.
        conn.executemany(
            "INSERT INTO messages_main (channel_id, message_id, sender_id, device_id,"
            " client_msg_id, text, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            msgs,
        )
        conn.executemany(
            "INSERT INTO sends (device_id, client_msg_id, channel_id, message_id)"
            " VALUES (?, ?, ?, ?)",
            sends,
        )
        conn.executemany(
            "INSERT INTO inbox (user_id, seq, channel_id, message_id) VALUES (?, ?, ?, ?)", inbox
        )
        conn.executemany("INSERT INTO search_text (rowid, text) VALUES (?, ?)", docs)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        made += n
        inbox_rows += len(inbox)
        if time.monotonic() - report > 10 or made == cfg.messages:
            report = time.monotonic()
            print(f"prefill: {made:,} of {cfg.messages:,} messages", file=sys.stderr, flush=True)
    # Every message is in the index: the update trigger keeps edits in step from now on.
    conn.execute("BEGIN")
    conn.executemany(
        "UPDATE search_channels SET indexed_upto = ? WHERE id = ?",
        ((top, ch + 1) for ch, top in enumerate(last_id) if top),
    )
    conn.execute("COMMIT")
    return inbox_rows
