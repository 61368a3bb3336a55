"""Suite-wide setup: stand-in secrets for the project's template, and the shared bus fixtures.

template.yaml takes the notifications webhook's API key from Secrets Manager and its URL from
Parameter Store (dynamic references). Locally those resolve from ``CHOREO_RESOLVE_...`` variables
(docs/api-destinations.md); every test that loads the project's template gets stand-in values
here unless the environment already has real ones. Tests that deliver to the webhook point the
URL at their own stand-in server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bus.engine.runtime import LocalBus
from tests.support.aws import aws_client, serving

TEMPLATE_REFERENCES = {
    "CHOREO_RESOLVE_SECRETSMANAGER_CHOREO_NOTIFICATIONS_APIKEY": "test-api-key",
    "CHOREO_RESOLVE_SSM_CHOREO_NOTIFICATIONS_WEBHOOK_URL": "http://127.0.0.1:9/notifications",
}
for _name, _value in TEMPLATE_REFERENCES.items():
    os.environ.setdefault(_name, _value)


# A real bus behind a real server on a free port of 127.0.0.1, and real boto3 clients pointed at it:
# what most suites drive. A suite needing another bus (say, with an X-Ray daemon) overrides ``bus``.
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
