"""End-to-end encryption for `chinwag chat`: this login's crypto device, kept sealed in
the config directory.

The store's 32-byte key comes from `CHINWAG_E2EE_KEY` (64 hex digits) when set, so it
can live in a keyring or an agent; otherwise from `e2ee.key` (mode 0600) beside it,
which protects the keys only as well as the config directory is protected.
"""

from __future__ import annotations

import os
from pathlib import Path

from chinwag.chat.config import SavedSession
from chinwag.chat.context import CliError, Context
from chinwag.client import ApiClient, Message
from chinwag.client.e2ee import DecryptionRefused, E2eeDevice, SealedFile

KEY_ENV = "CHINWAG_E2EE_KEY"


def _key(folder: Path) -> bytes:
    given = os.environ.get(KEY_ENV)
    if given:
        try:
            key = bytes.fromhex(given)
        except ValueError:
            key = b""
        if len(key) != 32:
            raise CliError(f"{KEY_ENV} must be 64 hex digits")
        return key
    path = folder / "e2ee.key"
    if path.exists():
        return path.read_bytes()
    key = os.urandom(32)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


async def device(ctx: Context, api: ApiClient, saved: SavedSession) -> E2eeDevice:
    folder = ctx.files.directory
    store = SealedFile(folder / f"e2ee-{saved.device_id}.sealed", _key(folder))
    return await E2eeDevice.open(api, saved.user_id, saved.device_id, store)


async def shown_text(crypto: E2eeDevice | None, message: Message) -> str:
    """A message's text, decrypted when it is encrypted."""
    if message.encrypted is None:
        return message.text
    if crypto is None:
        return "[encrypted]"
    try:
        decrypted = await crypto.decrypt(message)
    except DecryptionRefused:
        return "[cannot decrypt yet]"
    body = decrypted.content.get("body")
    text = body if isinstance(body, str) else "[encrypted content]"
    return text if decrypted.authenticated else f"{text} [from backup]"
