"""A bus with its X-Ray daemon on a free UDP port, served on a free HTTP port, and SDK recorders
that send real datagrams to that daemon."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core.recorder import AWSXRayRecorder

from bus.engine.runtime import LocalBus
from tests.support.aws import aws_client, serving


def sdk_recorder(address: str, service: str, **options: Any) -> AWSXRayRecorder:
    """An aws-xray-sdk recorder of its own (not the global one) sending to ``address``."""
    recorder = AWSXRayRecorder()
    recorder.configure(
        daemon_address=address, sampling=False, context_missing="LOG_ERROR", service=service, **options
    )
    return recorder


@pytest.fixture(autouse=True)
def _quiet_sdk() -> Iterator[None]:
    """The SDK's switch is global: Powertools Tracer with tracing off (other suites) turns it off
    for the whole process. These tests need it on, and leave it as they found it."""
    logging.getLogger("aws_xray_sdk").setLevel(logging.ERROR)
    enabled = global_sdk_config.sdk_enabled()
    global_sdk_config.set_sdk_enabled(True)
    yield
    global_sdk_config.set_sdk_enabled(enabled)


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[LocalBus]:
    with LocalBus(tmp_path / "data", xray_address="127.0.0.1:0") as running:
        yield running


@pytest.fixture
def endpoint(bus: LocalBus) -> Iterator[str]:
    with serving(bus) as url:
        yield url


@pytest.fixture
def xray(endpoint: str) -> Any:
    return aws_client("xray", endpoint)


@pytest.fixture
def events(endpoint: str) -> Any:
    return aws_client("events", endpoint)


@pytest.fixture
def sqs(endpoint: str) -> Any:
    return aws_client("sqs", endpoint)
