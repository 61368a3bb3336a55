"""A bus with tests/functions/template.yaml applied, served on a free port of 127.0.0.1, its
functions in real worker processes; retry waits of 0.1 s instead of AWS's 1 and 2 minutes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bus.engine.runtime import LocalBus
from bus.template import load_template
from tests.support.aws import serving

TEMPLATE = Path(__file__).with_name("template.yaml")
APPS = Path(__file__).with_name("apps")
T = TypeVar("T")


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[LocalBus]:
    local = LocalBus(tmp_path / "data")
    local.functions.retry_delays = (0.1, 0.1)
    local.apply(load_template(TEMPLATE))
    with local, serving(local) as url:
        local.functions.endpoint = url
        yield local


def eventually(probe: Callable[[], T | None], *, timeout: float = 20.0, what: str = "condition") -> T:
    """Poll ``probe`` until it answers something truthy; fail at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def drain(bus: LocalBus, queue: str, count: int, *, timeout: float = 20.0) -> list[dict[str, Any]]:
    """``count`` messages of a local queue (body decoded, attributes as SQS holds them)."""
    got: list[dict[str, Any]] = []

    def probe() -> list[dict[str, Any]] | None:
        for message in bus.store.receive_messages(queue, 10, 30, time.time()):
            got.append({"body": json.loads(message.body), "attributes": message.attributes})
        return got if len(got) >= count else None

    return eventually(probe, timeout=timeout, what=f"{count} message(s) on {queue}")
