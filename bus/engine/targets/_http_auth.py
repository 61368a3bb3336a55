"""A connection's credentials on the wire: Basic, API key and OAuth client credentials.

For Basic and API key, EventBridge writes the header itself (``Authorization: Basic ...``, or the
key under its ``ApiKeyName``). For OAuth it trades the client id and secret for an access token at
the connection's ``AuthorizationEndpoint`` and sends ``Authorization: Bearer <token>``; the token
is kept (as AWS keeps it, in the connection's secret: here a ``connection_token`` store resource)
until shortly before it expires, or until the endpoint answers 401 or 407.

The token request: the connection's ``HttpMethod`` to the authorization endpoint, the client
credentials as HTTP Basic (RFC 6749 section 2.3.1), the ``OAuthHttpParameters`` as headers, query
string and form-encoded body, and ``grant_type=client_credentials`` unless the body parameters
name a grant type themselves. The answer must be JSON with an ``access_token``; ``expires_in``
(seconds) bounds how long it is used.

Nothing here writes a secret into a message: failures say what the endpoint answered, never what
was sent.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from bus.engine.targets.connections import TOKEN_KIND, AuthorizationType, credentials_fingerprint
from bus.store.base import Store

__all__ = [
    "OAuthTokens",
    "Token",
    "TokenRefused",
    "TokenUnavailable",
    "Unauthorizable",
    "credential_headers",
    "parameters",
    "redact",
    "request_token",
]

# a token is renewed this long before it expires (at most half its lifetime), so a request never
# leaves with a token that runs out on the way
_RENEW_EARLY_SECONDS = 30.0
_TOKEN_TIMEOUT_SECONDS = 5.0
_MASK = "****"


class Unauthorizable(Exception):
    """The connection could not be turned into credentials for a request."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TokenRefused(Unauthorizable):
    """The authorization endpoint turned the client credentials down (or answered nonsense):
    AWS de-authorizes the connection until its credentials are updated."""


class TokenUnavailable(Unauthorizable):
    """The authorization endpoint could not be reached or failed (timeout, 5xx): try again later."""


@dataclass(frozen=True, slots=True)
class Token:
    access_token: str
    expires_at: float | None  # clock time; None when the endpoint gave no expires_in

    def fresh(self, now: float, lifetime: float | None) -> bool:
        if self.expires_at is None:
            return True
        early = _RENEW_EARLY_SECONDS if lifetime is None else min(_RENEW_EARLY_SECONDS, lifetime / 2)
        return now < self.expires_at - early


def parameters(http_parameters: Mapping[str, Any] | None, member: str) -> list[tuple[str, str]]:
    """``(key, value)`` pairs of one list of a ConnectionHttpParameters (HeaderParameters, ...)."""
    items = (http_parameters or {}).get(member) or ()
    return [(str(p.get("Key")), str(p.get("Value", ""))) for p in items if p.get("Key")]


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def request_token(client: httpx.Client, oauth: Mapping[str, Any], *, now: float) -> Token:
    """Trade the client credentials for an access token; raises ``TokenRefused`` or ``TokenUnavailable``."""
    endpoint = str(oauth.get("AuthorizationEndpoint") or "")
    method = str(oauth.get("HttpMethod") or "POST").upper()
    client_params = oauth.get("ClientParameters") or {}
    extra = oauth.get("OAuthHttpParameters") or {}
    headers = dict(parameters(extra, "HeaderParameters"))
    headers["Authorization"] = _basic(
        str(client_params.get("ClientID", "")), str(client_params.get("ClientSecret", ""))
    )
    form = dict(parameters(extra, "BodyParameters"))
    form.setdefault("grant_type", "client_credentials")
    query = parameters(extra, "QueryStringParameters")
    try:
        response = client.request(
            method,
            endpoint,
            params=tuple(query),
            headers=headers,
            data=form if method != "GET" else None,
            timeout=_TOKEN_TIMEOUT_SECONDS,
        )
    except httpx.TimeoutException:
        raise TokenUnavailable(
            f"The authorization endpoint did not answer within {_TOKEN_TIMEOUT_SECONDS:g} seconds."
        ) from None
    except httpx.HTTPError as exc:
        raise TokenUnavailable(
            f"The authorization endpoint could not be reached ({type(exc).__name__})."
        ) from None
    status = response.status_code
    if status >= 500 or status == 429:
        raise TokenUnavailable(f"The authorization endpoint answered HTTP {status}.")
    if not 200 <= status < 300:
        raise TokenRefused(f"The authorization endpoint answered HTTP {status}.")
    try:
        answer = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise TokenRefused("The authorization endpoint's answer is not JSON.") from None
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise TokenRefused("The authorization endpoint's answer has no access_token.")
    expires_in = answer.get("expires_in")
    lifetime = float(expires_in) if isinstance(expires_in, int | float) and expires_in > 0 else None
    return Token(token, None if lifetime is None else now + lifetime)


class OAuthTokens:
    """Access tokens per connection, kept in the store beside the connection and fetched once at a
    time per connection (concurrent deliveries wait for the one fetch instead of each fetching)."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def _lock(self, name: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(name, threading.Lock())

    def token(self, store: Store, connection: Mapping[str, Any], *, now: float) -> Token:
        """A usable token for ``connection``: the kept one while fresh, else a new one."""
        name = str(connection["name"])
        fingerprint = credentials_fingerprint(connection)
        with self._lock(name):
            kept = store.get_resource(TOKEN_KIND, name)
            if kept is not None and kept.get("fingerprint") == fingerprint:
                token = Token(str(kept["access_token"]), kept.get("expires_at"))
                if token.fresh(now, kept.get("lifetime")):
                    return token
            oauth = (connection.get("AuthParameters") or {}).get("OAuthParameters") or {}
            token = request_token(self._client, oauth, now=now)
            lifetime = None if token.expires_at is None else token.expires_at - now
            store.put_resource(
                TOKEN_KIND,
                name,
                {
                    "fingerprint": fingerprint,
                    "access_token": token.access_token,
                    "expires_at": token.expires_at,
                    "lifetime": lifetime,
                },
            )
            return token

    def forget(self, store: Store, connection: Mapping[str, Any], token: Token) -> None:
        """The endpoint refused ``token`` (401/407): drop it so the next attempt fetches another."""
        name = str(connection["name"])
        with self._lock(name):
            kept = store.get_resource(TOKEN_KIND, name)
            if kept is not None and kept.get("access_token") == token.access_token:
                store.delete_resource(TOKEN_KIND, name)


def credential_headers(connection: Mapping[str, Any], token: Token | None) -> dict[str, str]:
    """The header the connection's authorization type adds to every request."""
    auth = connection.get("AuthParameters") or {}
    kind = connection.get("AuthorizationType")
    if kind == AuthorizationType.BASIC:
        basic = auth.get("BasicAuthParameters") or {}
        return {"Authorization": _basic(str(basic.get("Username", "")), str(basic.get("Password", "")))}
    if kind == AuthorizationType.API_KEY:
        key = auth.get("ApiKeyAuthParameters") or {}
        return {str(key.get("ApiKeyName")): str(key.get("ApiKeyValue", ""))} if key.get("ApiKeyName") else {}
    if kind == AuthorizationType.OAUTH_CLIENT_CREDENTIALS and token is not None:
        return {"Authorization": f"Bearer {token.access_token}"}
    return {}


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced, longest first (an endpoint may echo what it was sent)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, _MASK)
    return text
