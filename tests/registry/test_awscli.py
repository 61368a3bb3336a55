"""The real AWS CLI against the ``schemas`` endpoint: what a developer types."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.registry.conftest import openapi

pytestmark = pytest.mark.integration


def test_registry_and_schema_from_the_cli(endpoint: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }

    def aws(*args: str) -> tuple[int, Any, str]:
        command = [sys.executable, "-m", "awscli", "schemas", *args, "--endpoint-url", endpoint,
                   "--region", "us-east-1", "--output", "json"]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
        return done.returncode, json.loads(done.stdout) if done.stdout.strip() else None, done.stderr

    code, out, err = aws("create-registry", "--registry-name", "orders", "--tags", "team=shop")
    assert (code, out["RegistryArn"], out["Tags"]) == (
        0,
        "arn:aws:schemas:us-east-1:123456789012:registry/orders",
        {"team": "shop"},
    ), err
    code, out, err = aws("create-schema", "--registry-name", "orders", "--schema-name", "OrderPlaced",
                         "--type", "OpenApi3", "--content", openapi("OrderPlaced", {}))  # fmt: skip
    assert (code, out["SchemaVersion"]) == (0, "1"), err
    code, out, err = aws("describe-schema", "--registry-name", "orders", "--schema-name", "Missing")
    assert code != 0 and "NotFoundException" in err and out is None
