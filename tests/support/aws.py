"""A bus behind a real server on a free 127.0.0.1 port, and boto3 clients pointed at it.

One place for what every wire and CLI test needs, so they all talk to the server the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config

from bus.engine.runtime import LocalBus
from bus.wire.auth import Authenticator
from bus.wire.server import ServerThread

REGION = "us-east-1"


@contextmanager
def serving(bus: LocalBus, authenticator: Authenticator | None = None) -> Iterator[str]:
    """The server's URL while it runs; stopped (in-flight requests finished) on exit."""
    server = ServerThread(bus, authenticator=authenticator).start()
    try:
        yield server.url
    finally:
        server.stop()


def aws_client(service: str, endpoint: str, *, key: str = "test", secret: str = "test", **config: Any) -> Any:
    """A boto3 client with no retries (a test sees every error) and short timeouts."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30, **config),
    )
