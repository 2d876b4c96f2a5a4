"""Which pages may open a WebSocket (edge.Origins): the server's own origin by default."""

from __future__ import annotations

from chinwag.edge import Origins


def test_by_default_only_the_servers_own_origin() -> None:
    origins = Origins.parse("")
    assert origins.permits("https://chat.example", "chat.example")
    assert origins.permits("http://127.0.0.1:8000", "127.0.0.1:8000")
    assert origins.permits("HTTPS://Chat.Example:443", "chat.example")  # default port, case
    assert origins.permits("https://chat.example", "chat.example:443")
    assert origins.permits("http://[::1]:8000", "[::1]:8000")
    assert not origins.permits("https://evil.example", "chat.example")
    assert not origins.permits("https://chat.example.evil.example", "chat.example")
    assert not origins.permits("https://chat.example:8443", "chat.example")  # another port
    assert not origins.permits("null", "chat.example")  # sandboxed pages, files
    assert not origins.permits("https://evil.example", None)


def test_clients_that_send_no_origin_are_not_browsers() -> None:
    assert Origins.parse("").permits(None, "chat.example")
    assert Origins.parse("https://a.example").permits(None, None)


def test_the_allow_list_adds_to_the_own_origin() -> None:
    origins = Origins.parse("https://app.example, http://localhost:3000")
    assert origins.permits("https://app.example", "chat.example")
    assert origins.permits("https://app.example:443", "chat.example")
    assert origins.permits("http://localhost:3000", "chat.example")
    assert origins.permits("https://chat.example", "chat.example")  # still its own
    assert not origins.permits("http://app.example", "chat.example")  # not the same scheme
    assert not origins.permits("https://evil.example", "chat.example")


def test_star_allows_any() -> None:
    assert Origins.parse("*").permits("https://evil.example", "chat.example")
    assert Origins.parse("https://a.example,*").permits("null", "chat.example")


def test_the_public_url_names_the_own_origin_behind_a_proxy_that_rewrites_host() -> None:
    origins = Origins.parse("", "wss://chat.example/v1/ws")
    assert origins.permits("https://chat.example", "10.0.0.7:8000")
    assert not origins.permits("http://chat.example", "10.0.0.7:8000")
    assert not origins.permits("https://evil.example", "10.0.0.7:8000")
