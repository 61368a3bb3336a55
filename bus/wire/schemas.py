"""Amazon EventBridge Schemas over REST JSON, on the same endpoint as EventBridge and SQS.

Requests are ``<METHOD> /v1/...`` or ``/tags/<arn>`` (no X-Amz-Target): ``_schemas_rest`` finds
the operation in botocore's model of the service and decodes its input, ``_schemas_ops`` calls
the bus's registry (``bus.registry.registry_for``). Errors carry their code in the
``x-amzn-errortype`` header and a ``{"Message", "Code"}`` body, which botocore raises as
``client.exceptions.<Code>``::

    >>> from bus.registry.errors import NotFound
    >>> status, body, headers = SchemasProtocol().error(NotFound("No registry a."))
    >>> status, headers
    (404, {'x-amzn-errortype': 'NotFoundException'})
    >>> body
    {'Code': 'NotFoundException', 'Message': 'No registry a.'}
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bus.engine.runtime import LocalBus
from bus.errors import BusError, InternalError, ValidationError
from bus.registry import SchemaRegistry, registry_for
from bus.registry.errors import BadRequest, RegistryError
from bus.wire._protocol import Operation, Protocol, WireError
from bus.wire._schemas_ops import OPERATIONS
from bus.wire._schemas_rest import decode_input, encode_output, find_operation, operation
from bus.wire.app import read_body, signature_error

__all__ = ["SchemasProtocol", "schemas_routes"]

log = logging.getLogger(__name__)
_METHODS = ["GET", "POST", "PUT", "DELETE"]


class SchemasProtocol(Protocol):
    """The error shape of REST JSON; operations are dispatched by path, not by X-Amz-Target."""

    target_prefix: ClassVar[str] = "schemas"
    content_type: ClassVar[str] = "application/json"
    operations: ClassVar[Mapping[str, Operation]] = {}

    def error(self, exc: BusError) -> tuple[int, dict[str, Any], dict[str, str]]:
        if isinstance(exc, RegistryError):
            code, status = exc.code, exc.status
        elif isinstance(exc, WireError):
            code, status = exc.wire_code, exc.status
        elif isinstance(exc, ValidationError) or exc.sender_fault:
            code, status = BadRequest.code, BadRequest.status
        else:
            code, status = "InternalServerErrorException", 500
        return status, {"Code": code, "Message": exc.message}, {"x-amzn-errortype": code}


_PROTOCOL = SchemasProtocol()


def schemas_routes(bus: LocalBus) -> list[BaseRoute]:
    """The routes serving the ``schemas`` API for ``bus`` (discovery is subscribed on the way)."""
    service = registry_for(bus)

    async def endpoint(http: HttpRequest) -> Response:
        return await _handle(service, http)

    return [
        Route("/v1/{rest:path}", endpoint, methods=_METHODS),
        Route("/tags/{rest:path}", endpoint, methods=_METHODS),
    ]


async def _handle(service: SchemaRegistry, http: HttpRequest) -> Response:
    raw_path = http.scope.get("raw_path", http.url.path.encode()).decode("latin-1")
    query = http.scope.get("query_string", b"").decode("latin-1")
    try:
        body = await read_body(http, int(http.app.state.max_body))
    except ClientDisconnect:
        return Response(status_code=400)
    if body is None:
        return _error(WireError("BadRequestException", "Request body is too large.", 413))
    denied = signature_error(http, body, _PROTOCOL)
    if denied is not None:
        return denied
    found = find_operation(http.method, raw_path.partition("?")[0])
    if found is None:
        return _error(WireError("NotFoundException", f"No operation for {http.method} {http.url.path}.", 404))
    name, path_values = found
    op = operation(name)
    try:
        params = decode_input(op, path_values, query, body)
        result = await run_in_threadpool(OPERATIONS[name], service, params)
    except BusError as exc:
        return _error(exc)
    except Exception:  # a bug must not take the server down, nor leak internals
        log.exception("schemas %s failed", name)
        return _error(InternalError("An internal error occurred."))
    content, media_type = encode_output(op, result)
    if op.status == 204:
        return Response(status_code=204)
    return Response(content, status_code=op.status, media_type=media_type)


def _error(exc: BusError) -> Response:
    status, body, headers = _PROTOCOL.error(exc)
    return JSONResponse(body, status_code=status, headers=headers)
