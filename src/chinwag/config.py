"""One settings object for the whole server.

Every field is settable as a `chinwag serve` flag (`--heartbeat-interval`) and as an
environment variable (`CHINWAG_HEARTBEAT_INTERVAL`); a flag beats the environment, which
beats the default. Defaults are the documented ones of the wire contract.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from chinwag.discovery.address import is_wildcard, parse_zookeeper_url
from chinwag.edge import parse_networks
from chinwag.ids import is_token

ROLES = ("all", "api", "gateway", "push")


def _opt(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    host: str = _opt("127.0.0.1", "address to listen on")
    port: int = _opt(8080, "port to listen on (0 picks a free one)")
    data_dir: str = _opt("./var", "directory for the SQLite database, keys and other state")
    store: str = _opt("", "storage: empty for SQLite in the data dir, or a postgres:// URL")
    wal_limit_mb: int = _opt(
        256, "SQLite: most MiB its write-ahead log may hold before it is checkpointed and restarted"
    )
    store_replica: str = _opt(
        "", "postgres:// URL of a streaming replica for history and sync reads (optional)"
    )
    store_replica_wait: float = _opt(
        0.1, "seconds a read waits for the replica to catch up before it reads the primary"
    )
    nats: str = _opt("", "NATS URL (nats://host:4222) to run as one of many processes")
    role: str = _opt("all", "which roles this process runs: all, api, gateway, push")
    public_url: str = _opt(
        "", "ws(s):// URL clients use to reach this gateway (default: the address bound to)"
    )
    cluster_name: str = _opt(
        "chinwag", "namespace of this cluster's NATS subjects and discovery bucket"
    )
    region: str = _opt("local", "region of this gateway, for service discovery")
    capacity: int = _opt(50_000, "connections this gateway accepts (discovery skips it when full)")
    registry_ttl: float = _opt(
        10.0, "seconds a gateway's discovery entry outlives its last refresh (ZooKeeper: session)"
    )
    gateway_id: str = _opt("", "stable id of this gateway (default: random per start)")
    registry: str = _opt(
        "", "gateway registry in a cluster: empty for NATS, or zookeeper://host:2181[,...]/path"
    )
    log_level: str = _opt("info", "debug, info, warning or error")
    log_format: str = _opt("json", "json (one object per line) or text")
    # Real-time behaviour.
    hello_timeout: float = _opt(10.0, "seconds a new socket has to send hello")
    header_timeout: float = _opt(10.0, "seconds a client has to send a request's headers")
    max_header_bytes: int = _opt(32 * 1024, "largest request head (request line and headers)")
    body_timeout: float = _opt(30.0, "seconds a client has to send a request's whole body")
    trusted_proxies: str = _opt(
        "", "comma-separated addresses/networks of proxies whose X-Forwarded-For is believed"
    )
    heartbeat_interval: float = _opt(5.0, "seconds between heartbeats, announced in welcome")
    presence_timeout: float = _opt(30.0, "seconds without a heartbeat before a user is offline")
    presence_grace: float = _opt(3.0, "seconds after the last clean disconnect before offline")
    last_active_write_interval: float = _opt(60.0, "least seconds between last_active_at writes")
    max_frame_bytes: int = _opt(1 << 20, "largest WebSocket frame accepted")
    max_body_bytes: int = _opt(1 << 20, "largest HTTP request body accepted")
    max_text_chars: int = _opt(100_000, "longest message text, in code points")
    keep_edit_history: bool = _opt(
        False, "keep the texts edits replace, readable by server admins only (a delete erases them)"
    )
    sync_backlog_limit: int = _opt(5_000, "inbox entries replayed before a sync answers reset")
    send_buffer_bytes: int = _opt(4 << 20, "bytes queued to a socket before it is cut with 4009")
    small_group_limit: int = _opt(100, "groups up to this size fan out on write (inbox)")
    max_group_size: int = _opt(50_000, "largest group allowed")
    history_page_default: int = _opt(50, "messages per history page by default")
    history_page_max: int = _opt(200, "most messages per history page")
    typing_interval: float = _opt(2.0, "least seconds between typing frames relayed per user")
    # Abuse limits.
    login_per_account_per_min: int = _opt(10, "login attempts per account per minute")
    login_per_address_per_min: int = _opt(60, "login attempts per client address per minute")
    signup_per_address_per_min: int = _opt(30, "signups per client address per minute")
    sends_per_user_per_sec: float = _opt(200.0, "sustained message sends per user per second")
    send_burst: int = _opt(2_000, "burst of sends allowed above the sustained rate")
    frames_per_sec: int = _opt(2_000, "frames per second per socket before it is closed with 4008")
    connections_per_user: int = _opt(50, "live WebSockets per user")
    connections_per_address: int = _opt(20_000, "live WebSockets per client address")
    allowed_origins: str = _opt(
        "", "comma-separated Origins allowed on /v1/ws besides the server's own ('*': any)"
    )
    web_dir: str = _opt("", "directory of the web client to serve at / (default: the shipped one)")
    deleted_username_hold_days: float = _opt(
        30.0, "days a deleted account's username stays unavailable to new signups"
    )
    # Password hashing (argon2id); lower only for tests.
    argon2_time_cost: int = _opt(3, "argon2id time cost")
    argon2_memory_kib: int = _opt(65_536, "argon2id memory cost in KiB")
    # Graceful shutdown.
    drain_seconds: float = _opt(5.0, "seconds over which a stopping gateway closes its sockets")
    # Push.
    push_include_text: bool = _opt(False, "put message text in push notifications")
    push_collapse_seconds: float = _opt(2.0, "seconds a burst of pushes per channel is collapsed")
    fcm_service_account: str = _opt("", "path to an FCM service-account JSON key")
    fcm_endpoint: str = _opt("", "FCM send URL template (default Google's)")
    fcm_token_url: str = _opt("", "OAuth2 token URL for FCM (default Google's)")
    apns_key_file: str = _opt("", "path to the APNs .p8 signing key")
    apns_key_id: str = _opt("", "APNs key id")
    apns_team_id: str = _opt("", "APNs team id")
    apns_topic: str = _opt("", "APNs topic (the app's bundle id)")
    apns_environment: str = _opt("production", "production or sandbox")
    apns_url: str = _opt("", "APNs base URL (overrides the environment's)")
    webhook_secret: str = _opt("", "HMAC secret for webhook push subscriptions")
    push_allow_private_urls: bool = _opt(
        False, "accept push endpoints on loopback/private addresses (tests, on-prem relays)"
    )
    push_allowed_networks: str = _opt(
        "", "comma-separated non-public networks push may still reach (e.g. an on-prem relay)"
    )
    vapid_subject: str = _opt("mailto:admin@localhost", "VAPID subject (mailto: or https:)")
    # Attachments.
    blobs: str = _opt(
        "", "where uploaded files live: empty for <data dir>/blobs, or s3://bucket[/prefix]"
    )
    s3_endpoint: str = _opt("", "S3: endpoint URL of an S3-compatible store (default AWS)")
    s3_region: str = _opt("us-east-1", "S3: region")
    s3_access_key: str = _opt("", "S3: access key id (default: the environment's credentials)")
    s3_secret_key: str = _opt("", "S3: secret access key")
    max_upload_bytes: int = _opt(100 << 20, "largest uploaded file, in bytes")
    max_image_pixels: int = _opt(
        40_000_000, "images with more pixels (width x height) are refused as image bombs"
    )
    unsent_upload_ttl: float = _opt(86_400.0, "seconds an upload no message carries is kept")
    upload_sweep_interval: float = _opt(600.0, "seconds between sweeps of unsent uploads")

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def sqlite_path(self) -> Path:
        return self.data_path / "chinwag.db"

    @property
    def blobs_path(self) -> Path:
        return self.data_path / "blobs"

    @property
    def uses_postgres(self) -> bool:
        return self.store.startswith(("postgres://", "postgresql://"))

    def runs(self, role: str) -> bool:
        return self.role == "all" or self.role == role

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def validate(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if self.store and not self.uses_postgres and not self.store.startswith("sqlite"):
            raise ValueError("store must be empty, sqlite, or a postgres:// URL")
        if self.store_replica and not (
            self.uses_postgres and self.store_replica.startswith(("postgres://", "postgresql://"))
        ):
            raise ValueError("store_replica needs a postgres:// store and a postgres:// URL")
        if not self.uses_postgres and self.role != "all":
            raise ValueError(
                "SQLite serves one process: run --role all, or use PostgreSQL (--store) "
                "and NATS (--nats) to split roles"
            )
        if not is_token(self.cluster_name):
            raise ValueError("cluster_name may hold only letters, digits, '_' and '-'")
        if self.wal_limit_mb < 1:
            raise ValueError("wal_limit_mb must be at least 1")
        if self.small_group_limit < 2:
            raise ValueError("small_group_limit must be at least 2")
        if self.blobs and not self.blobs.startswith("s3://"):
            raise ValueError("blobs must be empty (a directory in the data dir) or s3://bucket")
        if self.max_upload_bytes < 1:
            raise ValueError("max_upload_bytes must be at least 1")
        self._validate_cluster_addressing()
        parse_networks(self.trusted_proxies)  # ValueError names a bad entry
        parse_networks(self.push_allowed_networks)

    def _validate_cluster_addressing(self) -> None:
        """Discovery backend and gateway URLs: a gateway of a cluster must name a URL
        other processes can hand out, so a wildcard bind needs --public-url."""
        if self.registry not in ("", "nats"):
            parse_zookeeper_url(self.registry, "/")
            if not self.nats:
                raise ValueError("a ZooKeeper registry serves a cluster: set --nats as well")
        if self.nats and self.runs("gateway") and not self.public_url and is_wildcard(self.host):
            raise ValueError(
                f"this gateway listens on every address ({self.host or '*'}), so it cannot "
                "tell which one clients should use: set --public-url (CHINWAG_PUBLIC_URL) "
                "to the ws:// or wss:// URL of its /v1/ws as clients reach it, or bind "
                "--host to that one address"
            )
        if self.public_url and not self.public_url.startswith(("ws://", "wss://")):
            raise ValueError("public_url must be a ws:// or wss:// URL")


def env_name(name: str) -> str:
    return "CHINWAG_" + name.upper()


def _coerce(value: str, kind: Any) -> Any:
    if kind in (bool, "bool"):
        return value.strip().lower() in ("1", "true", "yes", "on")
    if kind in (int, "int"):
        return int(value)
    if kind in (float, "float"):
        return float(value)
    return value


def from_sources(env: Mapping[str, str] | None = None, **flags: Any) -> Settings:
    """Defaults, overridden by CHINWAG_* variables, overridden by flags that are not None."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for f in fields(Settings):
        if env_name(f.name) in env:
            values[f.name] = _coerce(env[env_name(f.name)], f.type)
        if flags.get(f.name) is not None:
            values[f.name] = flags[f.name]
    settings = Settings(**values)
    settings.validate()
    return settings
