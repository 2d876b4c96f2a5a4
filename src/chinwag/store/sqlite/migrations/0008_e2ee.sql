-- End-to-end encryption: the server keeps only what clients publish or relay, all of it
-- opaque to it (public keys, ciphertext, an encrypted backup).

-- Once set by the owner, never cleared.
ALTER TABLE channels ADD COLUMN encrypted INTEGER NOT NULL DEFAULT 0;

-- A device's signed identity keys (Matrix `device_keys` JSON), one row per device.
CREATE TABLE e2ee_device_keys (
    device_id TEXT PRIMARY KEY REFERENCES devices (id),
    user_id TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX e2ee_device_keys_user ON e2ee_device_keys (user_id);

-- Signed one-time keys: each is handed out once, then deleted.
CREATE TABLE e2ee_one_time_keys (
    device_id TEXT NOT NULL REFERENCES devices (id),
    key_id TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (device_id, key_id)
);
CREATE INDEX e2ee_one_time_keys_alg ON e2ee_one_time_keys (device_id, algorithm);

-- The fallback key per algorithm, handed out when no one-time key is left.
CREATE TABLE e2ee_fallback_keys (
    device_id TEXT NOT NULL REFERENCES devices (id),
    algorithm TEXT NOT NULL,
    key_id TEXT NOT NULL,
    body TEXT NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (device_id, algorithm)
);

-- Each device's durable to-device queue; rows go when the device acknowledges them.
-- `e2ee_to_device_heads` keeps the last seq handed out, so seqs never repeat.
CREATE TABLE e2ee_to_device (
    device_id TEXT NOT NULL REFERENCES devices (id),
    seq INTEGER NOT NULL,
    sender_id TEXT NOT NULL,
    sender_device TEXT NOT NULL,
    type TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, seq)
);
CREATE TABLE e2ee_to_device_heads (
    device_id TEXT PRIMARY KEY REFERENCES devices (id),
    seq INTEGER NOT NULL
);
-- Idempotency of PUT /v1/to-device per sending device and txn_id.
CREATE TABLE e2ee_to_device_txns (
    device_id TEXT NOT NULL,
    txn_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, txn_id)
);

-- A user's encrypted key backup: its current version and the session keys in it.
CREATE TABLE e2ee_backup (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    version INTEGER NOT NULL,
    algorithm TEXT NOT NULL,
    auth_data TEXT NOT NULL
);
CREATE TABLE e2ee_backup_keys (
    user_id TEXT NOT NULL REFERENCES users (id),
    room_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (user_id, room_id, session_id)
);
