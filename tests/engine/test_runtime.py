"""The assembled bus: template.yaml applied, the sample events delivered to the functions and the
webhook their rules name, drops visible in the CLI."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bus.cli import app
from bus.engine.runtime import LocalBus
from bus.template import load_template
from tests.support.http_stubs import Reply, StubServer, script

REPO = Path(__file__).resolve().parents[2]


def wait_until_idle(bus: LocalBus, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while bus.store.pending_jobs() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert bus.store.pending_jobs() == 0


class RecordingInvoker:
    """Takes the asynchronous invocations the way a Lambda runtime would, and only records them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def invoke_async(self, function_arn: str, payload: str, *, trace_header: str | None = None) -> None:
        with self._lock:
            self.calls.append((function_arn, json.loads(payload)))


def test_template_applies_and_routes_the_samples_as_expected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saas = StubServer()
    hook = saas.route("/notify", script(Reply(202)))
    monkeypatch.setenv("CHOREO_RESOLVE_SSM_CHOREO_NOTIFICATIONS_WEBHOOK_URL", hook)
    monkeypatch.setenv("CHOREO_RESOLVE_SECRETSMANAGER_CHOREO_NOTIFICATIONS_APIKEY", "sample-key")
    config = load_template(REPO / "template.yaml", max_pattern_length=4096)
    expected = json.loads((REPO / "samples" / "expected-matches.json").read_text())
    expected.pop("_comment", None)
    rule_target = {
        logical: config.targets_of(rule)[0].arn
        for logical, arn in config.logical_ids.items()
        for rule in config.rules
        if rule.arn == arn
    }
    want: dict[str, set[str]] = {}  # target ARN -> ids of the sample events it must receive
    invoker = RecordingInvoker()
    try:
        with LocalBus(tmp_path, invoker=invoker) as bus:
            first = bus.apply(config)
            assert any(line.startswith("bus ") for line in first)
            again = bus.apply(config)
            assert not any(line.startswith(("queue ", "bus ", "archive ")) for line in again)  # idempotent
            for sample in sorted((REPO / "samples" / "events").glob("*.json")):
                event = json.loads(sample.read_text())
                entry = {
                    "Source": event["source"],
                    "DetailType": event["detail-type"],
                    "Detail": json.dumps(event["detail"]),
                    "EventBusName": config.buses[0].name,
                }
                result = bus.engine.put_events([entry])
                assert result["FailedEntryCount"] == 0
                for rule in expected[sample.name]:
                    want.setdefault(rule_target[rule], set()).add(result["Entries"][0]["EventId"])
            wait_until_idle(bus)
            dead = {q.name: bus.store.queue_counts(q.name, time.time())[0] for q in config.queues}
    finally:
        saas.close()
    got: dict[str, set[str]] = {}
    for arn, envelope in invoker.calls:
        got.setdefault(arn, set()).add(envelope["id"])
    notified = [r.json() for r in saas.to("/notify")]
    got[config.logical_ids["NotificationsDestination"]] = {body["eventId"] for body in notified}
    assert got == want
    assert sorted(body["template"] for body in notified) == ["OrderShipped", "PaymentFailed"]
    assert all(r.headers["x-api-key"] == "sample-key" for r in saas.to("/notify"))
    assert not any(dead.values())


def test_drops_and_attempts_are_visible_in_the_cli(tmp_path: Path) -> None:
    with LocalBus(tmp_path) as bus:
        bus.create_queue("q")
        bus.engine.put_rule("r", event_pattern='{"source": ["s"]}')
        from bus.model import Target

        bus.engine.put_targets(
            "r", [Target("q", bus.queue_arn("q")), Target("gone", bus.queue_arn("missing"))]
        )
        lost = bus.engine.put_events(
            [{"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": "nope"}]
        )
        kept = bus.engine.put_events([{"Source": "s", "DetailType": "d", "Detail": "{}"}])
        wait_until_idle(bus)
    runner = CliRunner(env={"COLUMNS": "300"})
    result = runner.invoke(app, ["dropped", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert lost["Entries"][0]["EventId"] in result.output
    assert "event bus nope does not exist" in result.output
    assert "no dead-letter queue" in result.output  # the target whose queue is missing
    event_id = kept["Entries"][0]["EventId"]
    result = runner.invoke(app, ["attempts", event_id, "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "DELIVERED" in result.output and "DROPPED" in result.output and "NO_RESOURCE" in result.output
    missing = runner.invoke(app, ["dropped", "--data-dir", str(tmp_path / "nowhere")])
    assert missing.exit_code != 0 and "no bus data" in missing.output


def test_drops_are_counted_by_reason(tmp_path: Path) -> None:
    from bus.model import Target

    with LocalBus(tmp_path) as bus:
        bus.engine.put_rule("r", event_pattern='{"source": ["s"]}')
        bus.engine.put_targets("r", [Target("gone", bus.queue_arn("missing"))])
        bus.engine.put_events([{"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": "nope"}])
        bus.engine.put_events([{"Source": "s", "DetailType": "d", "Detail": "{}"}])
        wait_until_idle(bus)
        counters = {
            (c["MetricName"], c["Dimensions"].get("Reason")): c["Value"]
            for c in bus.metrics.snapshot()["counters"]
            if c["Namespace"] == "choreo/Bus"
        }
    assert counters == {
        ("DroppedEvents", "UnknownEventBus"): 1.0,
        ("DroppedEvents", "NoDeadLetterQueue"): 1.0,
    }


def test_housekeeping_lets_delivered_events_go_after_the_retention(tmp_path: Path) -> None:
    from bus.clock import VirtualClock
    from bus.model import Target

    clock = VirtualClock()
    bus = LocalBus(tmp_path, clock=clock, event_retention_seconds=3600)
    try:
        queue = bus.create_queue("q")
        bus.engine.put_rule("r", event_pattern='{"source": ["s"]}')
        bus.engine.put_targets("r", [Target("t", queue.arn)])
        (entry,) = bus.engine.put_events([{"Source": "s", "DetailType": "d", "Detail": "{}"}])["Entries"]
        bus.deliverer.run_due()
        clock.advance(1800)
        bus.housekeeping_once()
        assert bus.store.get_event(entry["EventId"]) is not None  # within the retention
        clock.advance(3600)
        bus.housekeeping_once()
        assert bus.store.get_event(entry["EventId"]) is None
        assert bus.store.attempts(entry["EventId"]) == []
        assert bus.store.queue_counts("q", clock.now()) == (1, 0)  # what was delivered stays delivered
    finally:
        bus.stop()
