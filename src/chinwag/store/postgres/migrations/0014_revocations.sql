-- Devices revoked by deactivation, as notices for a server that shares the store but no
-- bus with the process that revoked them (`chinwag admin` beside a single server): the
-- server reads those past its cursor and closes their sockets. Kept a day. Writers take
-- an advisory lock before their seqs (safety.py), so seqs commit in order and a cursor
-- never passes one still to commit.
CREATE TABLE revocations (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX revocations_at ON revocations (at);
