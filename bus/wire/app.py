"""The AWS-compatible HTTP endpoint: one ASGI app for every service choreo speaks.

AWS JSON protocols put the operation in the ``X-Amz-Target`` header (``AWSEvents.PutEvents``,
``AmazonSQS.SendMessage``) and the input in a JSON body; errors are JSON with ``__type`` and
``message`` and a 4xx/5xx status, which botocore turns into its modelled exception classes.
Handlers run in a thread pool (the engine is synchronous: SQLite), except quick ones and long polls,
which run on the event loop (``_call``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bus.engine.runtime import LocalBus
from bus.errors import BusError, InternalError
from bus.wire._protocol import Protocol, Request, WaitingOperation, WireError, woken
from bus.wire.auth import Authenticator

__all__ = ["MAX_BODY_BYTES", "create_app", "read_body", "signature_error"]

log = logging.getLogger(__name__)

# A full PutEvents request (1 MiB of entries) or a 1 MiB SQS message, plus protocol overhead
MAX_BODY_BYTES = 1_048_576 + 256 * 1024


def create_app(
    bus: LocalBus,
    protocols: Mapping[str, Protocol],
    *,
    max_body: int = MAX_BODY_BYTES,
    authenticator: Authenticator | None = None,
    routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """``protocols`` maps an X-Amz-Target prefix (``AWSEvents``) to its protocol. With an
    ``authenticator``, every AWS request's SigV4 signature is verified before it is handled
    (``/health`` stays open). ``routes`` serve what is not an X-Amz-Target request (REST
    protocols such as ``schemas``, the console); they check signatures themselves with
    ``bus.wire.app.signature_error``."""

    calls: dict[tuple[str, str], WaitingOperation] = {}

    async def health(_: HttpRequest) -> Response:
        return JSONResponse({"status": "ok", "pending_deliveries": bus.store.pending_jobs()})

    async def aws(http: HttpRequest) -> Response:
        target = http.headers.get("x-amz-target", "")
        prefix, _, operation = target.partition(".")
        protocol = protocols.get(prefix)
        if protocol is None or not operation:
            return _plain_error(400, "UnknownOperationException", f"Unknown operation {target or '(none)'}")
        length = http.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > max_body:
            return _error(protocol, WireError("RequestEntityTooLarge", "Request body is too large.", 413))
        try:
            body = await read_body(http, max_body)
        except ClientDisconnect:  # the client hung up mid-body: nobody is left to answer
            return Response(status_code=400)
        if body is None:
            return _error(protocol, WireError("RequestEntityTooLarge", "Request body is too large.", 413))
        denied = signature_error(http, body, protocol)
        if denied is not None:
            return denied
        call = calls.get((prefix, operation))
        if call is None:
            call = _call(protocol, operation)
            if call is None:
                return _error(protocol, WireError("UnknownOperationException", f"Unknown operation {target}"))
            calls[(prefix, operation)] = call  # only known operations: a bounded cache
        try:
            params = json.loads(body or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            return _error(protocol, WireError("SerializationException", "Request body is not valid JSON."))
        if not isinstance(params, dict):
            return _error(
                protocol, WireError("SerializationException", "Request body must be a JSON object.")
            )
        request = Request(operation, params, http.headers.get("x-amzn-trace-id"), dict(http.headers))
        try:
            result = await call(bus, request)
        except BusError as exc:
            return _error(protocol, exc)
        except Exception:  # a bug must not take the server down, nor leak internals
            log.exception("%s failed", target)
            return _error(protocol, InternalError("An internal error occurred."))
        return Response(json.dumps(result, separators=(",", ":")), media_type=protocol.content_type)

    app = Starlette(routes=[Route("/health", health), Route("/", aws, methods=["POST"]), *routes])
    app.state.authenticator = authenticator
    app.state.max_body = max_body
    return app


def _call(protocol: Protocol, operation: str) -> WaitingOperation | None:
    """How an operation runs: one that waits is a coroutine on the event loop; a quick one
    (``Protocol.inline``) runs on the loop too, sparing a thread hand-over each way; the rest run
    in a thread, since the engine is synchronous (SQLite)."""
    waiting = protocol.waiting.get(operation)
    handler = protocol.operations.get(operation)
    if waiting is not None or handler is None:
        return waiting
    if operation in protocol.inline:

        async def on_loop(bus: LocalBus, request: Request) -> dict[str, Any]:
            result = handler(bus, request)
            if woken():  # a long poll it woke answers first: delivery before acknowledgement
                await asyncio.sleep(0)
            return result

        return on_loop

    async def in_thread(bus: LocalBus, request: Request) -> dict[str, Any]:
        return await run_in_threadpool(handler, bus, request)

    return in_thread


def signature_error(http: HttpRequest, body: bytes, protocol: Protocol) -> Response | None:
    """The error response for a request the app's authenticator refuses, or None (also when the
    app runs without one): for routes added through ``create_app(routes=...)``."""
    authenticator: Authenticator | None = http.app.state.authenticator
    if authenticator is None:
        return None
    denied = authenticator.verify(
        http.method,
        http.scope.get("raw_path", http.url.path.encode()).decode("latin-1"),
        http.scope.get("query_string", b"").decode("latin-1"),
        http.headers.items(),
        body,
    )
    if denied is None:
        return None
    status, payload, headers = authenticator.error(protocol, denied)
    media = protocol.content_type
    return Response(json.dumps(payload), status_code=status, media_type=media, headers=headers)


async def read_body(http: HttpRequest, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in http.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _error(protocol: Protocol, exc: BusError) -> Response:
    status, body, headers = protocol.error(exc)
    return Response(json.dumps(body), status_code=status, media_type=protocol.content_type, headers=headers)


def _plain_error(status: int, code: str, message: str) -> Response:
    body: dict[str, Any] = {"__type": code, "message": message}
    return Response(json.dumps(body), status_code=status, media_type="application/x-amz-json-1.1")
