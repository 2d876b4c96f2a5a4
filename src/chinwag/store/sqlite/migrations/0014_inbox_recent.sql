-- New inbox entries are appended here and moved into `inbox` by the writer's background
-- step, in key order (store/sqlite/inbox.py says why). A rowid table: the entries of a
-- commit share its last pages, where `inbox`, keyed by user, took a page for each.
CREATE TABLE inbox_recent (
    id INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    channel_id TEXT NOT NULL,
    message_id INTEGER NOT NULL,
    event TEXT
);
