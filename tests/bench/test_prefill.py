"""`chinwag bench prefill` writes a database the server can live on: the real schema with
gapless message ids per channel and inbox seqs per user, every message already in the
search index (nothing pending, one segment); it is reused, never overwritten; and a
server starts on it and takes new traffic on top, exactly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from chinwag.bench.config import BenchConfig
from chinwag.bench.prefill import PrefillConfig, prefill
from chinwag.bench.run import run_workload
from chinwag.store.sqlite import searchfile
from chinwag.store.sqlite.indexer import segments
from chinwag.store.sqlite.searchfile import MAX_ID
from tests.helpers.server import run_server, test_settings

# Inbox entries wherever they are (a stop may leave some waiting: store/sqlite/inbox.py).
ENTRIES = (
    "(SELECT user_id, seq, channel_id, message_id FROM inbox"
    " UNION ALL SELECT user_id, seq, channel_id, message_id FROM inbox_recent)"
)
SIZES = {"messages": 3_000, "users": 300, "channels": 200, "chunk": 1_000, "cache_mib": 16}


def _check_database(path: Path, messages: int) -> None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == messages
        # Every message's idempotency key: in `sends`, or still on its queued message
        # (claims.py), as a stop may leave the last ones.
        keys = conn.execute(
            "SELECT count(*) FROM (SELECT device_id, client_msg_id FROM sends UNION"
            " SELECT m.device_id, m.client_msg_id FROM search_pending p JOIN messages m"
            " ON m.channel_id = p.channel_id AND m.message_id = p.message_id WHERE NOT p.edit)"
        ).fetchone()[0]
        assert keys == messages
        gaps = conn.execute(
            "SELECT count(*) FROM (SELECT channel_id, max(message_id) AS top, count(*) AS n"
            " FROM messages GROUP BY channel_id) WHERE top != n"
        ).fetchone()[0]
        assert gaps == 0
        gaps = conn.execute(
            "SELECT count(*) FROM (SELECT user_id, max(seq) AS top, count(*) AS n"
            f" FROM {ENTRIES} GROUP BY user_id) WHERE top != n"
        ).fetchone()[0]
        assert gaps == 0
        # One inbox entry per member of the message's channel, each naming a real message.
        expected = conn.execute(
            "SELECT sum(c.member_count) FROM messages m JOIN channels c ON c.id = m.channel_id"
        ).fetchone()[0]
        joined = conn.execute(
            f"SELECT count(*) FROM {ENTRIES} i JOIN messages m"
            " ON m.channel_id = i.channel_id AND m.message_id = i.message_id"
            " JOIN members mb ON mb.channel_id = i.channel_id AND mb.user_id = i.user_id"
        ).fetchone()[0]
        assert joined == expected
    finally:
        conn.close()


def _check_index(path: Path) -> None:
    """As a server that has lived leaves it: everything indexed, nothing pending, the
    index merged, FTS5's merging inside inserts off; the index in its own file."""
    conn = searchfile.open_index(path)
    try:
        assert conn.execute("SELECT count(*) FROM search_pending").fetchone()[0] == 0
        assert not conn.execute(
            "SELECT 1 FROM store.sqlite_master WHERE name LIKE 'search_text%'"
        ).fetchall()
        conn.execute("INSERT INTO search_text (search_text) VALUES ('integrity-check')")
        assert segments(conn) == 1
        config = dict(conn.execute("SELECT k, v FROM search_text_config").fetchall())
        assert config["automerge"] == 0 and config["crisismerge"] > 100
        # Each channel's messages are indexed up to its newest one.
        behind = conn.execute(
            "SELECT count(*) FROM (SELECT channel_id, max(message_id) AS top FROM messages"
            " GROUP BY channel_id) m JOIN search_channels c USING (channel_id)"
            " WHERE c.indexed_upto != m.top"
        ).fetchone()[0]
        assert behind == 0
        messages = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM search_text_docsize").fetchone()[0] == messages
        # Search finds prefilled messages by their words, under their channel's rowids.
        sample = conn.execute(
            "SELECT c.id, m.message_id, m.text FROM messages m"
            " JOIN search_channels c USING (channel_id) WHERE length(trim(m.text)) >= 12"
            " ORDER BY m.created_at LIMIT 20"
        ).fetchall()
        assert sample
        for number, message_id, text in sample:
            # detail=none asks a longer term as its trigrams, all present.
            term = text.strip()[:12]
            query = " AND ".join(f'"{term[i : i + 3]}"' for i in range(len(term) - 2))
            found = {
                rowid
                for (rowid,) in conn.execute(
                    "SELECT rowid FROM search_text WHERE search_text MATCH ?", (query,)
                )
            }
            assert (number << 32) | (MAX_ID - message_id) in found
    finally:
        conn.close()


async def test_prefill_then_serve(tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = prefill(PrefillConfig(data_dir=str(data), **SIZES))  # type: ignore[arg-type]
    assert made["reused"] is False
    _check_database(data / "chinwag.db", SIZES["messages"])
    _check_index(data / "chinwag.db")
    again = prefill(PrefillConfig(data_dir=str(data), **SIZES))  # type: ignore[arg-type]
    assert again["reused"] is True
    with pytest.raises(RuntimeError, match="prefilled with less"):
        prefill(PrefillConfig(data_dir=str(data), messages=SIZES["messages"] * 2))

    settings = test_settings(data, sends_per_user_per_sec=100_000.0, send_burst=100_000)
    async with run_server(settings) as srv:
        with pytest.raises(RuntimeError, match="a server is using"):
            prefill(PrefillConfig(data_dir=str(data), **SIZES))  # type: ignore[arg-type]
        async with httpx.AsyncClient(base_url=srv.base_url) as http:
            r = await http.get("/readyz")
            assert r.status_code == 200
        cfg = BenchConfig(
            workload="pairs",
            url=srv.base_url,
            procs=1,
            pairs=4,
            messages=50,
            window=4,
            progress=False,
            timeout=30.0,
        )
        result, _ = await run_workload(cfg)
        assert result.ok and result.acked == 200
    _check_database(data / "chinwag.db", SIZES["messages"] + 200)


def test_refuses_a_database_it_did_not_make(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    sqlite3.connect(data / "chinwag.db").close()
    with pytest.raises(RuntimeError, match="not made by prefill"):
        prefill(PrefillConfig(data_dir=str(data), **SIZES))  # type: ignore[arg-type]
