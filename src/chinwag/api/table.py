"""Every HTTP route in one table: path, handler, summary, body model and success status.

The router and the OpenAPI document are both built from it, so the document always
describes the API as built.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from chinwag.api import (
    bodies,
    routes_accounts,
    routes_admin,
    routes_channels,
    routes_discovery,
    routes_friends,
    routes_keys,
    routes_lifecycle,
    routes_media,
    routes_messages,
    routes_ops,
    routes_push,
    routes_safety,
)

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    body: type | None = None
    status: int = 200
    auth: bool = True


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("POST", "/v1/users", routes_accounts.signup, "Sign up", bodies.SignupBody, 201, False),
    Endpoint("GET", "/v1/users", routes_accounts.find_users, "Find users by username"),
    Endpoint("GET", "/v1/users/{user_id}", routes_accounts.get_user, "A user by id"),
    Endpoint(
        "POST",
        "/v1/sessions",
        routes_accounts.login,
        "Log in (new device token)",
        bodies.LoginBody,
        201,
        False,
    ),
    Endpoint(
        "DELETE", "/v1/sessions/current", routes_accounts.logout, "Log out this device", None, 204
    ),
    Endpoint("GET", "/v1/me", routes_accounts.me, "The caller's profile"),
    Endpoint(
        "PATCH", "/v1/me", routes_accounts.patch_me, "Edit the caller's profile", bodies.ProfileBody
    ),
    Endpoint(
        "POST",
        "/v1/me/password",
        routes_accounts.change_password,
        "Change password; other devices are logged out",
        bodies.PasswordBody,
        204,
    ),
    Endpoint(
        "POST",
        "/v1/friends/requests",
        routes_friends.send_request,
        "Send a friend request",
        bodies.FriendRequestBody,
        201,
    ),
    Endpoint(
        "GET",
        "/v1/friends/requests",
        routes_friends.list_requests,
        "Incoming and outgoing requests",
    ),
    Endpoint(
        "POST",
        "/v1/friends/requests/{request_id}/accept",
        routes_friends.accept,
        "Accept a request",
    ),
    Endpoint(
        "POST",
        "/v1/friends/requests/{request_id}/decline",
        routes_friends.decline,
        "Decline (or withdraw) a request",
        None,
        204,
    ),
    Endpoint("GET", "/v1/friends", routes_friends.list_friends, "Friends with presence"),
    Endpoint(
        "DELETE", "/v1/friends/{user_id}", routes_friends.remove, "Remove a friend", None, 204
    ),
    Endpoint(
        "POST",
        "/v1/channels",
        routes_channels.create,
        "Open a direct channel or create a group",
        bodies.GroupChannelBody,
        201,
    ),
    Endpoint(
        "GET",
        "/v1/channels",
        routes_channels.list_channels,
        "The caller's channels with unread counts",
    ),
    Endpoint("GET", "/v1/channels/{channel_id}", routes_channels.get, "A channel"),
    Endpoint(
        "PATCH",
        "/v1/channels/{channel_id}",
        routes_channels.patch,
        "Turn on end-to-end encryption (never off)",
        bodies.ChannelPatchBody,
    ),
    Endpoint(
        "GET", "/v1/channels/{channel_id}/members", routes_channels.members, "Members with roles"
    ),
    Endpoint(
        "POST",
        "/v1/channels/{channel_id}/members",
        routes_channels.add_member,
        "Add a member (owner or admin)",
        bodies.MemberBody,
        204,
    ),
    Endpoint(
        "DELETE",
        "/v1/channels/{channel_id}/members/{user_id}",
        routes_channels.remove_member,
        "Remove a member, or leave",
        None,
        204,
    ),
    Endpoint(
        "PATCH",
        "/v1/channels/{channel_id}/members/{user_id}",
        routes_channels.set_role,
        "Change a member's role (owner)",
        bodies.RoleBody,
        204,
    ),
    Endpoint(
        "GET",
        "/v1/channels/{channel_id}/messages",
        routes_channels.history,
        "History (before, after, limit)",
    ),
    Endpoint(
        "POST",
        "/v1/channels/{channel_id}/messages",
        routes_channels.post_message,
        "Send a message over HTTP",
        bodies.MessageBody,
        201,
    ),
    Endpoint(
        "PATCH",
        "/v1/channels/{channel_id}/messages/{message_id}",
        routes_messages.edit,
        "Edit a message (its sender)",
        bodies.EditBody,
        200,
    ),
    Endpoint(
        "DELETE",
        "/v1/channels/{channel_id}/messages/{message_id}",
        routes_messages.delete,
        "Delete a message (its sender, or a group owner or admin)",
        None,
        204,
    ),
    Endpoint(
        "PUT",
        "/v1/channels/{channel_id}/messages/{message_id}/reactions/{emoji}",
        routes_messages.react,
        "React to a message (idempotent)",
        None,
        204,
    ),
    Endpoint(
        "DELETE",
        "/v1/channels/{channel_id}/messages/{message_id}/reactions/{emoji}",
        routes_messages.unreact,
        "Take a reaction back (idempotent)",
        None,
        204,
    ),
    Endpoint(
        "GET",
        "/v1/search",
        routes_messages.search,
        "Search messages one may see (q, channel_id, before, limit)",
    ),
    Endpoint(
        "POST",
        "/v1/channels/{channel_id}/read",
        routes_channels.mark_read,
        "Mark read up to a message",
        bodies.ReadBody,
        204,
    ),
    Endpoint(
        "POST",
        "/v1/uploads",
        routes_media.upload,
        "Upload a file (the raw bytes; ?filename=NAME)",
        None,
        201,
    ),
    Endpoint(
        "GET",
        "/v1/attachments/{attachment_id}",
        routes_media.download,
        "Download an attachment (Range, ETag)",
    ),
    Endpoint(
        "GET",
        "/v1/attachments/{attachment_id}/thumbnail",
        routes_media.thumbnail,
        "An image attachment's thumbnail (at most 320 px)",
    ),
    Endpoint(
        "GET",
        "/v1/presence",
        routes_discovery.presence,
        "Presence of friends and channel co-members",
    ),
    Endpoint(
        "GET", "/v1/discovery", routes_discovery.discovery, "Gateways, best first", None, 200, False
    ),
    Endpoint(
        "POST",
        "/v1/push/subscriptions",
        routes_push.subscribe,
        "Register a push subscription",
        bodies.PushSubscriptionBody,
        201,
    ),
    Endpoint(
        "DELETE",
        "/v1/push/subscriptions/{subscription_id}",
        routes_push.unsubscribe,
        "Remove a push subscription",
        None,
        204,
    ),
    Endpoint(
        "GET",
        "/v1/push/vapid-public-key",
        routes_push.vapid_public_key,
        "VAPID application server key",
        None,
        200,
        False,
    ),
    Endpoint(
        "POST",
        "/v1/keys/upload",
        routes_keys.upload,
        "Publish this device's keys (end-to-end encryption)",
        bodies.KeysUploadBody,
    ),
    Endpoint("GET", "/v1/keys/counts", routes_keys.counts, "This device's one-time key counts"),
    Endpoint(
        "POST",
        "/v1/keys/query",
        routes_keys.query,
        "Device keys of friends and co-members",
        bodies.KeysQueryBody,
    ),
    Endpoint(
        "POST",
        "/v1/keys/claim",
        routes_keys.claim,
        "Claim one one-time key per device",
        bodies.KeysClaimBody,
    ),
    Endpoint(
        "PUT",
        "/v1/to-device/{event_type}/{txn_id}",
        routes_keys.send_to_device,
        "Send to-device messages (idempotent per txn_id)",
        bodies.ToDeviceBody,
    ),
    Endpoint("GET", "/v1/to-device", routes_keys.list_to_device, "This device's queued messages"),
    Endpoint(
        "POST",
        "/v1/to-device/ack",
        routes_keys.ack_to_device,
        "Acknowledge queued messages up to a seq",
        bodies.ToDeviceAckBody,
        204,
    ),
    Endpoint("GET", "/v1/keys/backup", routes_keys.get_backup, "The current key backup version"),
    Endpoint(
        "PUT",
        "/v1/keys/backup",
        routes_keys.put_backup,
        "Start a new key backup version",
        bodies.BackupBody,
    ),
    Endpoint("GET", "/v1/keys/backup/keys", routes_keys.get_backup_keys, "Backed-up session keys"),
    Endpoint(
        "PUT",
        "/v1/keys/backup/keys",
        routes_keys.put_backup_keys,
        "Back up session keys (encrypted by the client)",
        bodies.BackupKeysBody,
    ),
    # Safety and accounts.
    Endpoint("GET", "/v1/sessions", routes_lifecycle.sessions, "The caller's logged-in devices"),
    Endpoint(
        "DELETE",
        "/v1/sessions/{device_id}",
        routes_lifecycle.log_out_device,
        "Log out one of the caller's devices",
        None,
        204,
    ),
    Endpoint("GET", "/v1/blocks", routes_safety.list_blocks, "Users the caller blocks"),
    Endpoint("PUT", "/v1/blocks/{user_id}", routes_safety.block, "Block a user", None, 204),
    Endpoint("DELETE", "/v1/blocks/{user_id}", routes_safety.unblock, "Unblock", None, 204),
    Endpoint(
        "PUT",
        "/v1/channels/{channel_id}/mute",
        routes_safety.mute,
        "Mute a channel (forever, or until a time)",
        bodies.MuteBody,
        204,
    ),
    Endpoint("DELETE", "/v1/channels/{channel_id}/mute", routes_safety.unmute, "Unmute", None, 204),
    Endpoint(
        "POST",
        "/v1/reports",
        routes_safety.report,
        "Report a message to the server's admins",
        bodies.ReportBody,
        201,
    ),
    Endpoint("GET", "/v1/me/export", routes_lifecycle.export, "The caller's data as JSON"),
    Endpoint(
        "DELETE",
        "/v1/me",
        routes_lifecycle.delete_me,
        "Delete the caller's account (password required)",
        bodies.DeleteAccountBody,
        204,
    ),
    Endpoint("GET", "/v1/admin/users", routes_admin.users, "Find accounts (server admins)"),
    Endpoint(
        "POST",
        "/v1/admin/users/{id}/deactivate",
        routes_admin.deactivate,
        "Deactivate an account (server admins)",
        None,
        204,
    ),
    Endpoint(
        "POST",
        "/v1/admin/users/{id}/reactivate",
        routes_admin.reactivate,
        "Reactivate an account (server admins)",
        None,
        204,
    ),
    Endpoint("GET", "/v1/admin/reports", routes_admin.reports, "Reports (server admins)"),
    Endpoint(
        "GET",
        "/v1/admin/channels/{channel_id}/messages/{message_id}/versions",
        routes_admin.versions,
        "A message's earlier texts, with keep_edit_history (server admins)",
    ),
    Endpoint("GET", "/healthz", routes_ops.healthz, "Alive", None, 200, False),
    Endpoint("GET", "/readyz", routes_ops.readyz, "Ready (storage reachable)", None, 200, False),
    Endpoint("GET", "/metrics", routes_ops.metrics, "Prometheus metrics", None, 200, False),
    Endpoint("GET", "/openapi.json", routes_ops.openapi, "This document", None, 200, False),
)
