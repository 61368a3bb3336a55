"""The console's HTTP surface: the page, its static files, the JSON API and the event stream.

Everything is under ``/console``. The API answers JSON (``{"error": ...}`` with a 4xx/5xx status
on failure) and runs its handlers in the thread pool (the store is synchronous SQLite).

Who may use it: the console has no login. ``choreo serve`` serves it only without ``--auth``,
which means only on a loopback address, and it checks that the browser asked for a loopback host
name (a page on another site that rebinds its DNS name to 127.0.0.1 gets a 403). Actions (start
a replay, redrive) are POSTs that must carry ``X-Choreo-Console: 1``: a cross-site form cannot
set it, and a cross-site script cannot send it without a CORS preflight this server never allows.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from bus.console import _catalog, _events, _queues, _replays, _schemas, _traces
from bus.console._stream import broadcaster_for, sse_stream
from bus.console.errors import BadRequest, ConsoleError, Forbidden, NotFound, status_of
from bus.engine.runtime import LocalBus
from bus.errors import BusError
from events.contracts import SCHEMAS_DIR

__all__ = ["ACTION_HEADER", "Api", "console_routes"]

log = logging.getLogger(__name__)
ACTION_HEADER = "x-choreo-console"
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
_STATIC = {
    "console.css": "text/css; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "index.html": "text/html; charset=utf-8",
}
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True, slots=True)
class Call:
    """What an API handler is given: path parameters, query string and (for POSTs) the JSON body."""

    path: Mapping[str, str]
    query: Mapping[str, str]
    body: Mapping[str, Any] = field(default_factory=dict)


Handler = Callable[[Call], Any]


class Api:
    """The API's handlers over one bus; ``handlers()`` maps (method, path) to each."""

    def __init__(self, bus: LocalBus, contracts: Path = SCHEMAS_DIR) -> None:
        self.bus = bus
        self.contracts = _schemas.Contracts(contracts)

    def handlers(self) -> dict[tuple[str, str], Handler]:
        bus = self.bus
        return {
            ("GET", "/overview"): lambda c: self.overview(),
            ("GET", "/events"): lambda c: _events.events_page(bus, c.query),
            ("GET", "/events/{event_id}"): lambda c: _events.event_detail(bus, c.path["event_id"]),
            ("GET", "/rules"): lambda c: _catalog.rules_page(bus, c.query),
            ("GET", "/metrics"): lambda c: _catalog.rule_metrics(bus, c.query),
            ("GET", "/archives"): lambda c: _replays.archives_page(bus, c.query),
            ("GET", "/replays"): lambda c: _replays.replays_page(bus, c.query),
            ("POST", "/replays"): lambda c: _replays.start_replay(bus, c.body),
            ("GET", "/replays/{name}"): lambda c: _replays.replay_view(
                bus.archives.describe_replay(c.path["name"])
            ),
            ("POST", "/replays/{name}/cancel"): lambda c: _replays.cancel_replay(bus, c.path["name"]),
            ("GET", "/queues"): lambda c: _queues.queues_page(bus, c.query),
            ("GET", "/queues/{name}/messages"): lambda c: _queues.messages_page(bus, c.path["name"], c.query),
            ("GET", "/queues/{name}/messages/{message_id}"): lambda c: _queues.message(
                bus, c.path["name"], c.path["message_id"]
            ),
            ("POST", "/queues/{name}/redrive"): lambda c: _queues.redrive(
                bus, c.path["name"], _optional_text(c.body, "messageId")
            ),
            ("GET", "/registries"): lambda c: {"items": _schemas.registries(bus)},
            ("GET", "/schemas"): lambda c: _schemas.schemas_page(bus, self.contracts, c.query),
            ("GET", "/schemas/{registry}/{name}"): lambda c: _schemas.schema_detail(
                bus, self.contracts, c.path["registry"], c.path["name"]
            ),
            ("GET", "/connections"): lambda c: _catalog.connections_page(bus, c.query),
            ("GET", "/api-destinations"): lambda c: _catalog.destinations_page(bus, c.query),
            **_traces.handlers(bus),
        }

    def overview(self) -> dict[str, Any]:
        return {
            "buses": _catalog.buses(self.bus),
            "pendingDeliveries": self.bus.store.pending_jobs(),
        }


def _optional_text(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"{key} must be a string.")
    return value


def console_routes(bus: LocalBus, *, contracts: Path = SCHEMAS_DIR) -> list[BaseRoute]:
    """The routes of the web console for ``bus``, to add to the endpoint's app."""
    api = Api(bus, contracts)
    broadcaster = broadcaster_for(bus)

    async def page(http: Request) -> Response:
        return _guarded(http) or _static("index.html")

    async def static(http: Request) -> Response:
        return _guarded(http) or _static(http.path_params["name"])

    async def stream(http: Request) -> Response:
        denied = _guarded(http)
        if denied is not None:
            return denied
        wanted = _events.event_filter(http.query_params)
        headers = {**_SECURITY_HEADERS, "X-Accel-Buffering": "no"}
        return StreamingResponse(
            sse_stream(broadcaster, wanted), media_type="text/event-stream", headers=headers
        )

    routes: list[BaseRoute] = [
        Route("/console", page),
        Route("/console/", page),
        Route("/console/static/{name}", static),
        Route("/console/api/stream", stream),
    ]
    by_path: dict[str, dict[str, Handler]] = {}
    for (method, path), handler in api.handlers().items():
        by_path.setdefault(path, {})[method] = handler
    for path, methods in by_path.items():
        routes.append(Route(f"/console/api{path}", _endpoint(methods), methods=list(methods)))
    return routes


def _endpoint(methods: Mapping[str, Handler]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(http: Request) -> Response:
        denied = _guarded(http)
        if denied is not None:
            return denied
        try:
            body: Mapping[str, Any] = {}
            if http.method == "POST":
                body = await _action_body(http)
            call = Call(dict(http.path_params), dict(http.query_params), body)
            result = await run_in_threadpool(methods[http.method], call)
        except (ConsoleError, BusError) as exc:
            return _json({"error": exc.message, "type": type(exc).__name__}, status_of(exc))
        except Exception:  # a bug must not take the server down, nor leak internals
            log.exception("console %s %s failed", http.method, http.url.path)
            return _json({"error": "An internal error occurred.", "type": "InternalError"}, 500)
        if isinstance(result, _traces.SvgDocument):
            return Response(str(result), media_type=_traces.MAP_MEDIA_TYPE, headers=_SECURITY_HEADERS)
        return _json(result, 200)

    return endpoint


async def _action_body(http: Request) -> Mapping[str, Any]:
    if http.headers.get(ACTION_HEADER) != "1":
        raise Forbidden(f"Console actions need the {ACTION_HEADER} header.")
    raw = await http.body()
    if len(raw) > 65_536:
        raise BadRequest("The request body is too large.")
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError):
        raise BadRequest("The request body is not JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return body


def _guarded(http: Request) -> Response | None:
    """A 403 unless the console may answer this request (see the module docstring)."""
    if http.app.state.authenticator is not None:
        return _json(
            {"error": "The console is served only without --auth (on loopback).", "type": "Forbidden"}, 403
        )
    host = (http.headers.get("host") or "").lower()
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if name not in _LOOPBACK_HOSTS:
        return _json(
            {"error": f"The console answers loopback host names only, not {host!r}.", "type": "Forbidden"},
            403,
        )
    return None


def _static(name: str) -> Response:
    media = _STATIC.get(name)
    if media is None:
        return _json({"error": f"No console file {name}.", "type": NotFound.__name__}, 404)
    content = resources.files("bus.console").joinpath("static", name).read_bytes()
    return Response(content, media_type=media, headers=_SECURITY_HEADERS)


def _json(document: Any, status: int) -> Response:
    text = json.dumps(document, separators=(",", ":"), allow_nan=False, default=str)
    return Response(text, status_code=status, media_type="application/json", headers=_SECURITY_HEADERS)
