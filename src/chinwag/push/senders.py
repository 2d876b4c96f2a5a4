"""Turns the operator's settings into the enabled push senders.

Guarantees: Web Push and webhooks are always enabled; FCM and APNs only when configured,
and each disabled provider is logged in one line. A provider that is configured but
broken (unreadable key, half of the APNs settings) raises ValueError at startup rather
than failing every notification later. Keys the server makes for itself (VAPID, the
webhook secret) are created once and kept in the data dir.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import ec

from chinwag.edge import parse_networks
from chinwag.push import apns
from chinwag.push.fcm import FcmSender, ServiceAccount
from chinwag.push.guard import AddressGuard, AddressPolicy, Resolver, system_resolver
from chinwag.push.result import Sender
from chinwag.push.signing import read_or_create
from chinwag.push.webhook import WebhookSender
from chinwag.push.webpush import VapidKeys, WebPushSender
from chinwag.push.worker import WorkerSettings

log = logging.getLogger("chinwag.push")

WEBHOOK_SECRET_FILE = "webhook_secret"


class PushConfig(Protocol):
    """The settings push reads; `chinwag.config.Settings` has them all."""

    @property
    def data_dir(self) -> str: ...
    @property
    def push_include_text(self) -> bool: ...
    @property
    def push_collapse_seconds(self) -> float: ...
    @property
    def fcm_service_account(self) -> str: ...
    @property
    def fcm_endpoint(self) -> str: ...
    @property
    def fcm_token_url(self) -> str: ...
    @property
    def apns_key_file(self) -> str: ...
    @property
    def apns_key_id(self) -> str: ...
    @property
    def apns_team_id(self) -> str: ...
    @property
    def apns_topic(self) -> str: ...
    @property
    def apns_environment(self) -> str: ...
    @property
    def apns_url(self) -> str: ...
    @property
    def webhook_secret(self) -> str: ...
    @property
    def vapid_subject(self) -> str: ...
    @property
    def push_allow_private_urls(self) -> bool: ...
    @property
    def push_allowed_networks(self) -> str: ...


def address_guard(config: PushConfig, resolver: Resolver = system_resolver) -> AddressGuard:
    """The one address policy of every push connection and registration."""
    policy = AddressPolicy(
        allow_private=config.push_allow_private_urls,
        allowed=parse_networks(config.push_allowed_networks),
    )
    return AddressGuard(policy, resolver)


def worker_settings(config: PushConfig) -> WorkerSettings:
    """The worker's settings from the operator's; the rest keep their defaults."""
    return WorkerSettings(
        collapse_seconds=config.push_collapse_seconds, include_text=config.push_include_text
    )


def webhook_secret(config: PushConfig, data_dir: Path) -> bytes:
    """The configured secret, or one generated on first start and kept in the data dir."""
    if config.webhook_secret:
        return config.webhook_secret.encode()
    path = data_dir / WEBHOOK_SECRET_FILE
    secret = read_or_create(path, lambda: secrets.token_hex(32).encode()).strip()
    log.info("push: webhook signatures use the secret in %s", path)
    return secret


def build_senders(
    config: PushConfig,
    data_dir: Path | str | None = None,
    *,
    vapid: VapidKeys | None = None,
    guard: AddressGuard | None = None,
) -> dict[str, Sender]:
    """One sender per enabled subscription kind (webpush, fcm, apns, webhook), every one
    connecting through `guard` (by default the policy of `config`)."""
    data = Path(config.data_dir if data_dir is None else data_dir)
    guard = guard or address_guard(config)
    # Read and check every key before opening any connection pool, so a bad setting
    # leaves nothing behind to close.
    account = _fcm_account(config)
    apns_key = _apns_key(config)
    vapid = vapid or VapidKeys.load_or_create(data)
    senders: dict[str, Sender] = {
        "webpush": WebPushSender(vapid, config.vapid_subject, guard=guard),
        "webhook": WebhookSender(webhook_secret(config, data), guard=guard),
    }
    if account is not None:
        senders["fcm"] = FcmSender(
            account, endpoint=config.fcm_endpoint, token_url=config.fcm_token_url, guard=guard
        )
    if apns_key is not None:
        senders["apns"] = apns.ApnsSender(
            apns_key,
            key_id=config.apns_key_id,
            team_id=config.apns_team_id,
            topic=config.apns_topic,
            url=apns.base_url(config.apns_environment, config.apns_url),
            guard=guard,
        )
    return senders


def _fcm_account(config: PushConfig) -> ServiceAccount | None:
    if not config.fcm_service_account:
        log.info("push: FCM disabled (set fcm_service_account to enable it)")
        return None
    return ServiceAccount.from_file(Path(config.fcm_service_account))


def _apns_key(config: PushConfig) -> ec.EllipticCurvePrivateKey | None:
    fields = {
        "apns_key_file": config.apns_key_file,
        "apns_key_id": config.apns_key_id,
        "apns_team_id": config.apns_team_id,
        "apns_topic": config.apns_topic,
    }
    missing = [name for name, value in fields.items() if not value]
    if len(missing) == len(fields):
        log.info("push: APNs disabled (set %s to enable it)", ", ".join(fields))
        return None
    if missing:
        raise ValueError(f"APNs is half configured: set {', '.join(missing)} as well")
    apns.base_url(config.apns_environment, config.apns_url)  # raises for a bad environment
    return apns.load_key(Path(config.apns_key_file))
