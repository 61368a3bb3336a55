"""A real server on a free port of 127.0.0.1, and real boto3 clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from bus.engine.runtime import LocalBus
from bus.wire.server import ServerThread


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[LocalBus]:
    with LocalBus(tmp_path / "data") as running:
        yield running


@pytest.fixture
def endpoint(bus: LocalBus) -> Iterator[str]:
    server = ServerThread(bus).start()
    try:
        yield server.url
    finally:
        server.stop()


def client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30),
    )


@pytest.fixture
def events(endpoint: str) -> Any:
    return client("events", endpoint)


@pytest.fixture
def sqs(endpoint: str) -> Any:
    return client("sqs", endpoint)
