"""The two test modes, chosen by environment variables (nothing is skipped: the mode decides what
the fixtures deploy against, the tests are the same):

- ``TEST_MODE=local`` (default): a local deployment of template.yaml per test session
  (tests/e2e/local.py) and a stub SaaS that records the notifications it receives.
- ``TEST_MODE=aws STACK_NAME=...``: the stack's outputs from CloudFormation (boto3, the usual
  credential chain and region); the SaaS is whatever the stack's webhook points at, so the tests
  check notifications through the notifications dead-letter queue instead (docs/testing.md).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.e2e.driver import Stack, stack_from_cloudformation
from tests.e2e.local import local_deployment
from tests.support.http_stubs import Recorded, Reply, StubServer

SAAS_PATH = "/v1/notifications"
SAAS_TEMPLATES = {"OrderShipped", "PaymentFailed"}


def _saas_answer(request: Recorded) -> Reply:
    """The SaaS stand-in: a known API key and a message template per event, else refused."""
    if (
        request.headers.get("x-api-key")
        != os.environ["CHOREO_RESOLVE_SECRETSMANAGER_CHOREO_NOTIFICATIONS_APIKEY"]
    ):
        return Reply(401, '{"error": "bad API key"}')
    if request.json().get("template") not in SAAS_TEMPLATES:
        return Reply(400, '{"error": "no such message template"}')
    return Reply(202, '{"queued": "yes"}')


@pytest.fixture(scope="session")
def saas() -> Iterator[StubServer | None]:
    if os.environ.get("TEST_MODE", "local") == "aws":
        yield None
        return
    with StubServer() as server:
        server.route(SAAS_PATH, _saas_answer)
        yield server


@pytest.fixture(scope="session")
def stack(saas: StubServer | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    mode = os.environ.get("TEST_MODE", "local")
    if mode == "aws":
        stack_name = os.environ.get("STACK_NAME")
        if not stack_name:
            raise pytest.UsageError("TEST_MODE=aws needs STACK_NAME (the deployed template.yaml stack)")
        yield stack_from_cloudformation(boto3.client("cloudformation"), stack_name)
        return
    if mode != "local":
        raise pytest.UsageError(f"TEST_MODE is local or aws, not {mode!r}")
    assert saas is not None
    data_dir: Path = tmp_path_factory.mktemp("saga")
    with local_deployment(data_dir, saas.url + SAAS_PATH) as (deployed, _):
        yield deployed


@pytest.fixture
def run_id() -> str:
    """A fresh order-id prefix per test: a shared stack outlives the tests, ids must not repeat."""
    return f"e2e-{uuid.uuid4().hex[:10]}"
