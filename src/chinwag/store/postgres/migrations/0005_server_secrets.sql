-- Keys the server makes for itself (the VAPID key pair, the webhook secret), shared by
-- every process of a cluster instead of files copied between machines.
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
