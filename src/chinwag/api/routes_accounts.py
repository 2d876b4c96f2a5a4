"""Signup, login, logout, profile and user lookup."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from chinwag import wire
from chinwag.accounts.models import ProfileChanges
from chinwag.api import http
from chinwag.api.bodies import LoginBody, PasswordBody, ProfileBody, SignupBody
from chinwag.api.routes_discovery import gateways_for
from chinwag.errors import invalid


async def signup(request: Request) -> Response:
    b = await http.body(request, SignupBody)
    svc = http.services(request)
    user = await svc.accounts.signup(
        b.username, b.password, b.display_name, http.client_address(request)
    )
    return http.json(wire.user(user), 201)


async def login(request: Request) -> Response:
    b = await http.body(request, LoginBody)
    svc = http.services(request)
    session = await svc.accounts.login(
        b.username, b.password, b.device_name, http.client_address(request)
    )
    return http.json(
        {
            "token": session.token,
            "device_id": session.device.id,
            "user": wire.user(session.user),
            "gateways": await gateways_for(request),
        },
        201,
    )


async def logout(request: Request) -> Response:
    device = await http.device(request)
    svc = http.services(request)
    await svc.accounts.logout(device)
    await svc.push.forget_device(device.id)
    await svc.lifecycle.devices_changed(device.user_id)
    return http.no_content()


async def me(request: Request) -> Response:
    device = await http.device(request)
    svc = http.services(request)
    user = await svc.accounts.get_user(device.user_id)
    is_admin = await svc.admin.is_admin(device.user_id)
    return http.json({**msgspec.structs.asdict(wire.me(user)), "is_admin": is_admin})


async def patch_me(request: Request) -> Response:
    device = await http.device(request)
    b = await http.body(request, ProfileBody)
    user = await http.services(request).accounts.update_profile(
        device.user_id,
        ProfileChanges(b.display_name, b.avatar_url, b.status_text, b.group_adds),
    )
    return http.json(wire.me(user))


async def change_password(request: Request) -> Response:
    device = await http.device(request)
    b = await http.body(request, PasswordBody)
    await http.services(request).accounts.change_password(
        device, b.current_password, b.new_password, http.client_address(request)
    )
    return http.no_content()


async def get_user(request: Request) -> Response:
    await http.device(request)
    user = await http.services(request).accounts.get_user(request.path_params["user_id"])
    return http.json(wire.user(user))


async def find_users(request: Request) -> Response:
    await http.device(request)
    username = request.query_params.get("username")
    if not username:
        raise invalid("username query parameter is required")
    user = await http.services(request).accounts.find_user(username)
    return http.json({"users": [wire.user(user)] if user else []})
