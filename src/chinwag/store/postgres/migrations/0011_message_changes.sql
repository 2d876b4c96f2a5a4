-- Replies, mentions, edits, deletes and reactions; and the search index of messages.
--
-- A deleted message stays as a tombstone (ids, sender, time, deleted) with its text
-- emptied; an edit replaces the text and sets edited_at. Either change, and each
-- reaction change, takes an inbox entry per member (`event` says which change; NULL is a
-- new message) from chinwag_inbox_event below, so devices learn of it in cursor order
-- like a message. Columns added to the partitioned roots reach every bucket, and
-- chinwag_create_bucket builds new buckets LIKE the roots.
ALTER TABLE messages ADD COLUMN reply_to BIGINT,
                     ADD COLUMN mentions TEXT[] NOT NULL DEFAULT '{}',
                     ADD COLUMN edited_at BIGINT,
                     ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE inbox ADD COLUMN event TEXT;

CREATE TABLE reactions (
    channel_id TEXT NOT NULL,
    message_id BIGINT NOT NULL,
    emoji TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (channel_id, message_id, emoji, user_id)
);

-- Search: trigrams of the current text (pg_trgm), in a GIN index on every bucket. A
-- trigram index finds any substring of three characters or more in any script, with no
-- word splitting (Chinese and Japanese have no spaces); the text of a deleted message is
-- empty, so it has no trigrams. Shorter terms are checked on the candidates' text. An
-- end-to-end encrypted body (text beginning with U+0001) is never indexed: the index is
-- partial, and search queries carry the same predicate (store/postgres/search.py).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX messages_text_trgm ON messages USING gin (text gin_trgm_ops)
    WHERE text NOT LIKE E'\001%';

-- One inbox entry per member of a fan-out-on-write channel for a change to a message,
-- in the active bucket, with the locks in the order sends take them: the shared bucket
-- lock, the channel row (so a change and the channel's sends are ordered the same for
-- every member), then inbox_heads in user_id order. Returns each member's new seq; no
-- rows for a fan-out-on-read group.
CREATE FUNCTION chinwag_inbox_event(p_channel_id TEXT, p_message_id BIGINT, p_event TEXT)
RETURNS TABLE (o_user_id TEXT, o_seq BIGINT) LANGUAGE plpgsql AS $$
DECLARE
    v_bucket INTEGER;
    v_fanout TEXT;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(7163091130502964993);
    SELECT max(b.bucket) INTO v_bucket FROM chinwag_buckets b WHERE b.active_since IS NOT NULL;
    SELECT c.fanout INTO v_fanout FROM channels c WHERE c.id = p_channel_id FOR NO KEY UPDATE;
    IF v_fanout IS DISTINCT FROM 'write' THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH heads AS (
        INSERT INTO inbox_heads AS h (user_id, seq, bucket, bucket_first_seq)
        SELECT mb.user_id, 1, v_bucket, 1
          FROM members mb WHERE mb.channel_id = p_channel_id
         ORDER BY mb.user_id
        ON CONFLICT (user_id) DO UPDATE
           SET seq = h.seq + 1,
               bucket = v_bucket,
               bucket_first_seq = CASE WHEN h.bucket = v_bucket THEN h.bucket_first_seq
                                       ELSE h.seq + 1 END
        RETURNING h.user_id, h.seq, h.bucket_first_seq
    ), stored AS (
        INSERT INTO inbox (user_id, seq, channel_id, message_id, bucket, event)
        SELECT h.user_id, h.seq, p_channel_id, p_message_id, v_bucket, p_event FROM heads h
    ), started AS (
        INSERT INTO inbox_buckets (user_id, bucket, first_seq)
        SELECT h.user_id, v_bucket, h.seq FROM heads h WHERE h.bucket_first_seq = h.seq
        ON CONFLICT DO NOTHING
    )
    SELECT h.user_id, h.seq FROM heads h;
END
$$;
