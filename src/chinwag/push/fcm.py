"""Firebase Cloud Messaging, HTTP v1 API, authenticated with a service-account key.

Guarantees: one OAuth2 access token (RFC 7523 JWT bearer grant) is shared by all sends
and fetched again only shortly before it expires or when FCM rejects it, with concurrent
sends waiting on one fetch rather than each starting one; a subscription is reported
gone only when FCM itself says the token is unregistered.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chinwag.push import httputil
from chinwag.push.guard import AddressGuard
from chinwag.push.models import PushSubscription
from chinwag.push.notification import Notification, dumps, fit
from chinwag.push.result import Delivered, Failed, Gone, Retry, SendResult, retryable_status
from chinwag.push.result import parse_retry_after as _retry_after
from chinwag.push.signing import rs256_jwt

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"  # RFC 7523 §2.1
DEFAULT_ENDPOINT = "https://fcm.googleapis.com/v1/projects/{project_id}/messages:send"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
# Google accepts assertions valid for at most an hour; renew a minute before expiry so
# that a token never expires between being read and being used.
ASSERTION_LIFETIME = 3600
EXPIRY_MARGIN = 60.0
# FCM rejects messages over 4096 bytes; leave room for the envelope FCM adds.
MAX_MESSAGE = 4000


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    """The fields of a Google service-account JSON key that the grant needs."""

    project_id: str
    client_email: str
    private_key: rsa.RSAPrivateKey
    private_key_id: str
    token_uri: str

    @classmethod
    def from_file(cls, path: Path) -> ServiceAccount:
        """Parse a key file; ValueError names what is missing or wrong."""
        try:
            info = json.loads(Path(path).read_text())
            key = serialization.load_pem_private_key(info["private_key"].encode(), None)
            if not isinstance(key, rsa.RSAPrivateKey):
                raise ValueError("private_key is not an RSA key")
            return cls(
                project_id=str(info["project_id"]),
                client_email=str(info["client_email"]),
                private_key=key,
                private_key_id=str(info.get("private_key_id", "")),
                token_uri=str(info.get("token_uri") or DEFAULT_TOKEN_URI),
            )
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"FCM service account {path}: {exc!r}") from exc


class _TokenError(Exception):
    def __init__(self, result: Retry | Failed) -> None:
        super().__init__(result.reason)
        self.result = result


class FcmSender:
    """Sends to Android and other FCM clients through the HTTP v1 `messages:send` call."""

    def __init__(
        self,
        account: ServiceAccount,
        *,
        endpoint: str = "",
        token_url: str = "",
        client: httpx.AsyncClient | None = None,
        guard: AddressGuard | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._account = account
        self._url = (endpoint or DEFAULT_ENDPOINT).format(project_id=account.project_id)
        # The assertion's audience stays the account's token_uri (what Google checks) even
        # when the grant is posted elsewhere, e.g. through an operator's egress proxy.
        self._token_url = token_url or account.token_uri
        self._owned = client is None
        self._client = client or httputil.new_client(guard)
        self._now = now
        self._lock = asyncio.Lock()
        self._token = ""
        self._expires = 0.0

    async def _access_token(self) -> str:
        async with self._lock:
            if self._token and self._now() < self._expires - EXPIRY_MARGIN:
                return self._token
            issued = int(self._now())
            claims = {
                "iss": self._account.client_email,
                "scope": SCOPE,
                "aud": self._account.token_uri,
                "iat": issued,
                "exp": issued + ASSERTION_LIFETIME,
            }
            header = {"kid": self._account.private_key_id} if self._account.private_key_id else {}
            assertion = rs256_jwt(self._account.private_key, claims, **header)
            form = {"grant_type": GRANT_TYPE, "assertion": assertion}
            response = await httputil.post(self._client, self._token_url, data=form)
            if isinstance(response, Retry):
                raise _TokenError(Retry(None, f"token grant: {response.reason}"))
            if isinstance(response, Failed):
                raise _TokenError(Failed(f"token grant: {response.reason}"))
            if response.status_code != 200:
                reason = f"token grant: {httputil.excerpt(response)}"
                if retryable_status(response.status_code):
                    raise _TokenError(Retry(None, reason))
                raise _TokenError(Failed(reason))
            try:
                grant = response.json()
                token, lifetime = str(grant["access_token"]), float(grant.get("expires_in", 3600))
            except (ValueError, KeyError, TypeError, RecursionError) as exc:
                raise _TokenError(Failed(f"token grant: bad answer {exc!r}")) from exc
            self._token, self._expires = token, issued + lifetime
            return token

    def _message(self, token: str, note: Notification) -> dict[str, Any]:
        # `data` values must be strings (FCM v1 Message.data is map<string, string>).
        return {
            "message": {
                "token": token,
                "notification": {"title": note.sender_name, "body": note.summary()},
                "data": {k: str(v) for k, v in note.to_dict().items()},
                "android": {"collapse_key": note.channel_id[:64]},
            }
        }

    async def send(self, sub: PushSubscription, note: Notification) -> SendResult:
        if not sub.token:
            return Gone("no registration token")
        try:
            note = fit(note, lambda n: len(dumps(self._message(sub.token, n))), MAX_MESSAGE)
            bearer = await self._access_token()
        except ValueError as exc:
            return Failed(str(exc))
        except _TokenError as exc:
            return exc.result
        body = dumps(self._message(sub.token, note))
        headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}
        response = await httputil.post(self._client, self._url, content=body, headers=headers)
        if isinstance(response, Retry | Failed):
            return response
        return self._classify(response, bearer)

    def _classify(self, response: httpx.Response, bearer: str) -> SendResult:
        status = response.status_code
        if status == 200:
            return Delivered()
        reason = httputil.excerpt(response)
        error_status, codes = _error_of(response)
        if "UNREGISTERED" in codes or error_status in ("NOT_FOUND", "UNREGISTERED"):
            return Gone(reason)
        if status == 401:
            # The access token was revoked or expired early: drop it so the retry fetches
            # a new one, unless a concurrent send already did.
            if self._token == bearer:
                self._token = ""
            return Retry(None, reason)
        if retryable_status(status):
            return Retry(_retry_after(response.headers.get("Retry-After"), self._now()), reason)
        return Failed(reason)

    async def aclose(self) -> None:
        if self._owned:
            await self._client.aclose()


def _error_of(response: httpx.Response) -> tuple[str, set[str]]:
    """The google.rpc.Status `status` and the FcmError `errorCode`s of an error answer."""
    try:
        error = response.json()["error"]
        details = error.get("details") or []
        codes = {str(d.get("errorCode", "")) for d in details if isinstance(d, dict)}
        return str(error.get("status", "")), codes
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return "", set()
