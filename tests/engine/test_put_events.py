"""PutEvents as AWS defines it: request limits, per-entry errors, the envelope, unknown buses."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from bus.clock import VirtualClock
from bus.engine import Engine
from bus.engine.ingest import MAX_REQUEST_BYTES, entry_size
from bus.errors import ValidationError
from bus.model import Target
from bus.store import MemoryStore

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def entry(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "Source": "com.choreo.orders",
        "DetailType": "OrderPlaced",
        "Detail": '{"total": 5}',
    }
    base.update(overrides)
    return base


@pytest.fixture
def engine() -> Engine:
    return Engine(MemoryStore(), clock=VirtualClock())


@pytest.mark.parametrize("count", [0, 11])
def test_entry_count_outside_1_to_10_fails_the_request(engine: Engine, count: int) -> None:
    with pytest.raises(ValidationError, match="at 'entries' failed to satisfy constraint"):
        engine.put_events([entry() for _ in range(count)])


def test_entry_size_follows_aws_formula() -> None:
    e = entry(Time=datetime(2026, 1, 1, tzinfo=UTC), Resources=["arn:aws:s3:::b", "é"], TraceHeader="Root=1")
    expected = (
        14 + len("com.choreo.orders") + len("OrderPlaced") + len('{"total": 5}') + len("arn:aws:s3:::b") + 2
    )
    assert entry_size(e) == expected


def test_total_size_over_one_mebibyte_fails_the_whole_request(engine: Engine) -> None:
    overhead = entry_size(entry(Detail='{"x":""}'))
    fits = entry(Detail=json.dumps({"x": "a" * (MAX_REQUEST_BYTES - overhead)}, separators=(",", ":")))
    assert entry_size(fits) == MAX_REQUEST_BYTES
    assert engine.put_events([fits])["FailedEntryCount"] == 0
    too_big = entry(Detail=json.dumps({"x": "a" * (MAX_REQUEST_BYTES - overhead + 1)}, separators=(",", ":")))
    with pytest.raises(
        ValidationError, match=r"^Total size of the entries in the request is over the limit\.$"
    ):
        engine.put_events([too_big])


@pytest.mark.parametrize(
    ("bad", "code", "message"),
    [
        (
            {"Source": None},
            "InvalidArgument",
            "Parameter Source is not valid. Reason: Source is a required argument.",
        ),
        (
            {"DetailType": ""},
            "InvalidArgument",
            "Parameter DetailType is not valid. Reason: DetailType is a required argument.",
        ),
        (
            {"Detail": None},
            "InvalidArgument",
            "Parameter Detail is not valid. Reason: Detail is a required argument.",
        ),
        ({"Detail": "not json"}, "MalformedDetail", "Detail is malformed."),
        ({"Detail": "[1, 2]"}, "MalformedDetail", "Detail is malformed."),
        ({"Source": "aws.ec2"}, "NotAuthorizedForSourceException", "Not authorized for the source."),
    ],
)
def test_a_bad_entry_fails_alone_in_its_place(
    engine: Engine, bad: dict[str, object], code: str, message: str
) -> None:
    result = engine.put_events([entry(), entry(**bad), entry()])
    assert result["FailedEntryCount"] == 1
    first, failed, last = result["Entries"]
    assert UUID.fullmatch(first["EventId"]) and UUID.fullmatch(last["EventId"])
    assert failed == {"ErrorCode": code, "ErrorMessage": message}


def test_unknown_bus_is_accepted_and_dropped_with_a_record(engine: Engine) -> None:
    result = engine.put_events([entry(EventBusName="nope")])
    assert result["FailedEntryCount"] == 0
    event_id = result["Entries"][0]["EventId"]
    [drop] = engine.store.drops()
    assert drop.event_id == event_id and "nope" in drop.reason
    assert engine.store.get_event(event_id) is not None  # kept, so the drop can be inspected


def test_strict_mode_rejects_unknown_bus(engine: Engine) -> None:
    engine.strict = True
    result = engine.put_events([entry(EventBusName="arn:aws:events:us-east-1:123456789012:event-bus/nope")])
    assert result == {
        "FailedEntryCount": 1,
        "Entries": [
            {"ErrorCode": "ResourceNotFoundException", "ErrorMessage": "Event bus nope does not exist."}
        ],
    }


def test_envelope_is_aws_shape_and_powertools_parses_it() -> None:
    clock = VirtualClock(start=1_767_225_600.7)
    engine = Engine(MemoryStore(), clock=clock, account="210987654321", region="eu-west-1")
    result = engine.put_events([entry(Resources=["arn:aws:s3:::bucket"])])
    event = engine.store.get_event(result["Entries"][0]["EventId"])
    assert event is not None
    envelope = event.envelope()
    assert list(envelope) == [
        "version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail",
    ]  # fmt: skip
    assert envelope["version"] == "0" and envelope["time"] == "2026-01-01T00:00:00Z"
    assert (envelope["account"], envelope["region"]) == ("210987654321", "eu-west-1")
    assert envelope["detail"] == {"total": 5}
    parsed = EventBridgeModel(**envelope)
    assert parsed.detail_type == "OrderPlaced" and parsed.resources == ["arn:aws:s3:::bucket"]


def test_entry_time_is_used_for_the_event_time(engine: Engine) -> None:
    result = engine.put_events([entry(Time=datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC))])
    event = engine.store.get_event(result["Entries"][0]["EventId"])
    assert event is not None and event.time == "2025-03-04T05:06:07Z"


def test_trace_header_from_entry_or_request(engine: Engine) -> None:
    result = engine.put_events([entry(TraceHeader="Root=1-entry"), entry()], trace_header="Root=1-request")
    traces = [engine.store.get_event(e["EventId"]).trace_header for e in result["Entries"]]  # type: ignore[union-attr]
    assert traces == ["Root=1-entry", "Root=1-request"]


def test_matching_rules_create_one_job_per_target(engine: Engine) -> None:
    engine.create_event_bus("orders")
    engine.put_rule(
        "big", event_bus_name="orders", event_pattern='{"detail": {"total": [{"numeric": [">=", 100]}]}}'
    )
    engine.put_rule("all", event_bus_name="orders", event_pattern='{"source": ["com.choreo.orders"]}')
    engine.put_targets("big", [Target("a", "arn:aws:sqs:us-east-1:123456789012:a")], event_bus_name="orders")
    engine.put_targets(
        "all",
        [
            Target("b", "arn:aws:sqs:us-east-1:123456789012:b"),
            Target("c", "arn:aws:sqs:us-east-1:123456789012:c"),
        ],
        event_bus_name="orders",
    )
    engine.put_events([entry(EventBusName="orders", Detail='{"total": 150}'), entry(EventBusName="orders")])
    jobs = engine.store.due_jobs(engine.clock.now(), 100)
    assert sorted((j.rule, j.target_id) for j in jobs) == [
        ("all", "b"), ("all", "b"), ("all", "c"), ("all", "c"), ("big", "a"),
    ]  # fmt: skip


def test_listeners_are_told_about_new_jobs(engine: Engine) -> None:
    calls: list[int] = []
    engine.on_jobs(lambda jobs, events: calls.append(len(jobs)))
    engine.put_rule("r", event_pattern='{"source": ["com.choreo.orders"]}')
    engine.put_events([entry()])
    assert calls == []  # a rule without targets makes no jobs
    engine.put_targets("r", [Target("t", "arn:aws:sqs:us-east-1:123456789012:t")])
    engine.put_events([entry()])
    assert calls == [1]
