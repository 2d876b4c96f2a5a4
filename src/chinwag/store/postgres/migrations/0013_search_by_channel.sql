-- Search cost follows the caller's channels, not the whole store; and the optional edit
-- history.
--
-- The trigram index of 0011 held only the text: a search read every match in the store
-- (each partition's bitmap) before the membership join refused all but the caller's
-- few, and a term shorter than a trigram had no index at all. This GIN index holds the
-- channel id beside the trigrams (btree_gin): a search runs once per channel of the
-- caller (store/postgres/search.py), where the index intersects the channel's entry
-- with the terms' trigrams and GIN's fast scan skips over the other channels' entries;
-- a short term reads the channel's own entries only. Deleted messages are left out (the
-- query asks for NOT deleted), and end-to-end encrypted bodies as before.
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX messages_channel_text_trgm ON messages USING gin (channel_id, text gin_trgm_ops)
    WHERE text NOT LIKE E'\001%' AND NOT deleted;
DROP INDEX messages_text_trgm;

-- Previous versions of edited messages, kept only while the server's
-- keep_edit_history setting is on, read only by server admins; a delete erases them.
CREATE TABLE message_versions (
    channel_id TEXT NOT NULL,
    message_id BIGINT NOT NULL,
    version INTEGER NOT NULL,
    text TEXT NOT NULL,
    mentions TEXT[] NOT NULL,
    -- when this text stopped being current (the edit that replaced it)
    replaced_at BIGINT NOT NULL,
    -- when it became current: the send, or the previous edit
    since BIGINT NOT NULL,
    PRIMARY KEY (channel_id, message_id, version)
);
