-- The chinwag schema on PostgreSQL. Times are BIGINT milliseconds since the epoch and ids
-- are TEXT, as on SQLite, so both engines hand the domain identical values.
--
-- Hot tables (messages, inbox) are hash-partitioned on the key every hot query carries
-- (channel_id, user_id): each query prunes to one partition, and the same queries run
-- unchanged on a distributed PostgreSQL (Citus) with those columns as distribution keys.

-- Accounts. username_key is the username lowercased by the application (unique).
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    avatar_url TEXT NOT NULL DEFAULT '',
    status_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    last_active_at BIGINT
);

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX devices_user ON devices (user_id);

CREATE TABLE friend_requests (
    id TEXT PRIMARY KEY,
    from_user_id TEXT NOT NULL REFERENCES users (id),
    to_user_id TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL
);
-- At most one pending request per pair, whichever direction: the invariant holds even if
-- a writer forgets the pair lock.
CREATE UNIQUE INDEX friend_requests_pair
    ON friend_requests (least(from_user_id, to_user_id), greatest(from_user_id, to_user_id));
CREATE INDEX friend_requests_to ON friend_requests (to_user_id);
CREATE INDEX friend_requests_from ON friend_requests (from_user_id);

-- One row per direction, so "friends of X" is one index range scan.
CREATE TABLE friendships (
    user_id TEXT NOT NULL,
    friend_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, friend_id)
);

-- fanout: 'write' (inbox entries per member) or 'read' (large groups, history only).
-- direct_key: 'a:b' of the sorted pair for direct channels, so there is one per pair.
-- last_message_id: the per-channel sequence; every send updates it under the row lock.
-- members_version: bumped on every membership change, so senders may cache member lists.
-- fillfactor leaves room in each page so those frequent updates stay HOT (no index writes).
CREATE TABLE channels (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
    name TEXT NOT NULL DEFAULT '',
    direct_key TEXT UNIQUE,
    fanout TEXT NOT NULL DEFAULT 'write' CHECK (fanout IN ('write', 'read')),
    member_count INTEGER NOT NULL DEFAULT 0,
    last_message_id BIGINT NOT NULL DEFAULT 0,
    members_version BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
) WITH (fillfactor = 70);

CREATE TABLE members (
    channel_id TEXT NOT NULL REFERENCES channels (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
    last_read_message_id BIGINT NOT NULL DEFAULT 0,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX members_user ON members (user_id, channel_id);

-- History, keyed (channel_id, message_id); message_id is gapless per channel.
CREATE TABLE messages (
    channel_id TEXT NOT NULL,
    message_id BIGINT NOT NULL,
    sender_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    client_msg_id TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (channel_id, message_id)
) PARTITION BY HASH (channel_id);

-- The per-user sync queue: seq is gapless per user.
CREATE TABLE inbox (
    user_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    channel_id TEXT NOT NULL,
    message_id BIGINT NOT NULL,
    PRIMARY KEY (user_id, seq)
) PARTITION BY HASH (user_id);

DO $$
BEGIN
    FOR i IN 0..15 LOOP
        EXECUTE format(
            'CREATE TABLE messages_p%s PARTITION OF messages'
            ' FOR VALUES WITH (MODULUS 16, REMAINDER %s)', i, i);
        EXECUTE format(
            'CREATE TABLE inbox_p%s PARTITION OF inbox'
            ' FOR VALUES WITH (MODULUS 16, REMAINDER %s)', i, i);
    END LOOP;
END
$$;

-- The newest inbox seq of each user: the row whose lock makes seqs gapless.
CREATE TABLE inbox_heads (
    user_id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL
) WITH (fillfactor = 70);

-- Idempotency of sends: one row per (device, client_msg_id).
CREATE TABLE sends (
    device_id TEXT NOT NULL,
    client_msg_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    message_id BIGINT NOT NULL,
    PRIMARY KEY (device_id, client_msg_id)
);

CREATE TABLE push_subscriptions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    device_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    endpoint TEXT NOT NULL DEFAULT '',
    p256dh TEXT NOT NULL DEFAULT '',
    auth TEXT NOT NULL DEFAULT '',
    token TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id, created_at);
CREATE INDEX push_subscriptions_device ON push_subscriptions (device_id);
