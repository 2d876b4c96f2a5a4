"""Channels, members, history and HTTP send."""

from __future__ import annotations

import dataclasses

from starlette.requests import Request
from starlette.responses import Response

from chinwag import wire
from chinwag.api import http
from chinwag.api.bodies import (
    ChannelKindBody,
    ChannelPatchBody,
    DirectChannelBody,
    GroupChannelBody,
    MemberBody,
    MessageBody,
    ReadBody,
    RoleBody,
)
from chinwag.api.routes_safety import muted_until
from chinwag.channels.models import Channel
from chinwag.errors import ChinwagError, invalid


async def create(request: Request) -> Response:
    device = await http.device(request)
    svc = http.services(request)
    raw = await http.raw_body(request)  # the size limit holds before either decode
    try:
        kind = http.decode(raw, ChannelKindBody).kind
    except ChinwagError:
        raise invalid('kind must be "direct" or "group"') from None
    if kind == "direct":
        d = http.decode(raw, DirectChannelBody)
        channel, created = await svc.channels.open_direct(
            device.user_id, d.user_id, encrypted=d.encrypted
        )
        return http.json(wire.channel(channel), 201 if created else 200)
    g = http.decode(raw, GroupChannelBody)
    channel = await svc.channels.create_group(
        device.user_id, g.name, g.member_ids, encrypted=g.encrypted
    )
    return http.json(wire.channel(_trim(channel, svc.settings.small_group_limit)), 201)


def _trim(channel: Channel, limit: int) -> Channel:
    """Large groups are shown without their member list."""
    if channel.member_count > limit:
        return dataclasses.replace(channel, members=None)
    return channel


async def list_channels(request: Request) -> Response:
    device = await http.device(request)
    svc = http.services(request)
    views = await svc.channels.list_for(device.user_id)
    muted = await svc.mutes.muted(device.user_id)
    out = []
    for v in views:
        shown = wire.channel_view(v)
        if v.channel.id in muted:
            shown["muted_until"] = muted_until(muted[v.channel.id])
        out.append(shown)
    return http.json({"channels": out})


async def get(request: Request) -> Response:
    device = await http.device(request)
    svc = http.services(request)
    channel = await svc.channels.get(request.path_params["channel_id"], device.user_id)
    shown = wire.channel(_trim(channel, svc.settings.small_group_limit))
    muted = await svc.mutes.muted(device.user_id)
    if channel.id in muted:
        shown["muted_until"] = muted_until(muted[channel.id])
    return http.json(shown)


async def patch(request: Request) -> Response:
    device = await http.device(request)
    svc = http.services(request)
    await http.body(request, ChannelPatchBody)
    channel = await svc.channels.set_encrypted(device.user_id, request.path_params["channel_id"])
    return http.json(wire.channel(_trim(channel, svc.settings.small_group_limit)))


async def members(request: Request) -> Response:
    device = await http.device(request)
    found = await http.services(request).channels.members(
        request.path_params["channel_id"], device.user_id
    )
    return http.json(
        {
            "members": [
                {
                    "user_id": m.user_id,
                    "role": m.role,
                    "last_read_message_id": m.last_read_message_id,
                }
                for m in found
            ]
        }
    )


async def add_member(request: Request) -> Response:
    device = await http.device(request)
    b = await http.body(request, MemberBody)
    await http.services(request).channels.add_member(
        device.user_id, request.path_params["channel_id"], b.user_id
    )
    return http.no_content()


async def remove_member(request: Request) -> Response:
    device = await http.device(request)
    await http.services(request).channels.remove_member(
        device.user_id, request.path_params["channel_id"], request.path_params["user_id"]
    )
    return http.no_content()


async def set_role(request: Request) -> Response:
    device = await http.device(request)
    b = await http.body(request, RoleBody)
    await http.services(request).channels.set_role(
        device.user_id, request.path_params["channel_id"], request.path_params["user_id"], b.role
    )
    return http.no_content()


async def history(request: Request) -> Response:
    device = await http.device(request)
    svc = http.services(request)
    channel_id = request.path_params["channel_id"]
    before = http.int_param(request, "before")
    after = http.int_param(request, "after")
    limit = http.int_param(request, "limit", svc.settings.history_page_default)
    assert limit is not None
    if not 1 <= limit <= svc.settings.history_page_max:
        raise invalid(f"limit must be 1 to {svc.settings.history_page_max}")
    await svc.channels.member(channel_id, device.user_id)
    found = await svc.messaging.history(channel_id, before=before, after=after, limit=limit)
    return http.json({"messages": [wire.message(m) for m in found]})


async def post_message(request: Request) -> Response:
    device = await http.device(request)
    b = await http.body(request, MessageBody)
    stored = await http.services(request).messaging.send(
        device.user_id,
        device.id,
        request.path_params["channel_id"],
        b.client_msg_id,
        b.text,
        b.encrypted,
        reply_to=b.reply_to,
        attachment_ids=b.attachment_ids,
    )
    return http.json(wire.message(stored.message), 200 if stored.duplicate else 201)


async def mark_read(request: Request) -> Response:
    device = await http.device(request)
    b = await http.body(request, ReadBody)
    await http.services(request).channels.mark_read(
        device.user_id, request.path_params["channel_id"], b.message_id
    )
    return http.no_content()
