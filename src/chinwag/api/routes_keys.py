"""End-to-end encryption: the key directory, to-device messages and key backup."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from chinwag.api import http
from chinwag.api.bodies import (
    BackupBody,
    BackupKeysBody,
    KeysClaimBody,
    KeysQueryBody,
    KeysUploadBody,
    ToDeviceAckBody,
    ToDeviceBody,
)
from chinwag.e2ee.models import matrix_id
from chinwag.errors import invalid


async def upload(request: Request) -> Response:
    device = await http.device(request)
    b = await http.body(request, KeysUploadBody)
    keys = b.device_keys if bytes(b.device_keys).strip() not in (b"", b"null") else None
    counts = await http.services(request).e2ee.upload(
        device.user_id, device.id, keys, b.one_time_keys, b.fallback_keys
    )
    return http.json({"one_time_key_counts": counts})


async def counts(request: Request) -> Response:
    device = await http.device(request)
    found, unused = await http.services(request).e2ee.key_counts(device.id)
    return http.json({"one_time_key_counts": found, "unused_fallback_key_types": unused})


async def query(request: Request) -> Response:
    device = await http.device(request)
    b = await http.body(request, KeysQueryBody)
    return http.json(await http.services(request).e2ee.query(device.user_id, b.device_keys))


async def claim(request: Request) -> Response:
    device = await http.device(request)
    b = await http.body(request, KeysClaimBody)
    return http.json(await http.services(request).e2ee.claim(device.user_id, b.one_time_keys))


async def send_to_device(request: Request) -> Response:
    device = await http.device(request)
    b = await http.body(request, ToDeviceBody)
    await http.services(request).e2ee.send_to_device(
        device.user_id,
        device.id,
        request.path_params["event_type"],
        request.path_params["txn_id"],
        b.messages,
    )
    return http.json({})


async def list_to_device(request: Request) -> Response:
    device = await http.device(request)
    svc = http.services(request)
    after = http.int_param(request, "after", 0)
    page = svc.e2ee.limits.to_device_page
    limit = http.int_param(request, "limit", page)
    assert after is not None and limit is not None
    if not 1 <= limit <= page:
        raise invalid(f"limit must be 1 to {page}")
    events = await svc.e2ee.pending(device.id, after, limit)
    return http.json(
        {
            "events": [
                {
                    "seq": e.seq,
                    "sender": matrix_id(e.sender_id),
                    "sender_device": e.sender_device,
                    "type": e.type,
                    "content": http.raw_json(e.content),
                }
                for e in events
            ]
        }
    )


async def ack_to_device(request: Request) -> Response:
    device = await http.device(request)
    b = await http.body(request, ToDeviceAckBody)
    await http.services(request).e2ee.ack(device.id, b.seq)
    return http.no_content()


async def get_backup(request: Request) -> Response:
    device = await http.device(request)
    backup = await http.services(request).e2ee.get_backup(device.user_id)
    return http.json(
        {
            "version": str(backup.version),
            "algorithm": backup.algorithm,
            "auth_data": http.raw_json(backup.auth_data),
            "count": backup.count,
        }
    )


async def put_backup(request: Request) -> Response:
    device = await http.device(request)
    b = await http.body(request, BackupBody)
    version = await http.services(request).e2ee.new_backup(device.user_id, b.algorithm, b.auth_data)
    return http.json({"version": str(version)})


def _version(text: str | None) -> int:
    if text is None or not text.isdigit() or len(text) > 15:
        raise invalid("version is the backup's version, a decimal string")
    return int(text)


async def put_backup_keys(request: Request) -> Response:
    device = await http.device(request)
    b = await http.body(request, BackupKeysBody)
    count = await http.services(request).e2ee.put_backup_keys(
        device.user_id,
        _version(b.version),
        {room: s.sessions for room, s in b.rooms.items()},
    )
    return http.json({"count": count})


async def get_backup_keys(request: Request) -> Response:
    device = await http.device(request)
    version = _version(request.query_params.get("version"))
    keys = await http.services(request).e2ee.backup_keys(device.user_id, version)
    rooms: dict[str, dict[str, dict[str, object]]] = {}
    for k in keys:
        rooms.setdefault(k.room_id, {"sessions": {}})["sessions"][k.session_id] = http.raw_json(
            k.body
        )
    return http.json({"rooms": rooms})
