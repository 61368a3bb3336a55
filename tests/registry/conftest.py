"""A real server on a free 127.0.0.1 port and boto3 ``schemas`` / ``events`` clients against it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from tests.support.aws import aws_client

T = TypeVar("T")


@pytest.fixture
def schemas(endpoint: str) -> Any:
    return aws_client("schemas", endpoint)


def openapi(title: str, properties: dict[str, Any], required: list[str] | None = None) -> str:
    """A small OpenAPI 3 schema document, as a producer team would write one."""
    body: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        body["required"] = required
    return json.dumps(
        {
            "openapi": "3.0.0",
            "info": {"title": title, "version": "1.0.0"},
            "paths": {},
            "components": {"schemas": {title: body}},
        }
    )


def eventually(probe: Callable[[], T | None], timeout: float = 10.0) -> T:
    """``probe()``'s first non-None answer; fails the test at the deadline. Polls without sleeping
    longer than a few milliseconds, so a fast answer is seen at once."""
    deadline = time.monotonic() + timeout
    while True:
        answer = probe()
        if answer is not None:
            return answer
        if time.monotonic() > deadline:
            pytest.fail(f"no answer within {timeout} s")
        time.sleep(0.01)
