-- Devices revoked by deactivation, as notices for a server that shares the store but no
-- bus with the process that revoked them (`chinwag admin` beside a single server): the
-- server reads those past its cursor and closes their sockets. Kept a day.
-- AUTOINCREMENT: a seq is never given again, even after the newest rows are pruned.
CREATE TABLE revocations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX revocations_at ON revocations (at);
