"""A gateway's registry entry as bytes: the JSON every registry backend stores.

Decoding never raises: an entry that does not decode reads as None and is skipped.
"""

from __future__ import annotations

import msgspec

from chinwag.discovery.service import GatewayInfo


class _Entry(msgspec.Struct, frozen=True):
    id: str
    url: str
    region: str
    connections: int
    capacity: int


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(_Entry)


def encode(info: GatewayInfo) -> bytes:
    return _encoder.encode(_Entry(info.id, info.url, info.region, info.connections, info.capacity))


def decode(data: bytes) -> GatewayInfo | None:
    try:
        e = _decoder.decode(data)
    except msgspec.DecodeError:
        return None
    return GatewayInfo(e.id, e.url, e.region, e.connections, e.capacity)
