"""The CLI's files: the saved login (`session.json`) and sync positions (`cursor.json`).

They live in `$CHINWAG_CONFIG_DIR`, else `$XDG_CONFIG_HOME/chinwag`, else
`~/.config/chinwag`. The session file holds a bearer token, so it is written
atomically and readable by its owner only (0600, in a 0700 directory).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path

import msgspec

DEFAULT_SERVER = "http://127.0.0.1:8080"


class SavedSession(msgspec.Struct, frozen=True):
    """A logged-in device: which server, which token, whose."""

    server: str
    token: str
    user_id: str
    username: str
    device_id: str = ""


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("CHINWAG_CONFIG_DIR"):
        return Path(env["CHINWAG_CONFIG_DIR"])
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "chinwag"


def normalize_server(url: str) -> str:
    url = url.strip().rstrip("/")
    return url if "://" in url else "http://" + url


class ConfigFiles:
    """Reads and writes the CLI's files in one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.session_path = directory / "session.json"
        self.cursor_path = directory / "cursor.json"

    def load_session(self) -> SavedSession | None:
        """The saved login, or None if there is none (or it is unreadable)."""
        try:
            return msgspec.json.decode(self.session_path.read_bytes(), type=SavedSession)
        except FileNotFoundError:
            return None
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None  # damaged: the user simply logs in again

    def save_session(self, session: SavedSession) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = msgspec.json.format(msgspec.json.encode(session), indent=2) + b"\n"
        tmp = self.directory / f".session.json.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            # A temp file left over from a crash keeps its old mode; O_CREAT's mode
            # applies only to new files, so set it explicitly.
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.session_path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    def forget(self) -> None:
        """Delete the saved login and the sync positions."""
        for path in (self.session_path, self.cursor_path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
