"""A resolver for tests that never asks outside DNS: names from a table the test sets,
`localhost` from the hosts file, and numeric spellings (`127.1`, `0x7f.1`, `2130706433`)
as the system's resolver reads them."""

from __future__ import annotations

import asyncio
import socket


class FakeDns:
    def __init__(self, names: dict[str, list[str]] | None = None) -> None:
        self.names: dict[str, list[str]] = dict(names or {})
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host in self.names:
            return list(self.names[host])
        flags = 0 if host == "localhost" else socket.AI_NUMERICHOST
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=flags
        )
        return list(dict.fromkeys(str(info[4][0]) for info in infos))
