"""`@username` in a message's text: the names it may refer to. Which of them are members
of the channel is decided at send (or edit) time by the store; the message then
carries their ids in `mentions`, and nobody parses the text again."""

from __future__ import annotations

import re

# A name starts after something that is not part of a word, an address or a name
# ("mail bob@x.org" names nobody); trailing '.' and '-' are punctuation, not the name.
_MENTION = re.compile(r"(?<![\w.@-])@([A-Za-z0-9_.-]{1,34})")
MAX_MENTIONS = 50


def usernames_in(text: str) -> list[str]:
    """Lowercased candidate usernames named in `text`, each once, in order."""
    if "@" not in text:
        return []
    found: dict[str, None] = {}
    for match in _MENTION.finditer(text):
        name = match.group(1).rstrip(".-").lower()
        if name:
            found[name] = None
        if len(found) >= MAX_MENTIONS:
            break
    return list(found)
