"""AWS X-Ray's read API over REST JSON, on the same endpoint as EventBridge, SQS and schemas.

boto3's ``xray`` client POSTs JSON to ``/TraceSummaries``, ``/Traces``, ``/ServiceGraph`` and
``/TraceGraph``; the answers come from the bus's trace store (``bus.tracing.store``). Errors
carry their code in ``x-amzn-errortype`` and a ``{"Message"}`` body, which botocore raises as
``client.exceptions.InvalidRequestException``::

    >>> from bus.xray.errors import InvalidRequest
    >>> XRayProtocol().error(InvalidRequest("Time range specified is greater than 24 hours."))[0]
    400
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bus.engine.runtime import LocalBus
from bus.errors import BusError, InternalError
from bus.wire._protocol import Operation, Protocol, WireError
from bus.wire._xray_ops import OPERATIONS
from bus.wire.app import read_body, signature_error
from bus.xray import TraceStore
from bus.xray.errors import TracingError

__all__ = ["XRayProtocol", "xray_routes"]

log = logging.getLogger(__name__)


class XRayProtocol(Protocol):
    """REST JSON's error shape; operations are dispatched by path, not by X-Amz-Target."""

    target_prefix: ClassVar[str] = "xray"
    content_type: ClassVar[str] = "application/json"
    operations: ClassVar[Mapping[str, Operation]] = {}

    def error(self, exc: BusError) -> tuple[int, dict[str, Any], dict[str, str]]:
        if isinstance(exc, WireError):
            code, status = exc.wire_code, exc.status
        elif isinstance(exc, TracingError) or exc.sender_fault:
            code, status = "InvalidRequestException", 400
        else:
            code, status = "InternalFailure", 500
        return status, {"Message": exc.message}, {"x-amzn-errortype": code}


_PROTOCOL = XRayProtocol()


def xray_routes(bus: LocalBus) -> list[BaseRoute]:
    """The routes serving the ``xray`` read API from ``bus``'s trace store."""
    store = bus.tracing.store

    async def endpoint(http: HttpRequest) -> Response:
        return await _handle(store, http)

    return [Route(path, endpoint, methods=["POST"]) for path in OPERATIONS]


async def _handle(store: TraceStore, http: HttpRequest) -> Response:
    try:
        body = await read_body(http, int(http.app.state.max_body))
    except ClientDisconnect:
        return Response(status_code=400)
    if body is None:
        return _error(WireError("InvalidRequestException", "Request body is too large.", 413))
    denied = signature_error(http, body, _PROTOCOL)
    if denied is not None:
        return denied
    try:
        params = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        return _error(WireError("InvalidRequestException", "Request body is not valid JSON."))
    if not isinstance(params, dict):
        return _error(WireError("InvalidRequestException", "Request body must be a JSON object."))
    operation = OPERATIONS[http.url.path]
    try:
        result = await run_in_threadpool(operation, store, params)
    except BusError as exc:
        return _error(exc)
    except Exception:  # a bug must not take the server down, nor leak internals
        log.exception("xray %s failed", http.url.path)
        return _error(InternalError("An internal error occurred."))
    return JSONResponse(result)


def _error(exc: BusError) -> Response:
    status, body, headers = _PROTOCOL.error(exc)
    return JSONResponse(body, status_code=status, headers=headers)
