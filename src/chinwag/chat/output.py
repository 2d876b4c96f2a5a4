"""How the CLI shows things: one line per item, plain text, local times."""

from __future__ import annotations

from datetime import datetime

from chinwag.client import ApiClient, ChinwagClientError, Message, Presence


def local_time(rfc3339: str | None) -> str:
    if not rfc3339:
        return "never"
    try:
        moment = datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))
    except ValueError:
        return rfc3339
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def message_line(message: Message, sender: str) -> str:
    files = "".join(
        f" [{a.name!r}, {a.size} bytes, {a.content_type}, id {a.id}]" for a in message.attachments
    )
    return f"[{local_time(message.created_at)}] {sender}: {message.text}{files}"


def presence_text(presence: Presence) -> str:
    if presence.status == "online":
        return "online"
    return f"offline, last active {local_time(presence.last_active_at)}"


class Names:
    """Usernames by user id, fetched once each; the id itself if a lookup fails."""

    def __init__(self, api: ApiClient) -> None:
        self._api = api
        self._known: dict[str, str] = {}

    def add(self, user_id: str, username: str) -> None:
        self._known[user_id] = username

    async def of(self, user_id: str) -> str:
        name = self._known.get(user_id)
        if name is None:
            try:
                name = (await self._api.user(user_id)).username
            except ChinwagClientError:
                name = user_id
            self._known[user_id] = name
        return name
