"""Run the AWS-compatible endpoint with uvicorn: in the foreground (``choreo serve``) or in a thread
(tests and embedding), with a graceful stop that lets in-flight requests finish."""

from __future__ import annotations

import gc
import threading
import time

import uvicorn

from bus.engine.runtime import LocalBus
from bus.wire._service_model import EVENTS, SCHEMAS, service_model
from bus.wire.app import create_app
from bus.wire.auth import Authenticator
from bus.wire.protocols import default_protocols, default_routes

__all__ = ["ServerThread", "build_server", "settle_heap"]


def build_server(
    bus: LocalBus,
    host: str = "127.0.0.1",
    port: int = 4010,
    *,
    authenticator: Authenticator | None = None,
) -> uvicorn.Server:
    """With an ``authenticator``, every request must be SigV4-signed by one of its access keys."""
    app = create_app(bus, default_protocols(), authenticator=authenticator, routes=default_routes(bus))
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        http="httptools",
        loop="uvloop",
        timeout_graceful_shutdown=10,
    )
    return uvicorn.Server(config)


def settle_heap() -> None:
    """Put what start-up built (botocore's service models, the template, compiled patterns: some
    100,000 objects) out of the cyclic garbage collector's reach, in a process that serves until it
    exits.

    Otherwise every full collection walks them all again: a 30 ms stall of the event loop about
    every 20 s at 100 events/s, felt by whatever is in flight (the slowest publish-to-receive
    latencies). Frozen objects are never collected: not for processes that start many buses.
    """
    for model in (EVENTS, SCHEMAS):  # the first request would load them, after the freeze
        service_model(*model)
    gc.collect()
    gc.freeze()


class ServerThread:
    """The endpoint on a background thread; ``url`` once started. Port 0 picks a free port."""

    def __init__(
        self,
        bus: LocalBus,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        authenticator: Authenticator | None = None,
    ) -> None:
        self.server = build_server(bus, host, port, authenticator=authenticator)
        self._thread = threading.Thread(target=self.server.run, name="choreo-server", daemon=True)
        self.url = ""

    def start(self, timeout: float = 10.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.005)
        sockets = [s for server in self.server.servers for s in server.sockets]
        host, port = sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self._thread.join(timeout)
