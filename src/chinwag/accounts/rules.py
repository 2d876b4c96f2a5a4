"""Validation rules for account input (the `check_*` half; the service does the rest)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from chinwag.errors import invalid

USERNAME = re.compile(r"[a-z0-9_.\-]{3,32}")
MIN_PASSWORD, MAX_PASSWORD = 8, 1024
MAX_DISPLAY_NAME, MAX_STATUS, MAX_URL, MAX_DEVICE_NAME = 64, 256, 2048, 64


def check_username(username: str) -> str:
    if not USERNAME.fullmatch(username.lower()):
        raise invalid("username must be 3 to 32 of a-z, 0-9, '_', '.', '-'")
    return username


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise invalid(f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    if password.strip() == "":
        raise invalid("password must not be blank")
    return password


def check_display_name(name: str) -> str:
    name = name.strip()
    if len(name) > MAX_DISPLAY_NAME or not name.isprintable():
        raise invalid(f"display_name must be at most {MAX_DISPLAY_NAME} printable characters")
    return name


def check_status_text(text: str) -> str:
    if len(text) > MAX_STATUS:
        raise invalid(f"status_text must be at most {MAX_STATUS} characters")
    return text


def check_avatar_url(url: str) -> str:
    if url == "":
        return url
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0  # reading it checks its range
    except ValueError:  # e.g. an unclosed "[" of an IPv6 host
        raise invalid("avatar_url must be an http or https URL") from None
    if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid("avatar_url must be an http or https URL")
    if not port_ok:
        raise invalid("avatar_url must be an http or https URL")
    return url


def check_device_name(name: str) -> str:
    name = name.strip()[:MAX_DEVICE_NAME]
    return name or "device"
