"""API destinations: the event goes to a third-party HTTP endpoint the way EventBridge sends it.

The destination is a store resource of kind ``api_destination`` keyed by its name (the ARN is
``...:api-destination/<name>/<id>``) holding ``InvocationEndpoint``, ``HttpMethod``,
``InvocationRateLimitPerSecond`` and ``ConnectionArn``; the connection (``connections.py``)
holds the credentials. One send is:

1. rate limit (``_rate_limit``): over ``InvocationRateLimitPerSecond`` the event is *deferred*,
   not attempted: its job waits in the durable queue for the slot reserved for it;
2. credentials (``_http_auth``): a DEAUTHORIZED connection is not called; OAuth fetches or
   reuses a token;
3. the request (``_http_request``): path, headers, query string and body from destination,
   target and connection, AWS's fixed headers last;
4. the answer, as AWS reads it (user guide, "API destination error codes"; connections guide):
   2xx is delivered; 401 and 407 are retried after dropping the OAuth token (Basic and API key
   connections are de-authorized, as on AWS); 409, 429 and 5xx are retried, no sooner than the
   endpoint's ``Retry-After`` (a negative one stops the retries); timeouts (5 seconds) and
   connection failures are retried; every other status is final and goes to the dead-letter queue.

Every message that leaves here (attempt records, DLQ attributes, logs) has the query string cut
off the URL and the connection's secrets masked, even when an endpoint echoes them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import httpx

from bus.engine.targets._http_auth import (
    OAuthTokens,
    Token,
    TokenRefused,
    Unauthorizable,
    credential_headers,
    redact,
)
from bus.engine.targets._http_request import (
    UnusableEndpoint,
    build_request,
    parse_retry_after,
    without_query,
)
from bus.engine.targets._rate_limit import RateLimits
from bus.engine.targets.base import ErrorCode, SendContext, SendResult, TargetKind, arn_resource
from bus.engine.targets.connections import (
    CONNECTION_KIND,
    AuthorizationType,
    ConnectionState,
    connection_name,
    credentials_fingerprint,
    secret_values,
    set_state,
)
from bus.model import Event, Target
from bus.store.base import Store

__all__ = ["API_DESTINATION_KIND", "DEFAULT_RATE_LIMIT", "ApiDestinationKind", "destination_name"]

API_DESTINATION_KIND = "api_destination"
DEFAULT_RATE_LIMIT = 300
USER_AGENT = "Amazon/EventBridge/ApiDestinations"
_EXCERPT = 256
_RETRIED = frozenset({401, 407, 409, 429})
_REAUTHORIZE = frozenset({401, 407})


def destination_name(arn: str) -> str:
    """``arn:aws:events:us-east-1:123456789012:api-destination/hooks/1a2b`` -> ``hooks``."""
    return arn_resource(arn).removeprefix("api-destination/").split("/", 1)[0]


class _HideQueryStrings(logging.Filter):
    """httpx logs each request's full URL at INFO; a connection's secret query parameters must
    not reach a log, so the query string is cut off before the record is formatted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(without_query(str(a)) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


logging.getLogger("httpx").addFilter(_HideQueryStrings())


class ApiDestinationKind(TargetKind):
    name = "api_destination"
    arn_pattern = re.compile(r"arn:aws[a-z-]*:events:[^:]*:[^:]*:api-destination/")
    blocking = True

    def __init__(self, *, timeout: float = 5.0, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self._timeout = timeout
        self.rate_limits = RateLimits()
        self.tokens = OAuthTokens(self._client)

    # ------------------------------------------------------------------ send
    def send(self, ctx: SendContext, target: Target, event: Event, body: str) -> SendResult:
        name = destination_name(target.arn)
        destination = ctx.store.get_resource(API_DESTINATION_KIND, name)
        if destination is None or not destination.get("InvocationEndpoint"):
            return SendResult.failed(
                ErrorCode.NO_RESOURCE, f"API destination {name} does not exist.", retryable=False
            )
        connection = _connection(ctx.store, destination)
        if isinstance(connection, SendResult):
            return connection
        if connection is not None and (refused := _unusable(connection)) is not None:
            return refused

        rate = int(destination.get("InvocationRateLimitPerSecond") or DEFAULT_RATE_LIMIT)
        bucket = self.rate_limits.bucket(str(destination.get("arn") or target.arn), rate)
        slot = bucket.acquire((event.id, target.arn, target.id), now=ctx.clock.now())
        if slot is not None:
            return SendResult.deferred(
                slot,
                ErrorCode.THROTTLING,
                f"API destination {name} is at its rate limit of {rate} invocations per second.",
            )

        token: Token | None = None
        if (
            connection is not None
            and connection.get("AuthorizationType") == AuthorizationType.OAUTH_CLIENT_CREDENTIALS
        ):
            got = self._token(ctx, connection)
            if isinstance(got, SendResult):
                return got
            token = got
        secrets = _secrets(connection, token)
        try:
            request = build_request(
                destination=destination,
                target_parameters=target.http_parameters,
                connection=connection,
                credentials=credential_headers(connection, token) if connection is not None else {},
                event=event.envelope(),
                body=body,
                trace_header=event.trace_header,
            )
        except UnusableEndpoint as exc:
            return SendResult.failed(ErrorCode.INVALID_PARAMETER, redact(str(exc), secrets), retryable=False)
        shown = without_query(request.url)
        try:
            response = self._client.request(
                request.method,
                request.url,
                params=tuple(request.query),
                headers=request.headers,
                content=request.content,
                timeout=self._timeout,
            )
        except httpx.TimeoutException:
            return SendResult.failed(
                ErrorCode.TIMEOUT, f"{shown} did not answer within {self._timeout:g} seconds.", retryable=True
            )
        except httpx.HTTPError as exc:
            reason = redact(str(exc), secrets) or type(exc).__name__
            return SendResult.failed(ErrorCode.CONNECTION_FAILURE, f"{shown}: {reason}", retryable=True)
        return self._answer(ctx, connection, token, shown, response, secrets)

    def _token(self, ctx: SendContext, connection: dict[str, Any]) -> Token | SendResult:
        """The OAuth token to send with, authorizing the connection on the way when it succeeds."""
        try:
            token = self.tokens.token(ctx.store, connection, now=ctx.clock.now())
        except Unauthorizable as exc:
            return self._authorization_failed(ctx.store, connection, exc, now=ctx.clock.now())
        if connection.get("ConnectionState") != ConnectionState.AUTHORIZED:
            set_state(
                ctx.store,
                str(connection["name"]),
                ConnectionState.AUTHORIZED,
                now=ctx.clock.now(),
                fingerprint=credentials_fingerprint(connection),
            )
        return token

    def _authorization_failed(
        self, store: Store, connection: dict[str, Any], exc: Unauthorizable, *, now: float
    ) -> SendResult:
        name = str(connection["name"])
        if isinstance(exc, TokenRefused):
            set_state(
                store,
                name,
                ConnectionState.DEAUTHORIZED,
                now=now,
                reason=exc.reason,
                fingerprint=credentials_fingerprint(connection),
            )
            return SendResult.failed(
                ErrorCode.NO_PERMISSIONS,
                f"Connection {name} could not be authorized: {exc.reason}",
                retryable=True,
            )
        return SendResult.failed(
            ErrorCode.CONNECTION_FAILURE,
            f"Connection {name} could not be authorized: {exc.reason}",
            retryable=True,
        )

    def _answer(
        self,
        ctx: SendContext,
        connection: dict[str, Any] | None,
        token: Token | None,
        shown: str,
        response: httpx.Response,
        secrets: list[str],
    ) -> SendResult:
        status = response.status_code
        if 200 <= status < 300:
            return SendResult.ok()
        excerpt = redact(response.text[:_EXCERPT], secrets)
        message = f"{shown} answered HTTP {status}: {excerpt}"
        if status in _REAUTHORIZE and connection is not None:
            self._refused_credentials(ctx, connection, token, status)
        if status in _RETRIED or status >= 500:
            code = ErrorCode.THROTTLING if status == 429 else ErrorCode.ERROR_FROM_TARGET
            wait = parse_retry_after(response.headers.get("Retry-After"), now=ctx.clock.now())
            return SendResult.failed(code, message, retryable=True, retry_after=wait)
        return SendResult.failed(ErrorCode.ERROR_FROM_TARGET, message, retryable=False)

    def _refused_credentials(
        self, ctx: SendContext, connection: dict[str, Any], token: Token | None, status: int
    ) -> None:
        """401/407: an OAuth token is dropped (the retry fetches a new one); Basic and API key
        credentials are wrong, so AWS de-authorizes the connection until they are updated."""
        if token is not None:
            self.tokens.forget(ctx.store, connection, token)
            return
        set_state(
            ctx.store,
            str(connection["name"]),
            ConnectionState.DEAUTHORIZED,
            now=ctx.clock.now(),
            reason=f"The endpoint answered HTTP {status} to the connection's credentials.",
            fingerprint=credentials_fingerprint(connection),
        )

    # ------------------------------------------------------------------ authorization
    def authorize(self, store: Store, name: str, *, now: float) -> ConnectionState | None:
        """Authorize an OAuth connection now (CreateConnection, UpdateConnection); returns its new
        state, or ``None`` when the connection is gone or was changed meanwhile."""
        connection = store.get_resource(CONNECTION_KIND, name)
        if connection is None:
            return None
        fingerprint = credentials_fingerprint(connection)
        try:
            self.tokens.token(store, connection, now=now)
        except Unauthorizable as exc:
            state = (
                ConnectionState.DEAUTHORIZED if isinstance(exc, TokenRefused) else ConnectionState.AUTHORIZING
            )
            written = set_state(store, name, state, now=now, reason=exc.reason, fingerprint=fingerprint)
            return state if written else None
        written = set_state(store, name, ConnectionState.AUTHORIZED, now=now, fingerprint=fingerprint)
        return ConnectionState.AUTHORIZED if written else None

    def close(self) -> None:
        self._client.close()


def _connection(store: Store, destination: Mapping[str, Any]) -> dict[str, Any] | SendResult | None:
    """The destination's connection document; ``None`` for a destination without one (a bare
    endpoint, as tests and older data directories have)."""
    arn = destination.get("ConnectionArn")
    if not arn:
        return None
    name = connection_name(str(arn))
    doc = store.get_resource(CONNECTION_KIND, name)
    if doc is None:
        return SendResult.failed(ErrorCode.NO_RESOURCE, f"Connection {name} does not exist.", retryable=False)
    return doc


def _unusable(connection: Mapping[str, Any]) -> SendResult | None:
    """A de-authorized connection sends nothing until UpdateConnection gives it credentials; the
    event is retried within its RetryPolicy in case that happens."""
    state = connection.get("ConnectionState")
    if state in (ConnectionState.DEAUTHORIZED, ConnectionState.DEAUTHORIZING):
        reason = connection.get("StateReason") or "it was de-authorized"
        return SendResult.failed(
            ErrorCode.NO_PERMISSIONS,
            f"Connection {connection['name']} is {state}: {reason}",
            retryable=True,
        )
    return None


def _secrets(connection: Mapping[str, Any] | None, token: Token | None) -> list[str]:
    """What must never appear in a message: the connection's secrets and what they become on the
    wire (the Basic header value, the bearer token)."""
    if connection is None:
        return []
    found = secret_values(connection.get("AuthParameters") or {})
    for value in credential_headers(connection, token).values():
        found.extend((value, value.split(" ", 1)[-1]))
    if token is not None:
        found.append(token.access_token)
    return found
