"""Which providers the operator's settings enable, and the keys kept in the data dir."""

from __future__ import annotations

import json
import logging
import stat
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from chinwag.config import Settings
from chinwag.push.apns import ApnsSender
from chinwag.push.fcm import FcmSender
from chinwag.push.result import Sender
from chinwag.push.senders import build_senders, worker_settings
from chinwag.push.webhook import WebhookSender
from chinwag.push.webpush import VapidKeys, WebPushSender

Build = Callable[[Settings], dict[str, Sender]]


@pytest.fixture
async def build() -> AsyncIterator[Build]:
    made: list[dict[str, Sender]] = []

    def run(settings: Settings) -> dict[str, Sender]:
        made.append(build_senders(settings))
        return made[-1]

    yield run
    for senders in made:
        for sender in senders.values():
            await sender.aclose()


def pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_worker_settings_follow_the_operator() -> None:
    settings = Settings(push_include_text=True, push_collapse_seconds=7.5)
    assert worker_settings(settings).include_text is True
    assert worker_settings(settings).collapse_seconds == 7.5


async def test_defaults_enable_web_push_and_webhooks_only(
    tmp_path: Path, build: Build, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="chinwag.push")
    senders = build(Settings(data_dir=str(tmp_path)))
    assert set(senders) == {"webpush", "webhook"}
    assert isinstance(senders["webpush"], WebPushSender)
    assert isinstance(senders["webhook"], WebhookSender)
    disabled = [r.getMessage() for r in caplog.records if "disabled" in r.getMessage()]
    assert len(disabled) == 2
    assert any("FCM" in m for m in disabled) and any("APNs" in m for m in disabled)
    secret = tmp_path / "webhook_secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert len(secret.read_text()) == 64
    assert stat.S_IMODE((tmp_path / "vapid_private_key.pem").stat().st_mode) == 0o600
    # A second start keeps both.
    first_secret, first_key = secret.read_text(), VapidKeys.load_or_create(tmp_path)
    build(Settings(data_dir=str(tmp_path)))
    assert secret.read_text() == first_secret
    assert VapidKeys.load_or_create(tmp_path).public_key_b64url() == first_key.public_key_b64url()


async def test_a_configured_webhook_secret_is_used_and_not_stored(
    tmp_path: Path, build: Build
) -> None:
    build(Settings(data_dir=str(tmp_path), webhook_secret="from-config"))
    assert not (tmp_path / "webhook_secret").exists()


async def test_all_providers_when_configured(tmp_path: Path, build: Build) -> None:
    account = {
        "type": "service_account",
        "project_id": "p",
        "private_key_id": "k",
        "private_key": pem(rsa.generate_private_key(65537, 2048)).decode(),
        "client_email": "a@p.iam.gserviceaccount.com",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    (tmp_path / "sa.json").write_text(json.dumps(account))
    (tmp_path / "AuthKey.p8").write_bytes(pem(ec.generate_private_key(ec.SECP256R1())))
    settings = Settings(
        data_dir=str(tmp_path / "data"),
        fcm_service_account=str(tmp_path / "sa.json"),
        apns_key_file=str(tmp_path / "AuthKey.p8"),
        apns_key_id="KEY",
        apns_team_id="TEAM",
        apns_topic="app.example",
        apns_environment="sandbox",
    )
    senders = build(settings)
    assert set(senders) == {"webpush", "webhook", "fcm", "apns"}
    assert isinstance(senders["fcm"], FcmSender) and isinstance(senders["apns"], ApnsSender)


@pytest.mark.parametrize(
    "changes",
    [
        {"apns_key_id": "KEY"},  # half of the APNs settings
        {"fcm_service_account": "/nonexistent/sa.json"},
        {
            "apns_key_file": "/nonexistent.p8",
            "apns_key_id": "K",
            "apns_team_id": "T",
            "apns_topic": "t",
        },
        {
            "apns_key_file": "x",
            "apns_key_id": "K",
            "apns_team_id": "T",
            "apns_topic": "t",
            "apns_environment": "staging",
        },
    ],
)
def test_broken_configuration_fails_at_startup(tmp_path: Path, changes: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        build_senders(Settings(data_dir=str(tmp_path)).replace(**changes))
    assert list(tmp_path.iterdir()) == []  # nothing was created before the error
