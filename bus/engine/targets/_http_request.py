"""The HTTP request EventBridge makes to an API destination, built from its three sources.

1. The destination: ``InvocationEndpoint`` (each ``*`` takes the next of the target's
   ``PathParameterValues``) and ``HttpMethod``.
2. The rule target's ``HttpParameters``: ``PathParameterValues``, ``HeaderParameters`` and
   ``QueryStringParameters``, each a static value or a JSONPath into the event (``$.detail.id``).
3. The connection: its ``InvocationHttpParameters`` (headers, query string and body parameters),
   which win over the target's where both name a key (HttpParameters API reference), and the
   credentials header of its authorization type.

AWS's fixed headers go on last so nothing overrides them (``User-Agent``, ``Range``,
``Accept-Encoding``, ``Connection``; ``Host`` and ``Content-Length`` are the HTTP client's);
``Content-Type`` is the one default a connection or target may replace (since February 2024).
Connection body parameters are added to the body when it is a JSON object.

    >>> from bus.engine.targets._http_request import fill_path
    >>> fill_path("https://api.example/orders/*/items/*", ["o-1", "a b"])
    'https://api.example/orders/o-1/items/a%20b'
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from bus.engine.targets._http_auth import parameters

__all__ = [
    "FIXED_HEADERS",
    "OutgoingRequest",
    "UnusableEndpoint",
    "build_request",
    "check_endpoint",
    "fill_path",
    "parse_retry_after",
    "resolve",
    "without_query",
]

FIXED_HEADERS: Mapping[str, str] = {
    "User-Agent": "Amazon/EventBridge/ApiDestinations",
    "Range": "bytes=0-1048575",
    "Accept-Encoding": "gzip,deflate",
    "Connection": "close",
}
DEFAULT_CONTENT_TYPE = "application/json; charset=utf-8"
TRACE_HEADER = "X-Amzn-Trace-Id"
_TRANSPORT_HEADERS = frozenset({"host", "content-length", "transfer-encoding"})


class UnusableEndpoint(Exception):
    """An endpoint EventBridge would not call: not https (http only to loopback), or no host."""


@dataclass(frozen=True, slots=True)
class OutgoingRequest:
    method: str
    url: str
    headers: dict[str, str]
    query: list[tuple[str, str]]
    content: bytes


def check_endpoint(url: str) -> str:
    """``url`` if EventBridge may call it: https anywhere, and (our extension) http to loopback."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host:
        raise UnusableEndpoint(f"Endpoint {without_query(url)} has no host.")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and _loopback(host):
        return url
    raise UnusableEndpoint(
        f"Endpoint {without_query(url)} must use HTTPS (http is accepted for loopback addresses only)."
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def without_query(url: str) -> str:
    """The URL as messages show it: the query string may carry secret connection parameters."""
    return url.split("?", 1)[0]


def resolve(value: Any, event: Mapping[str, Any]) -> str | None:
    """A parameter value: static text, or a JSONPath (``$.detail.id``) into the event.

    A path that selects a string gives the string, anything else its JSON text; a path that
    selects nothing gives ``None`` and the parameter is left out.
    """
    text = str(value)
    if not text.startswith("$."):
        return text
    node: Any = event
    for step in _steps(text[2:]):
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return None
            node = node[step]
        elif isinstance(node, Mapping) and step in node:
            node = node[step]
        else:
            return None
    return node if isinstance(node, str) else json.dumps(node, separators=(",", ":"), ensure_ascii=False)


def _steps(path: str) -> list[str | int]:
    """``detail.items[0].id`` -> ``['detail', 'items', 0, 'id']``."""
    steps: list[str | int] = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        if name:
            steps.append(name)
        for index in rest.split("[") if rest else ():
            digits = index.rstrip("]")
            steps.append(int(digits) if digits.isdigit() else digits)
    return steps


def fill_path(endpoint: str, values: Sequence[str]) -> str:
    """Each ``*`` of the endpoint's path takes the next value, percent-encoded as one segment."""
    head, sep, query = endpoint.partition("?")
    for value in values:
        if "*" not in head:
            break
        head = head.replace("*", quote(value, safe=""), 1)
    return head + sep + query


def _merged_body(body: str, extra: list[tuple[str, str]]) -> str:
    if not extra:
        return body
    try:
        doc = json.loads(body)
    except json.JSONDecodeError:
        return body
    if not isinstance(doc, dict):
        return body
    doc.update(extra)
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def build_request(
    *,
    destination: Mapping[str, Any],
    target_parameters: Mapping[str, Any] | None,
    connection: Mapping[str, Any] | None,
    credentials: Mapping[str, str],
    event: Mapping[str, Any],
    body: str,
    trace_header: str | None,
) -> OutgoingRequest:
    """The request for one event; raises ``UnusableEndpoint``."""
    target = target_parameters or {}
    invocation = ((connection or {}).get("AuthParameters") or {}).get("InvocationHttpParameters")
    path_values = [
        v for v in (resolve(p, event) for p in target.get("PathParameterValues") or ()) if v is not None
    ]
    url = check_endpoint(fill_path(str(destination["InvocationEndpoint"]), path_values))

    headers: dict[str, str] = {"Content-Type": DEFAULT_CONTENT_TYPE}
    for key, value in (target.get("HeaderParameters") or {}).items():
        if (resolved := resolve(value, event)) is not None:
            _put(headers, str(key), resolved)
    for key, value in parameters(invocation, "HeaderParameters"):
        _put(headers, key, value)
    for key, value in credentials.items():
        _put(headers, key, value)
    if trace_header:
        _put(headers, TRACE_HEADER, trace_header)
    for key, value in FIXED_HEADERS.items():
        _put(headers, key, value)
    for key in [k for k in headers if k.lower() in _TRANSPORT_HEADERS]:
        del headers[key]

    # the endpoint's own query string stays first; httpx would replace it with ``params``
    url, _, written = url.partition("?")
    query: dict[str, str] = dict(parse_qsl(written, keep_blank_values=True))
    for key, value in (target.get("QueryStringParameters") or {}).items():
        if (resolved := resolve(value, event)) is not None:
            query[str(key)] = resolved
    query.update(parameters(invocation, "QueryStringParameters"))

    content = _merged_body(body, parameters(invocation, "BodyParameters"))
    method = str(destination.get("HttpMethod") or "POST").upper()
    return OutgoingRequest(method, url, headers, list(query.items()), content.encode())


def _put(headers: dict[str, str], key: str, value: str) -> None:
    """Set a header, replacing any spelling of the same name (header names ignore case)."""
    for existing in [k for k in headers if k.lower() == key.lower()]:
        del headers[existing]
    headers[key] = value


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds (negative means "do not retry",
    as AWS reads it) or an HTTP date; ``None`` when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    try:
        return float(int(text))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(text).timestamp() - now)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
