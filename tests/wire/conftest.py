"""A real server on a free port of 127.0.0.1, and real boto3 clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bus.engine.runtime import LocalBus
from tests.support.aws import aws_client, serving


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[LocalBus]:
    with LocalBus(tmp_path / "data") as running:
        yield running


@pytest.fixture
def endpoint(bus: LocalBus) -> Iterator[str]:
    with serving(bus) as url:
        yield url


@pytest.fixture
def events(endpoint: str) -> Any:
    return aws_client("events", endpoint)


@pytest.fixture
def sqs(endpoint: str) -> Any:
    return aws_client("sqs", endpoint)
