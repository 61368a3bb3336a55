"""``choreo tail``, ``replay``, ``dlq redrive`` and ``dropped`` against a real server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from bus.cli._ops import _rule_bus, dlq_redrive, dropped, parse_time, replay, tail

app = typer.Typer(pretty_exceptions_enable=False)
app.command("tail")(tail)
app.command("replay")(replay)
app.command("dropped")(dropped)
_dlq = typer.Typer()
_dlq.command("redrive")(dlq_redrive)
app.add_typer(_dlq, name="dlq")

runner = CliRunner()
ENV: dict[str, str | None] = {
    "COLUMNS": "400",
    "NO_COLOR": "1",
    "AWS_ACCESS_KEY_ID": None,
    "AWS_PROFILE": None,
}


def cli(*args: str) -> Result:
    return runner.invoke(app, list(args), env=ENV)


def until(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """The data directory of the conftest's bus (the commands that read it directly need it)."""
    return tmp_path / "data"


def receive(sqs: Any, url: str) -> list[dict[str, Any]]:
    return list(
        sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        ).get("Messages", [])
    )


def queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


# -------------------------------------------------------------------------------------------- tail
def test_tail_shows_events_put_meanwhile_with_matching_rules(endpoint: str, events: Any, sqs: Any) -> None:
    events.put_rule(Name="orders", EventPattern='{"source": ["shop"]}')
    events.put_rule(Name="other", EventPattern='{"source": ["elsewhere"]}')
    events.put_rule(Name="nightly", ScheduleExpression="rate(1 day)")
    put: list[str] = []

    def producer() -> None:
        until(lambda: any(r["Name"].startswith("choreo-tail-") for r in events.list_rules()["Rules"]))
        until(lambda: any("choreo-tail-" in u for u in sqs.list_queues().get("QueueUrls", [])))
        entry = {"Source": "shop", "DetailType": "OrderPlaced", "Detail": '{"total": 120}'}
        put.append(events.put_events(Entries=[entry])["Entries"][0]["EventId"])

    thread = threading.Thread(target=producer, daemon=True)
    thread.start()
    result = cli("tail", "--endpoint-url", endpoint, "--seconds", "20", "--count", "1", "--json")
    thread.join(5)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert len(lines) == 1
    assert lines[0]["event"]["id"] == put[0]
    assert lines[0]["event"]["detail-type"] == "OrderPlaced"
    assert lines[0]["matchedRules"] == ["orders"]
    # the temporary rule and queue are gone
    assert [r["Name"] for r in events.list_rules()["Rules"]] == ["nightly", "orders", "other"]
    assert not [u for u in sqs.list_queues().get("QueueUrls", []) if "choreo-tail-" in u]


def test_tail_human_output_and_seconds_stop(endpoint: str, events: Any) -> None:
    events.put_rule(Name="orders", EventPattern='{"source": ["shop"]}')

    def producer() -> None:
        until(lambda: any(r["Name"].startswith("choreo-tail-") for r in events.list_rules()["Rules"]))
        events.put_events(Entries=[{"Source": "shop", "DetailType": "Shipped", "Detail": "{}"}])

    threading.Thread(target=producer, daemon=True).start()
    started = time.monotonic()
    result = cli("tail", "--endpoint-url", endpoint, "--seconds", "3")
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 10
    assert "Shipped" in result.output
    assert "-> orders" in result.output
    assert [r["Name"] for r in events.list_rules()["Rules"]] == ["orders"]


# ------------------------------------------------------------------------------------------ replay
def test_parse_time() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_time("now", now) == now
    assert parse_time("-1h", now) == datetime(2026, 1, 2, 2, 4, 5, tzinfo=UTC)
    assert parse_time("-90s", now) == datetime(2026, 1, 2, 3, 2, 35, tzinfo=UTC)
    assert parse_time("2026-01-01T00:00:00", now) == datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_time("2026-01-01T01:00:00+01:00", now) == datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(typer.BadParameter):
        parse_time("yesterday", now)


def test_replay_wait_reaches_completed_and_redelivers(endpoint: str, events: Any, sqs: Any) -> None:
    url, arn = queue(sqs, "replayed")
    events.put_rule(Name="orders", EventPattern='{"source": ["shop"]}')
    events.put_targets(Rule="orders", Targets=[{"Id": "q", "Arn": arn}])
    bus_arn = events.describe_event_bus(Name="default")["Arn"]
    events.create_archive(ArchiveName="all", EventSourceArn=bus_arn)
    events.put_events(Entries=[{"Source": "shop", "DetailType": "OrderPlaced", "Detail": "{}"}])
    first = until(lambda: receive(sqs, url))
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])

    result = cli(
        "replay", "all", "--start", "-2m", "--rule", "orders", "--name", "r1",
        "--endpoint-url", endpoint, "--wait", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    final = json.loads(result.output.strip().splitlines()[-1])
    assert final["State"] == "COMPLETED"
    assert final["ReplayName"] == "r1"
    described = events.describe_replay(ReplayName="r1")
    assert described["Destination"]["FilterArns"] == [events.describe_rule(Name="orders")["Arn"]]
    again = until(lambda: receive(sqs, url))
    assert json.loads(again[0]["Body"])["replay-name"] == "r1"

    human = cli("replay", "all", "--start", "-2m", "--name", "r2", "--endpoint-url", endpoint, "--wait")
    assert human.exit_code == 0, human.output
    assert "r2: COMPLETED" in human.output


def test_replay_rejects_a_bad_window(endpoint: str) -> None:
    result = cli("replay", "all", "--start", "now", "--end", "-1h", "--endpoint-url", endpoint)
    assert result.exit_code != 0


# ------------------------------------------------------------------------------------- dlq redrive
def test_rule_bus() -> None:
    assert _rule_bus("arn:aws:events:us-east-1:123456789012:rule/orders") == "default"
    assert _rule_bus("arn:aws:events:us-east-1:123456789012:rule/shop-bus/orders") == "shop-bus"


def test_redrive_moves_a_dead_letter_back_to_the_fixed_target(endpoint: str, events: Any, sqs: Any) -> None:
    events.create_event_bus(Name="shop-bus")
    dlq_url, dlq_arn = queue(sqs, "dead-letters")
    missing = dlq_arn.rsplit(":", 1)[0] + ":fulfilment"
    events.put_rule(Name="orders", EventBusName="shop-bus", EventPattern='{"source": ["shop"]}')
    events.put_targets(
        Rule="orders",
        EventBusName="shop-bus",
        Targets=[{"Id": "q", "Arn": missing, "DeadLetterConfig": {"Arn": dlq_arn}}],
    )
    entry = {
        "Source": "shop",
        "DetailType": "OrderPlaced",
        "Detail": '{"total": 120}',
        "Resources": ["arn:aws:shop:order/1"],
        "EventBusName": "shop-bus",
        "TraceHeader": "Root=1-5759e988-bd862e3fe1be46a994272793",
    }
    original = events.put_events(Entries=[entry])["Entries"][0]["EventId"]
    until(
        lambda: (
            sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ]["ApproximateNumberOfMessages"]
            == "1"
        )
    )
    sqs.send_message(QueueUrl=dlq_url, MessageBody="not a dead letter")
    fixed_url, _ = queue(sqs, "fulfilment")  # the target exists now

    result = cli("dlq", "redrive", "dead-letters", "--endpoint-url", endpoint, "--json")
    assert result.exit_code == 1, result.output  # the stray message failed and stays
    report = json.loads(result.output)
    assert [r["EventId"] for r in report["Redriven"]] == [original]
    assert report["Redriven"][0]["Bus"] == "shop-bus"
    assert len(report["Failed"]) == 1 and "RULE_ARN" in report["Failed"][0]["Error"]

    delivered = until(lambda: receive(sqs, fixed_url))
    body = json.loads(delivered[0]["Body"])
    assert body["id"] == report["Redriven"][0]["NewEventId"]
    assert (body["source"], body["detail-type"], body["detail"]) == ("shop", "OrderPlaced", {"total": 120})
    assert body["resources"] == ["arn:aws:shop:order/1"]
    left = receive(sqs, dlq_url)
    assert [m["Body"] for m in left] == ["not a dead letter"]


def test_redrive_human_output_on_an_empty_queue(endpoint: str, sqs: Any) -> None:
    queue(sqs, "empty")
    result = cli("dlq", "redrive", "empty", "--endpoint-url", endpoint)
    assert result.exit_code == 0, result.output
    assert "0 redriven, 0 failed" in result.output


# ----------------------------------------------------------------------------------------- dropped
def test_dropped_lists_drops_as_json_and_table(endpoint: str, events: Any, data: Path) -> None:
    events.put_rule(Name="orders", EventPattern='{"source": ["shop"]}')
    events.put_targets(
        Rule="orders", Targets=[{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:nowhere"}]
    )
    event_id = events.put_events(Entries=[{"Source": "shop", "DetailType": "X", "Detail": "{}"}])["Entries"][
        0
    ]["EventId"]

    def found() -> list[dict[str, Any]]:
        result = cli("dropped", "--data-dir", str(data), "--json")
        assert result.exit_code == 0, result.output
        return list(json.loads(result.output))

    records = until(found)
    assert records[0]["event_id"] == event_id
    assert records[0]["rule"] == "orders"
    table = cli("dropped", "--data-dir", str(data))
    assert table.exit_code == 0, table.output
    assert event_id in table.output and "1 drop(s)" in table.output


def test_dropped_without_data(tmp_path: Path) -> None:
    result = cli("dropped", "--data-dir", str(tmp_path / "none"), "--json")
    assert result.exit_code != 0


def test_tail_cleans_up_on_ctrl_c(
    endpoint: str, events: Any, sqs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bus.cli._client import _client as real

    def interrupting(service: str, url: str | None, region: str) -> Any:
        made = real(service, url, region)
        if service == "sqs":

            def receive_message(**_: Any) -> Any:
                raise KeyboardInterrupt

            made.receive_message = receive_message
        return made

    monkeypatch.setattr("bus.cli._ops._client", interrupting)
    result = cli("tail", "--endpoint-url", endpoint)
    assert result.exit_code == 0, result.output
    assert events.list_rules()["Rules"] == []
    assert not [u for u in sqs.list_queues().get("QueueUrls", []) if "choreo-tail-" in u]
