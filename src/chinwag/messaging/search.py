"""A search request, checked: what every engine's search is given.

Terms are the query's whitespace-separated words; a message matches when its current
text holds every term as a substring (case-insensitively for Latin, Greek and Cyrillic
as the engine folds them). Terms are data, never query syntax: quotes, `*`, `NEAR`,
`OR` are searched for as text.
"""

from __future__ import annotations

from dataclasses import dataclass

from chinwag.errors import invalid

MAX_QUERY_CHARS = 256
MAX_TERMS = 8
DEFAULT_LIMIT = 50
MAX_LIMIT = 100


@dataclass(frozen=True, slots=True)
class SearchQuery:
    user_id: str
    terms: tuple[str, ...]
    channel_id: str | None = None
    before: int | None = None  # a message_id of channel_id: only older results
    limit: int = DEFAULT_LIMIT


def parse(
    user_id: str, q: str, *, channel_id: str | None, before: int | None, limit: int | None
) -> SearchQuery:
    if len(q) > MAX_QUERY_CHARS:
        raise invalid(f"q is longer than {MAX_QUERY_CHARS} characters")
    terms = tuple(dict.fromkeys(q.split()))
    if not terms:
        raise invalid("q must hold a word to search for")
    if len(terms) > MAX_TERMS:
        raise invalid(f"q may hold at most {MAX_TERMS} words")
    if "\x00" in q:
        raise invalid("q must not hold U+0000")
    if limit is None:
        limit = DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid(f"limit must be 1 to {MAX_LIMIT}")
    if before is not None and channel_id is None:
        raise invalid("before needs channel_id (it is a message_id of that channel)")
    if before is not None and before < 1:
        raise invalid("before must be a message_id")
    return SearchQuery(user_id, terms, channel_id or None, before, limit)
