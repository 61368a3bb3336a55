"""API destinations: the body goes to an HTTP endpoint with the destination's method.

The destination is a store resource of kind ``api_destination`` keyed by its name (the ARN is
``...:api-destination/<name>/<id>``) whose document holds ``InvocationEndpoint`` and ``HttpMethod``.
As on AWS: a 5 second timeout; 2xx is delivered; 429, 5xx, timeouts and connection failures are
retried; any other status is not (re:Post "EventBridge retries responses sent with a 5xx or 429
HTTP status code ... doesn't retry other 4xx"). Connections (authorization) and invocation rate
limits are not modelled here: this class only sends.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

from bus.engine.targets.base import ErrorCode, SendContext, SendResult, TargetKind, arn_resource
from bus.model import Event, Target

__all__ = ["API_DESTINATION_KIND", "ApiDestinationKind", "destination_name"]

API_DESTINATION_KIND = "api_destination"
USER_AGENT = "Amazon/EventBridge/ApiDestinations"
_EXCERPT = 256


def destination_name(arn: str) -> str:
    """``arn:aws:events:us-east-1:123456789012:api-destination/hooks/1a2b`` -> ``hooks``."""
    return arn_resource(arn).removeprefix("api-destination/").split("/", 1)[0]


def _url(endpoint: str, params: Mapping[str, Any]) -> str:
    """Each ``*`` in the endpoint takes the next of the target's ``PathParameterValues``."""
    for value in params.get("PathParameterValues") or ():
        endpoint = endpoint.replace("*", str(value), 1)
    return endpoint


class ApiDestinationKind(TargetKind):
    name = "api_destination"
    arn_pattern = re.compile(r"arn:aws[a-z-]*:events:[^:]*:[^:]*:api-destination/")
    blocking = True

    def __init__(self, *, timeout: float = 5.0, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self._timeout = timeout

    def send(self, ctx: SendContext, target: Target, event: Event, body: str) -> SendResult:
        name = destination_name(target.arn)
        destination = ctx.store.get_resource(API_DESTINATION_KIND, name)
        if destination is None or not destination.get("InvocationEndpoint"):
            return SendResult.failed(
                ErrorCode.NO_RESOURCE, f"API destination {name} does not exist.", retryable=False
            )
        params: Mapping[str, Any] = target.http_parameters or {}
        url = _url(str(destination["InvocationEndpoint"]), params)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            **{str(k): str(v) for k, v in (params.get("HeaderParameters") or {}).items()},
        }
        try:
            response = self._client.request(
                str(destination.get("HttpMethod") or "POST"),
                url,
                content=body.encode(),
                headers=headers,
                params={str(k): str(v) for k, v in (params.get("QueryStringParameters") or {}).items()},
                timeout=self._timeout,
            )
        except httpx.TimeoutException:
            return SendResult.failed(
                ErrorCode.TIMEOUT, f"{url} did not answer within {self._timeout:g} seconds.", retryable=True
            )
        except httpx.HTTPError as exc:
            return SendResult.failed(ErrorCode.CONNECTION_FAILURE, f"{url}: {exc}", retryable=True)
        return _result(url, response)

    def close(self) -> None:
        self._client.close()


def _result(url: str, response: httpx.Response) -> SendResult:
    status = response.status_code
    if 200 <= status < 300:
        return SendResult.ok()
    message = f"{url} answered HTTP {status}: {response.text[:_EXCERPT]}"
    if status == 429:
        return SendResult.failed(ErrorCode.THROTTLING, message, retryable=True)
    return SendResult.failed(ErrorCode.ERROR_FROM_TARGET, message, retryable=status >= 500)
