"""EventBridge's API through real boto3 against a real server: every operation, success and AWS's errors.

Modelled errors are asserted as ``client.exceptions.X``; ValidationException is not in botocore's
model of EventBridge, so ``fails`` checks its code and text on the ClientError. ``raw`` is a client
with botocore's own checks off, so requests AWS would refuse reach the server's validation.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bus.engine.runtime import LocalBus
from bus.model import QueueMessage
from bus.wire.events import EventsProtocol
from tests.support.aws import aws_client

ACCOUNT, REGION = "123456789012", "us-east-1"
ARN = f"arn:aws:events:{REGION}:{ACCOUNT}"
DEFAULT = f"{ARN}:event-bus/default"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"
PATTERN = '{"source": ["shop"]}'


@pytest.fixture
def raw(endpoint: str) -> Any:
    return aws_client("events", endpoint, parameter_validation=False)


@contextmanager
def fails(error: str | type[Exception], match: str = "") -> Iterator[None]:
    """The call fails with HTTP 400 and ``error`` (a ``client.exceptions`` class, or the code of one
    botocore does not model, such as ValidationException), its message matching ``match``."""
    with pytest.raises(ClientError if isinstance(error, str) else error) as info:
        yield
    response = getattr(info.value, "response")  # noqa: B009 - ClientError's, whatever class was raised
    code = error if isinstance(error, str) else error.__name__
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (code, 400)
    assert re.search(match, response["Error"]["Message"]), response["Error"]["Message"]


def receive(bus: LocalBus, queue: str, count: int = 1, timeout: float = 5.0) -> list[QueueMessage]:
    got: list[QueueMessage] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        got += bus.store.receive_messages(queue, 10, 30, time.time())
        if len(got) < count:
            time.sleep(0.02)
    return got


def entry(detail: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"Source": "shop", "DetailType": "OrderPlaced", "Detail": json.dumps(detail or {"id": 1}), **extra}


def test_every_operation_is_served_under_botocores_name(events: Any) -> None:
    assert len(EventsProtocol.operations) == 39
    assert set(EventsProtocol.operations) <= set(events.meta.service_model.operation_names)


# ---------------------------------------------------------------------------------------- buses
def test_event_bus_lifecycle(events: Any) -> None:
    created = events.create_event_bus(Name="orders", Description="the orders")
    assert (created["EventBusArn"], created["Description"]) == (f"{ARN}:event-bus/orders", "the orders")
    for name in ("orders", f"{ARN}:event-bus/orders"):
        described = events.describe_event_bus(Name=name)
        assert (described["Name"], described["Arn"]) == ("orders", created["EventBusArn"])
        assert isinstance(described["CreationTime"], datetime)
    assert events.describe_event_bus()["Name"] == "default"
    assert [b["Name"] for b in events.list_event_buses()["EventBuses"]] == ["default", "orders"]
    assert [b["Name"] for b in events.list_event_buses(NamePrefix="ord")["EventBuses"]] == ["orders"]
    events.delete_event_bus(Name="orders")
    events.delete_event_bus(Name="orders")  # deleting what is gone succeeds, as on AWS
    with fails(events.exceptions.ResourceNotFoundException, r"^Event bus orders does not exist.$"):
        events.describe_event_bus(Name="orders")


def test_event_bus_errors(events: Any, raw: Any) -> None:
    events.create_event_bus(Name="orders")
    for name in ("orders", "default"):
        with fails(events.exceptions.ResourceAlreadyExistsException, rf"^Event bus {name} already"):
            events.create_event_bus(Name=name)
    with fails("ValidationException", "^Cannot delete event bus default.$"):
        events.delete_event_bus(Name="default")
    with fails("ValidationException", re.escape(
        "1 validation error detected: Value 'two words' at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+")):  # fmt: skip
        raw.create_event_bus(Name="two words")
    with fails("ValidationException", "^1 validation error detected: Value null at 'name' failed to satisfy "
               "constraint: Member must not be null$"):  # fmt: skip
        raw.create_event_bus()
    with fails(events.exceptions.ResourceNotFoundException, r"Event source aws.partner/x/y does"):
        events.create_event_bus(Name="aws.partner/x/y", EventSourceName="aws.partner/x/y")


def test_pagination_is_opaque_and_bounded(events: Any, raw: Any) -> None:
    for i in range(5):
        events.create_event_bus(Name=f"bus-{i}")
    names, token = [], None
    while True:
        page = events.list_event_buses(Limit=2, **({"NextToken": token} if token else {}))
        assert len(page["EventBuses"]) <= 2
        names += [b["Name"] for b in page["EventBuses"]]
        if (token := page.get("NextToken")) is None:
            break
    assert names == [f"bus-{i}" for i in range(5)] + ["default"]
    for limit, rule in ((0, "greater than or equal to 1"), (101, "less than or equal to 100")):
        with fails(
            "ValidationException", f"Value '{limit}' at 'limit' failed .* Member must have value {rule}"
        ):
            raw.list_event_buses(Limit=limit)
    with fails("ValidationException", "NextToken"):
        events.list_event_buses(NextToken="not-a-token")
    with fails("SerializationException", "limit"):
        raw.list_event_buses(Limit="ten")


# ---------------------------------------------------------------------------------------- rules
def test_rule_lifecycle(events: Any) -> None:
    events.create_event_bus(Name="orders")
    arn = events.put_rule(Name="r", EventBusName="orders", EventPattern=PATTERN, Description="d")["RuleArn"]
    assert arn == f"{ARN}:rule/orders/r"
    rule = events.describe_rule(Name="r", EventBusName=f"{ARN}:event-bus/orders")
    del rule["ResponseMetadata"]
    assert rule == {"Name": "r", "Arn": arn, "EventPattern": PATTERN, "State": "ENABLED", "Description": "d",
                    "EventBusName": "orders", "CreatedBy": ACCOUNT}  # fmt: skip
    events.disable_rule(Name="r", EventBusName="orders")
    assert events.describe_rule(Name="r", EventBusName="orders")["State"] == "DISABLED"
    events.enable_rule(Name="r", EventBusName="orders")
    assert events.list_rules(EventBusName="orders")["Rules"][0]["State"] == "ENABLED"
    events.put_rule(Name="tick", ScheduleExpression="rate(5 minutes)", State="DISABLED")
    assert events.list_rules()["Rules"][0]["ScheduleExpression"] == "rate(5 minutes)"
    events.delete_rule(Name="r", EventBusName="orders")
    with fails(events.exceptions.ResourceNotFoundException, r"^Rule r does not exist on EventBus"):
        events.describe_rule(Name="r", EventBusName="orders")


def test_rule_errors(events: Any, raw: Any) -> None:
    with fails(events.exceptions.InvalidEventPatternException, r"Empty arrays are not allowed"):
        events.put_rule(Name="r", EventPattern='{"source": []}')
    with fails(events.exceptions.ResourceNotFoundException, r"^Event bus nope does not exist.$"):
        events.put_rule(Name="r", EventBusName="nope", EventPattern=PATTERN)
    with fails(
        "ValidationException", r"^Parameter\(s\) EventPattern or ScheduleExpression must be specified.$"
    ):
        events.put_rule(Name="r")
    with fails("ValidationException", "^Parameter ScheduleExpression is not valid.$"):
        events.put_rule(Name="r", ScheduleExpression="rate(1 minutes)")
    for call in (events.enable_rule, events.disable_rule, events.describe_rule):
        with fails(events.exceptions.ResourceNotFoundException):
            call(Name="missing")
    two = (
        f"2 validation errors detected: Value '{'r' * 65}' at 'name' failed to satisfy constraint: Member "
        "must have length less than or equal to 64; Value 'ON' at 'state' failed to satisfy constraint: "
        "Member must satisfy enum value set: "
        "[ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]"
    )
    with fails("ValidationException", f"^{re.escape(two)}$"):
        raw.put_rule(Name="r" * 65, EventPattern=PATTERN, State="ON")


def test_delete_rule_with_targets_needs_force(events: Any) -> None:
    events.put_rule(Name="r", EventPattern=PATTERN)
    events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": QUEUE}])
    with fails("ValidationException", "^Rule can't be deleted since it has targets.$"):
        events.delete_rule(Name="r")
    events.delete_rule(Name="r", Force=True)
    assert events.list_rules()["Rules"] == []


def test_list_rules_through_the_paginator(events: Any) -> None:
    for name in [f"r{i}" for i in range(7)] + ["other"]:
        events.put_rule(Name=name, EventPattern=PATTERN)
    pages = list(
        events.get_paginator("list_rules").paginate(NamePrefix="r", PaginationConfig={"PageSize": 3})
    )
    assert [[r["Name"] for r in p["Rules"]] for p in pages] == [
        ["r0", "r1", "r2"],
        ["r3", "r4", "r5"],
        ["r6"],
    ]


# ---------------------------------------------------------------------------------------- targets
def test_targets_round_trip(events: Any) -> None:
    events.put_rule(Name="r", EventPattern=PATTERN)
    targets = [
        {"Id": "t1", "Arn": f"{QUEUE}.fifo", "SqsParameters": {"MessageGroupId": "g"},
         "InputTransformer": {"InputPathsMap": {"id": "$.detail.id"}, "InputTemplate": '{"order": <id>}'},
         "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600},
         "DeadLetterConfig": {"Arn": f"{QUEUE}-dlq"}},
        {"Id": "t2", "Arn": QUEUE, "Input": '{"fixed": true}'},
        {"Id": "t3", "Arn": f"{ARN}:api-destination/hook/1", "InputPath": "$.detail",
         "HttpParameters": {"PathParameterValues": ["a"], "HeaderParameters": {"x-h": "1"}}},
    ]  # fmt: skip
    assert events.put_targets(Rule="r", Targets=targets)["FailedEntries"] == []
    assert events.list_targets_by_rule(Rule="r")["Targets"] == targets
    pages = events.get_paginator("list_targets_by_rule").paginate(Rule="r", PaginationConfig={"PageSize": 2})
    assert [[t["Id"] for t in p["Targets"]] for p in pages] == [["t1", "t2"], ["t3"]]
    assert events.list_rule_names_by_target(TargetArn=QUEUE)["RuleNames"] == ["r"]
    assert events.remove_targets(Rule="r", Ids=["t2", "t3"])["FailedEntryCount"] == 0
    assert [t["Id"] for t in events.list_targets_by_rule(Rule="r")["Targets"]] == ["t1"]
    assert events.list_rule_names_by_target(TargetArn=QUEUE)["RuleNames"] == []


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            {"InputTransformer": {"InputTemplate": '{"a": <nope>}'}},
            "InputTemplate for target t contains invalid",
        ),
        ({"Input": "{}", "InputPath": "$.detail"}, "Only one of Input, InputPath, or InputTransformer"),
        ({"Input": "not json"}, "Input for target t is not a valid JSON text."),
        ({"Arn": "notarn"}, "Parameter notarn is not valid. Reason: Provided Arn is not in correct format."),
        ({"Arn": f"{QUEUE}.fifo"}, "Parameter(s) SqsParameters must be specified for target: t."),
    ],
)
def test_an_invalid_target_fails_the_request(events: Any, target: dict[str, Any], message: str) -> None:
    events.put_rule(Name="r", EventPattern=PATTERN)
    with fails("ValidationException", "^" + re.escape(message)):
        events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": QUEUE, **target}])
    assert events.list_targets_by_rule(Rule="r")["Targets"] == []


def test_target_errors(events: Any, raw: Any) -> None:
    with fails(events.exceptions.ResourceNotFoundException, r"^Rule r does not exist"):
        events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": QUEUE}])
    events.put_rule(Name="r", EventPattern=PATTERN)
    with fails(events.exceptions.LimitExceededException):
        events.put_targets(Rule="r", Targets=[{"Id": f"t{i}", "Arn": QUEUE} for i in range(6)])
    with fails("ValidationException", "Value '186' at 'targets.1.member.retryPolicy.maximumRetryAttempts'"):
        raw.put_targets(
            Rule="r", Targets=[{"Id": "t", "Arn": QUEUE, "RetryPolicy": {"MaximumRetryAttempts": 186}}]
        )
    for call in (events.list_targets_by_rule, events.remove_targets):
        with fails(events.exceptions.ResourceNotFoundException, r"^Rule missing does not exist on EventBus"):
            call(Rule="missing", **({"Ids": ["t"]} if call == events.remove_targets else {}))
    with fails(events.exceptions.ResourceNotFoundException, r"^Event bus nope does not exist.$"):
        events.list_rule_names_by_target(TargetArn=QUEUE, EventBusName="nope")


# ---------------------------------------------------------------------------------------- events
def test_put_events_reports_per_entry(events: Any, raw: Any) -> None:
    result = events.put_events(Entries=[entry(), {"Source": "shop", "DetailType": "x", "Detail": "[1]"}])
    assert (result["FailedEntryCount"], len(result["Entries"][0]["EventId"])) == (1, 36)
    assert result["Entries"][1] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    with fails(
        "ValidationException", "at 'entries' failed to satisfy constraint: Member must have length less"
    ):
        raw.put_events(Entries=[entry()] * 11)


def test_end_to_end_through_an_sqs_target(events: Any, bus: LocalBus) -> None:
    bus.create_queue("orders-q")
    events.create_event_bus(Name="orders")
    pattern = {"source": ["shop"], "detail": {"total": [{"numeric": [">=", 100]}]}}
    events.put_rule(Name="big", EventBusName="orders", EventPattern=json.dumps(pattern))
    events.put_targets(
        Rule="big", EventBusName="orders", Targets=[{"Id": "q", "Arn": bus.queue_arn("orders-q")}]
    )
    trace = "Root=1-67891233-abcdef012345678912345678"
    add_trace = lambda request, **_: request.headers.__setitem__("X-Amzn-Trace-Id", trace)  # noqa: E731
    events.meta.events.register("before-sign.events.PutEvents", add_trace)
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    big = entry({"total": 120}, EventBusName="orders", Time=when, Resources=["r1"])
    result = events.put_events(Entries=[big, entry({"total": 5}, EventBusName="orders")])
    [message] = receive(bus, "orders-q")
    body = json.loads(message.body)
    assert body["id"] == result["Entries"][0]["EventId"]
    assert (body["time"], body["resources"], body["detail"]) == (
        "2026-01-02T03:04:05Z",
        ["r1"],
        {"total": 120},
    )
    assert message.system_attributes["AWSTraceHeader"] == trace
    assert receive(bus, "orders-q", timeout=0.2) == []


def test_end_to_end_through_an_api_destination(events: Any) -> None:
    received: list[tuple[str, str, bytes]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["x-tenant"], body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        auth = {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "secret"}}
        connection = events.create_connection(Name="c", AuthorizationType="API_KEY", AuthParameters=auth)
        url = f"http://127.0.0.1:{server.server_address[1]}/orders/*"
        destination = events.create_api_destination(Name="hook", ConnectionArn=connection["ConnectionArn"],
                                                     InvocationEndpoint=url, HttpMethod="PUT")  # fmt: skip
        events.put_rule(Name="r", EventPattern=PATTERN)
        http = {"PathParameterValues": ["42"], "HeaderParameters": {"x-tenant": "t1"}}
        events.put_targets(Rule="r", Targets=[{"Id": "h", "Arn": destination["ApiDestinationArn"],
                                               "InputPath": "$.detail", "HttpParameters": http}])  # fmt: skip
        events.put_events(Entries=[entry({"id": 42})])
        deadline = time.monotonic() + 5
        while not received and time.monotonic() < deadline:
            time.sleep(0.02)
        assert received == [("/orders/42", "t1", b'{"id":42}')]
    finally:
        server.shutdown()
        server.server_close()


def test_test_event_pattern(events: Any) -> None:
    event = json.dumps({"id": "1", "account": ACCOUNT, "source": "shop", "time": "2026-01-01T00:00:00Z",
                        "region": REGION, "detail-type": "x", "resources": [], "detail": {}})  # fmt: skip
    assert events.test_event_pattern(EventPattern=PATTERN, Event=event)["Result"] is True
    assert events.test_event_pattern(EventPattern='{"source": ["other"]}', Event=event)["Result"] is False
    with fails(events.exceptions.InvalidEventPatternException, r"^Event pattern is not valid"):
        events.test_event_pattern(EventPattern='{"source": "shop"}', Event=event)
    with fails("ValidationException", "^Parameter Event is not valid.$"):
        events.test_event_pattern(EventPattern=PATTERN, Event='{"source": "shop"}')


# ---------------------------------------------------------------------------------------- archives, replays
def test_archive_lifecycle(events: Any) -> None:
    bus_arn = events.create_event_bus(Name="orders")["EventBusArn"]
    created = events.create_archive(
        ArchiveName="a", EventSourceArn=bus_arn, EventPattern=PATTERN, RetentionDays=7
    )
    assert (created["ArchiveArn"], created["State"]) == (f"{ARN}:archive/a", "ENABLED")
    events.put_events(Entries=[entry(EventBusName="orders"), entry(EventBusName="orders", Source="x")])
    described = events.describe_archive(ArchiveName="a")
    assert (described["EventCount"], described["RetentionDays"], described["EventPattern"]) == (1, 7, PATTERN)
    assert described["SizeBytes"] > 0 and isinstance(described["CreationTime"], datetime)
    listed = events.list_archives(EventSourceArn=bus_arn)["Archives"]
    assert [(a["ArchiveName"], a["EventCount"], a["State"]) for a in listed] == [("a", 1, "ENABLED")]
    assert events.list_archives(NamePrefix="b")["Archives"] == []
    assert events.update_archive(ArchiveName="a", Description="kept")["State"] == "ENABLED"
    assert events.describe_archive(ArchiveName="a")["Description"] == "kept"
    events.delete_archive(ArchiveName="a")
    with fails(events.exceptions.ResourceNotFoundException, r"^Archive a does not exist.$"):
        events.describe_archive(ArchiveName="a")


def test_archive_errors(events: Any, raw: Any) -> None:
    events.create_archive(ArchiveName="a", EventSourceArn=DEFAULT)
    with fails(events.exceptions.ResourceAlreadyExistsException, r"^Archive a already exists.$"):
        events.create_archive(ArchiveName="a", EventSourceArn=DEFAULT)
    with fails(events.exceptions.ResourceNotFoundException, r"^Event bus nope does not exist.$"):
        events.create_archive(ArchiveName="b", EventSourceArn=f"{ARN}:event-bus/nope")
    with fails(events.exceptions.InvalidEventPatternException):
        events.create_archive(ArchiveName="b", EventSourceArn=DEFAULT, EventPattern='{"source": "x"}')
    with fails("ValidationException", "at 'archiveName' failed .* less than or equal to 48"):
        raw.create_archive(ArchiveName="a" * 49, EventSourceArn=DEFAULT)
    with fails("ValidationException", "^At most one filter is allowed for ListArchives. Use either : State"):
        events.list_archives(NamePrefix="a", State="ENABLED")
    for call in (events.update_archive, events.delete_archive):
        with fails(events.exceptions.ResourceNotFoundException):
            call(ArchiveName="missing")


def test_replay_delivers_archived_events_again(events: Any, bus: LocalBus) -> None:
    bus.create_queue("q")
    archive = events.create_archive(ArchiveName="all", EventSourceArn=DEFAULT)["ArchiveArn"]
    events.put_rule(Name="r", EventPattern=PATTERN)
    events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": bus.queue_arn("q")}])
    start = datetime.now(UTC) - timedelta(seconds=5)
    events.put_events(Entries=[entry()])
    assert len(receive(bus, "q")) == 1
    time.sleep(max(0.0, int(time.time()) + 1.05 - time.time()))  # the wire's timestamps are whole seconds
    started = events.start_replay(ReplayName="again", EventSourceArn=archive, EventStartTime=start,
                                  EventEndTime=datetime.now(UTC), Destination={"Arn": DEFAULT})  # fmt: skip
    assert (started["ReplayArn"], started["State"]) == (f"{ARN}:replay/again", "STARTING")
    for _ in range(3):
        bus.housekeeping_once()
    [message] = receive(bus, "q")
    assert json.loads(message.body)["replay-name"] == "again"
    replay = events.describe_replay(ReplayName="again")
    assert (replay["State"], replay["EventSourceArn"]) == ("COMPLETED", archive)
    assert replay["Destination"] == {"Arn": DEFAULT}
    assert [r["ReplayName"] for r in events.list_replays(State="COMPLETED")["Replays"]] == ["again"]
    with fails(events.exceptions.IllegalStatusException, r"^Replay again is not in a valid state"):
        events.cancel_replay(ReplayName="again")


def test_replay_errors_limits_and_cancel(events: Any) -> None:
    archive = events.create_archive(ArchiveName="all", EventSourceArn=DEFAULT)["ArchiveArn"]
    other = events.create_event_bus(Name="other")["EventBusArn"]
    now = datetime.now(UTC)
    good = {"EventSourceArn": archive, "Destination": {"Arn": DEFAULT},
            "EventStartTime": now - timedelta(hours=2), "EventEndTime": now - timedelta(hours=1)}  # fmt: skip
    for change, message in [
        (
            {"EventSourceArn": f"{ARN}:archive/nope"},
            "Parameter EventSourceArn is not valid. Reason: Archive nope",
        ),
        (
            {"Destination": {"Arn": QUEUE}},
            "Parameter Destination.Arn is not valid. Reason: Must contain an event",
        ),
        ({"Destination": {"Arn": other}}, "Reason: Cross event bus replay is not permitted."),
        (
            {"EventStartTime": now - timedelta(minutes=1)},
            "Reason: EventStartTime must be before EventEndTime.",
        ),
    ]:
        with fails("ValidationException", re.escape(message)):
            events.start_replay(ReplayName="r", **(good | change))
    with fails(events.exceptions.ResourceNotFoundException, r"^Event bus gone does not exist.$"):
        events.start_replay(ReplayName="r", **(good | {"Destination": {"Arn": f"{ARN}:event-bus/gone"}}))
    for i in range(10):  # two-hour-old windows take minutes of one-minute slices: all ten stay active
        events.start_replay(ReplayName=f"r{i}", **good)
    with fails(events.exceptions.ResourceAlreadyExistsException, r"^Replay r0 already exists.$"):
        events.start_replay(ReplayName="r0", **good)
    with fails(events.exceptions.LimitExceededException):
        events.start_replay(ReplayName="r10", **good)
    assert events.cancel_replay(ReplayName="r0")["State"] == "CANCELLING"
    pages = list(_pages(events.list_replays, "Replays", NamePrefix="r", Limit=4))
    assert [len(p) for p in pages] == [4, 4, 2]
    with fails("ValidationException", "^At most one filter is allowed for ListReplays"):
        events.list_replays(NamePrefix="r", EventSourceArn=archive)
    with fails(events.exceptions.ResourceNotFoundException, r"^Replay nope does not exist.$"):
        events.describe_replay(ReplayName="nope")


def _pages(call: Any, key: str, **params: Any) -> Iterator[list[Any]]:
    while True:
        page = call(**params)
        yield page[key]
        if "NextToken" not in page:
            return
        params["NextToken"] = page["NextToken"]


# ---------------------------------------------------------------------------------------- connections
def test_connection_lifecycle_never_returns_secrets(events: Any, bus: LocalBus) -> None:
    plain = {"Key": "x-tenant", "Value": "t1", "IsValueSecret": False}
    auth = {"BasicAuthParameters": {"Username": "u", "Password": "p4ss"}, "InvocationHttpParameters": {
        "HeaderParameters": [{"Key": "x-sig", "Value": "hidden", "IsValueSecret": True}, plain]}}  # fmt: skip
    created = events.create_connection(Name="c", AuthorizationType="BASIC", AuthParameters=auth)
    assert created["ConnectionArn"].startswith(f"{ARN}:connection/c/")
    assert created["ConnectionState"] == "AUTHORIZED"
    described = events.describe_connection(Name="c")
    shown = {"HeaderParameters": [{"Key": "x-sig", "IsValueSecret": True}, plain]}
    assert described["AuthParameters"] == {
        "BasicAuthParameters": {"Username": "u"},
        "InvocationHttpParameters": shown,
    }
    assert described["SecretArn"].startswith(
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:events!connection/c/"
    )
    assert (
        bus.store.get_resource("connection", "c")["AuthParameters"] == auth
    )  # kept for delivery, never shown
    key = {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v4lue"}}
    events.update_connection(Name="c", AuthorizationType="API_KEY", AuthParameters=key)
    described = events.describe_connection(Name="c")
    assert described["AuthParameters"] == {
        "ApiKeyAuthParameters": {"ApiKeyName": "k"},
        "InvocationHttpParameters": shown,
    }
    assert events.deauthorize_connection(Name="c")["ConnectionState"] == "DEAUTHORIZED"
    stored = json.dumps(bus.store.get_resource("connection", "c"))
    assert "v4lue" not in stored and "hidden" not in stored and "p4ss" not in stored
    assert [c["Name"] for c in events.list_connections(ConnectionState="DEAUTHORIZED")["Connections"]] == [
        "c"
    ]
    assert events.update_connection(Name="c", AuthParameters=key)["ConnectionState"] == "AUTHORIZED"
    assert events.delete_connection(Name="c")["ConnectionState"] == "DELETING"
    for call in (events.describe_connection, events.delete_connection, events.deauthorize_connection):
        with fails(events.exceptions.ResourceNotFoundException, r"Connection 'c' does not exist."):
            call(Name="c")


def test_connection_errors(events: Any) -> None:
    endpoint = {"AuthorizationEndpoint": "https://auth.example/token", "HttpMethod": "POST"}
    oauth = {"OAuthParameters": {"ClientParameters": {"ClientID": "id", "ClientSecret": "cs"}, **endpoint}}
    events.create_connection(Name="o", AuthorizationType="OAUTH_CLIENT_CREDENTIALS", AuthParameters=oauth)
    shown = events.describe_connection(Name="o")["AuthParameters"]["OAuthParameters"]
    assert shown == {"ClientParameters": {"ClientID": "id"}, **endpoint}
    with fails(events.exceptions.ResourceAlreadyExistsException, r"^Connection o already exists.$"):
        events.create_connection(Name="o", AuthorizationType="OAUTH_CLIENT_CREDENTIALS", AuthParameters=oauth)
    with fails("ValidationException", "BasicAuthParameters must be specified"):
        events.create_connection(Name="b", AuthorizationType="BASIC", AuthParameters=oauth)
    with fails(events.exceptions.ResourceNotFoundException):
        events.update_connection(Name="missing", Description="x")


def test_a_pathological_secret_is_refused_fast_and_not_echoed(raw: Any) -> None:
    password = "a" + " " * 400 + ":"  # backtracks for ages under the model's pattern taken literally
    basic = {"BasicAuthParameters": {"Username": "u", "Password": password}}
    started = time.monotonic()
    where = "authParameters.basicAuthParameters.password"
    with fails("ValidationException", f"^1 validation error detected: Value at '{where}' failed to satisfy"):
        raw.create_connection(Name="c", AuthorizationType="BASIC", AuthParameters=basic)
    assert time.monotonic() - started < 2


def test_api_destination_lifecycle(events: Any, bus: LocalBus, raw: Any) -> None:
    auth = {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}}
    connection = events.create_connection(Name="c", AuthorizationType="API_KEY", AuthParameters=auth)[
        "ConnectionArn"
    ]
    new = {
        "ConnectionArn": connection,
        "InvocationEndpoint": "https://example.com/hook",
        "HttpMethod": "POST",
    }
    created = events.create_api_destination(Name="hook", **new)
    assert created["ApiDestinationArn"].startswith(f"{ARN}:api-destination/hook/")
    assert created["ApiDestinationState"] == "ACTIVE"
    described = events.describe_api_destination(Name="hook")
    assert (described["InvocationRateLimitPerSecond"], described["ConnectionArn"]) == (300, connection)
    stored = bus.store.get_resource("api_destination", "hook")
    assert (stored["InvocationEndpoint"], stored["HttpMethod"]) == ("https://example.com/hook", "POST")
    events.update_api_destination(Name="hook", HttpMethod="PUT", InvocationRateLimitPerSecond=10)
    assert events.describe_api_destination(Name="hook")["HttpMethod"] == "PUT"
    assert [d["Name"] for d in events.list_api_destinations(ConnectionArn=connection)["ApiDestinations"]] == [
        "hook"
    ]
    with fails(events.exceptions.ResourceAlreadyExistsException, r"^An api-destination 'hook' already"):
        events.create_api_destination(Name="hook", **new)
    with fails(events.exceptions.ResourceNotFoundException, r"Connection 'gone' does not exist."):
        events.create_api_destination(Name="h2", **(new | {"ConnectionArn": f"{ARN}:connection/gone/1"}))
    with fails(
        "ValidationException", re.escape("enum value set: [HEAD, POST, PATCH, DELETE, PUT, GET, OPTIONS]")
    ):
        raw.update_api_destination(Name="hook", HttpMethod="FETCH")
    events.delete_api_destination(Name="hook")
    gone = r"^Failed to describe the api-destination\(s\). An api-destination 'hook' does not exist.$"
    for call in (
        events.describe_api_destination,
        events.update_api_destination,
        events.delete_api_destination,
    ):
        with fails(events.exceptions.ResourceNotFoundException, gone):
            call(Name="hook")


# ---------------------------------------------------------------------------------------- tags
def test_tags_on_buses_and_rules(events: Any) -> None:
    bus_arn = events.create_event_bus(Name="orders", Tags=[{"Key": "team", "Value": "a"}])["EventBusArn"]
    rule_arn = events.put_rule(Name="r", EventBusName="orders", EventPattern=PATTERN,
                               Tags=[{"Key": "tier", "Value": "1"}])["RuleArn"]  # fmt: skip
    events.tag_resource(
        ResourceARN=bus_arn, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "b"}]
    )
    tags = events.list_tags_for_resource(ResourceARN=bus_arn)["Tags"]
    assert tags == [{"Key": "team", "Value": "b"}, {"Key": "env", "Value": "dev"}]
    events.untag_resource(ResourceARN=bus_arn, TagKeys=["team"])
    assert events.list_tags_for_resource(ResourceARN=bus_arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    assert events.list_tags_for_resource(ResourceARN=rule_arn)["Tags"] == [{"Key": "tier", "Value": "1"}]
    events.delete_rule(Name="r", EventBusName="orders")
    events.put_rule(Name="r", EventBusName="orders", EventPattern=PATTERN)
    assert events.list_tags_for_resource(ResourceARN=rule_arn)["Tags"] == []  # deleting the rule forgot them
    for arn in (f"{ARN}:event-bus/nope", f"{ARN}:rule/nope", f"{ARN}:archive/x", QUEUE):
        with fails(events.exceptions.ResourceNotFoundException):
            events.tag_resource(ResourceARN=arn, Tags=[{"Key": "a", "Value": "1"}])
        with fails(events.exceptions.ResourceNotFoundException):
            events.untag_resource(ResourceARN=arn, TagKeys=["a"])
        with fails(events.exceptions.ResourceNotFoundException):
            events.list_tags_for_resource(ResourceARN=arn)
    with fails("ValidationException", "Duplicated keys"):
        events.tag_resource(
            ResourceARN=bus_arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]
        )
