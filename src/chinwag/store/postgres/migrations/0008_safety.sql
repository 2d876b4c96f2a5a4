-- Safety and the account lifecycle: server admins, deactivated and deleted accounts,
-- per-device activity, blocks, mutes, reports, and usernames held after deletion.
ALTER TABLE users ADD COLUMN is_admin BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN deactivated_at BIGINT;
ALTER TABLE users ADD COLUMN deleted_at BIGINT;
ALTER TABLE devices ADD COLUMN last_active_at BIGINT;

CREATE TABLE blocks (
    blocker_id TEXT NOT NULL,
    blocked_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX blocks_blocked ON blocks (blocked_id, blocker_id);

-- until: milliseconds, or NULL for a mute with no end.
CREATE TABLE mutes (
    user_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    until BIGINT,
    PRIMARY KEY (user_id, channel_id)
);

CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    reporter_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    message_id BIGINT NOT NULL,
    sender_id TEXT NOT NULL,
    text TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX reports_created ON reports (created_at, id);

-- The lowercased username of a deleted account, not given to anyone until `until`.
CREATE TABLE username_holds (
    username_key TEXT PRIMARY KEY,
    until BIGINT NOT NULL
);
