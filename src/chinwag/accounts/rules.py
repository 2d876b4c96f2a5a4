"""Validation rules for account input (the `check_*` half; the service does the rest)."""

from __future__ import annotations

import re

from chinwag.errors import invalid

USERNAME = re.compile(r"[a-z0-9_.\-]{3,32}")
MIN_PASSWORD, MAX_PASSWORD = 8, 1024
MAX_DISPLAY_NAME, MAX_STATUS, MAX_DEVICE_NAME, MAX_ID = 64, 256, 64, 64
NOT_AN_AVATAR = "avatar_id must be the id of an image (PNG, JPEG, GIF or WebP) you uploaded"
NO_AVATAR_URLS = (
    "avatar_url takes no URLs: upload the image (POST /v1/uploads) and set avatar_id to"
    ' its id, or "" to remove the avatar'
)
# wire.avatar_url, as a client may send it back.
_AVATAR_PATH = re.compile(r"/v1/attachments/([A-Za-z0-9_-]{1,64})/thumbnail")


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


def check_avatar(avatar_id: str | None, avatar_url: str | None) -> str | None:
    """The avatar a profile change asks for: an attachment id, "" for none, or None to
    leave it. Avatars are images uploaded here, never URLs of other sites (a browser
    fetching them would tell those sites who looks at whom): `avatar_url` takes only ""
    and the path this server gives out for an avatar (a client sending back the User
    it read), nothing else."""
    if avatar_id is not None:
        if len(avatar_id) > MAX_ID:
            raise invalid(NOT_AN_AVATAR)
        return avatar_id
    if avatar_url is None or avatar_url == "":
        return avatar_url
    ours = _AVATAR_PATH.fullmatch(avatar_url)
    if ours is None:
        raise invalid(NO_AVATAR_URLS)
    return ours.group(1)


def check_device_name(name: str) -> str:
    name = name.strip()[:MAX_DEVICE_NAME]
    return name or "device"
