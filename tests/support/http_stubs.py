"""Real HTTP servers on 127.0.0.1 for API destination tests: a SaaS stand-in, an OAuth token
endpoint, and endpoints that fail, throttle or hang, each recording every request it receives.

    with StubServer() as server:
        server.route("/hook", script(Reply(500), Reply(200)))
        ...  # deliver to f"{server.url}/hook"
        assert [r.path for r in server.requests] == ["/hook", "/hook"]

Handlers run on the server's threads; a ``Reply(hang=True)`` holds its request until the server
closes, so a client timeout is the only way out.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = ["OAuthEndpoint", "Recorded", "Reply", "StubServer", "script", "wait_for"]


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    body: bytes
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False


Handler = Callable[[Recorded], Reply]


def script(*replies: Reply) -> Handler:
    """Answers with ``replies`` in order, then keeps answering with the last one."""
    queue = list(replies)
    lock = threading.Lock()

    def answer(_: Recorded) -> Reply:
        with lock:
            return queue.pop(0) if len(queue) > 1 else queue[0]

    return answer


class StubServer:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._routes: dict[str, Handler] = {}
        self._released = threading.Event()
        self._lock = threading.Lock()
        stub = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorded = Recorded(
                    self.command,
                    parts.path,
                    dict(parse_qsl(parts.query, keep_blank_values=True)),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with stub._lock:
                    stub.requests.append(recorded)
                    handler = stub._routes.get(parts.path)
                reply = handler(recorded) if handler else Reply(404, "no route")
                if reply.hang:
                    stub._released.wait(60)
                    return
                payload = reply.body.encode()
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

            def do_HEAD(self) -> None:
                self._serve()

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def route(self, path: str, handler: Handler) -> str:
        """Serve ``path`` with ``handler``; returns its full URL."""
        with self._lock:
            self._routes[path] = handler
        return self.url + path

    def to(self, path: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> StubServer:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class OAuthEndpoint:
    """A client-credentials token endpoint (RFC 6749 4.4) and the bearer check of the API it guards.

    Tokens are ``token-1``, ``token-2``, ...; ``revoke()`` makes every token issued so far invalid,
    as an API does when it rotates keys, so the next call with one answers 401.
    """

    def __init__(
        self, server: StubServer, *, client_id: str, client_secret: str, expires_in: int = 3600
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.expires_in = expires_in
        self.valid: set[str] = set()
        self._numbers = itertools.count(1)
        self.url = server.route("/oauth/token", self._token)

    def _token(self, request: Recorded) -> Reply:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return Reply(401, json.dumps({"error": "invalid_client"}))
        if request.form().get("grant_type") != "client_credentials":
            return Reply(400, json.dumps({"error": "unsupported_grant_type"}))
        token = f"token-{next(self._numbers)}"
        self.valid.add(token)
        answer = {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}
        return Reply(200, json.dumps(answer), {"Content-Type": "application/json"})

    def revoke(self) -> None:
        self.valid.clear()

    def guard(self, request: Recorded) -> Reply:
        """The protected API: 200 for a valid bearer token, else 401."""
        header = request.headers.get("authorization", "")
        ok = header.startswith("Bearer ") and header.removeprefix("Bearer ") in self.valid
        return Reply(200 if ok else 401, "" if ok else "invalid token")


def wait_for(check: Callable[[], bool], *, timeout: float = 10.0, what: str = "condition") -> None:
    """Poll ``check`` until it holds; fail after ``timeout`` seconds (no fixed sleeps in tests)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def iter_bodies(requests: list[Recorded]) -> Iterator[Any]:
    for request in requests:
        yield request.json()
