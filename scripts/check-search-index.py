"""Check that a SQLite data directory's search index holds exactly the store's messages.

Every message that is not deleted and not end-to-end encrypted, whose send the index
has taken, has one entry (FTS5's row count, `search_text_docsize`) under its rowid, and
no other entry exists. Run it on a stopped server (or a copy), once the index has caught
up: entries still queued above the index's mark are reported, not checked, and so is a
rebuild beside the server under way (only what it has passed is checked). Reads only.

    scripts/check-search-index.py /srv/chinwag
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

from chinwag.store.sqlite import searchfile

# The rowid every indexable message should have (searchfile.py, migrations/0009).
_EXPECTED = (
    f"SELECT (c.id << 32) | ({searchfile.MAX_ID} - m.message_id) FROM store.messages m"
    " JOIN search_channels c ON c.channel_id = m.channel_id"
    f" WHERE {searchfile.INDEXABLE} AND m.message_id <= c.indexed_upto"
)


def main() -> int:
    store = Path(sys.argv[1]) / "chinwag.db"
    index = searchfile.path_for(store)
    conn = sqlite3.connect(f"file:{index}?mode=ro", uri=True)
    conn.execute("ATTACH DATABASE ? AS store", (f"file:{store}?mode=ro",))
    upto = searchfile.indexed_upto(conn)
    (queued,) = conn.execute(
        "SELECT count(*) FROM store.search_pending WHERE id > ?", (upto,)
    ).fetchone()
    (rows,) = conn.execute("SELECT count(*) FROM search_text_docsize").fetchone()
    (missing,) = conn.execute(
        f"SELECT count(*) FROM ({_EXPECTED} EXCEPT SELECT id FROM search_text_docsize)"
    ).fetchone()
    (extra,) = conn.execute(
        f"SELECT count(*) FROM (SELECT id FROM search_text_docsize EXCEPT {_EXPECTED})"
    ).fetchone()
    rebuilding = (
        conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_rebuild'").fetchone()
        is not None
        and searchfile.rebuild_cursor(conn) is not None
    )
    report = {
        "index_rows": rows,
        "missing": missing,
        "extra": extra,
        "queued_above_mark": queued,
        "rebuilding": rebuilding,
    }
    print(json.dumps(report))
    return 0 if missing == extra == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
