"""The real AWS CLI against the server: what a developer types, answered as AWS answers it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bus.engine.runtime import LocalBus

pytestmark = pytest.mark.integration


@pytest.fixture
def aws(endpoint: str, tmp_path: Path) -> Any:
    """``aws(*args)`` runs ``aws events *args`` against the server: (exit code, parsed stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }

    def run(*args: str) -> tuple[int, Any, str]:
        command = [sys.executable, "-m", "awscli", "events", *args, "--endpoint-url", endpoint,
                   "--region", "us-east-1", "--output", "json"]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
        return done.returncode, json.loads(done.stdout) if done.stdout.strip() else None, done.stderr

    return run


def test_a_bus_rule_and_target_made_and_used_from_the_cli(aws: Any, bus: LocalBus) -> None:
    bus.create_queue("cli-q")
    code, out, err = aws("create-event-bus", "--name", "orders")
    assert (code, out["EventBusArn"]) == (0, "arn:aws:events:us-east-1:123456789012:event-bus/orders"), err
    code, out, err = aws("put-rule", "--name", "big", "--event-bus-name", "orders",
                         "--event-pattern", '{"source": ["shop"]}')  # fmt: skip
    assert (code, out["RuleArn"]) == (0, "arn:aws:events:us-east-1:123456789012:rule/orders/big"), err
    targets = [{"Id": "q", "Arn": bus.queue_arn("cli-q"), "InputPath": "$.detail"}]
    code, out, err = aws("put-targets", "--rule", "big", "--event-bus-name", "orders",
                         "--targets", json.dumps(targets))  # fmt: skip
    assert (code, out) == (0, {"FailedEntryCount": 0, "FailedEntries": []}), err
    entries = [{"Source": "shop", "DetailType": "Order", "Detail": '{"n": 1}', "EventBusName": "orders"}]
    code, out, err = aws("put-events", "--entries", json.dumps(entries))
    assert code == 0 and out["FailedEntryCount"] == 0, err
    deadline, received = time.monotonic() + 5, []
    while not received and time.monotonic() < deadline:
        received = bus.store.receive_messages("cli-q", 10, 30, time.time())
        time.sleep(0.02)
    assert [m.body for m in received] == ['{"n":1}']
    code, out, err = aws("describe-rule", "--name", "big", "--event-bus-name", "orders")
    assert code == 0 and (out["State"], out["EventBusName"]) == ("ENABLED", "orders"), err
    code, out, err = aws("list-rules", "--event-bus-name", "orders")
    assert code == 0 and [r["Name"] for r in out["Rules"]] == ["big"], err
    code, out, err = aws("list-targets-by-rule", "--rule", "big", "--event-bus-name", "orders")
    assert code == 0 and out["Targets"] == targets, err


def test_errors_reach_the_cli_with_aws_codes(aws: Any) -> None:
    code, _, err = aws("describe-rule", "--name", "missing")
    assert code != 0
    assert "ResourceNotFoundException" in err and "Rule missing does not exist on EventBus default." in err
    code, _, err = aws("put-rule", "--name", "r", "--event-pattern", '{"source": "shop"}')
    assert code != 0 and "InvalidEventPatternException" in err
