"""Robustness of the AWS-compatible endpoint: malformed input and concurrent load.

1. Fuzz: ~10,000 random and malformed requests, reproducible from a fixed seed, over both
   protocols (``AWSEvents.*`` on JSON 1.1, ``AmazonSQS.*`` on JSON 1.0) with operation names and
   input shapes taken from botocore's service models, plus a few truly broken HTTP requests on raw
   sockets. No answer may be a 5xx, every error must be AWS JSON (``__type`` and ``message``), and
   the server must still serve boto3 afterwards.
2. Concurrency: 8 threads, each with its own boto3 client, publish 1,000 events each to a bus whose
   rule targets an SQS queue; draining the queue must give back every accepted EventId.
"""

from __future__ import annotations

import json
import logging
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import botocore.session
import httpx
import pytest

from bus.engine.runtime import LocalBus
from bus.wire.app import MAX_BODY_BYTES
from tests.support.aws import aws_client

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SEED = 20261127
FUZZ_REQUESTS = 10_000

EVENTS_CT = "application/x-amz-json-1.1"
SQS_CT = "application/x-amz-json-1.0"

_MODELS = botocore.session.get_session()
EVENTS_MODEL = _MODELS.get_service_model("events")
SQS_MODEL = _MODELS.get_service_model("sqs")


# ------------------------------------------------------------------ value generation
UNICODE_GARBAGE = [
    "\u0000",
    "\ud7ff\ue000",
    "\U0001f4a9" * 5,
    "\u202e\u202d",
    "e\u0301\u0301\u0301",
    "\ufeff",
    "\uffff",
    "\\u0000",
    "%00%ff",
    "../../etc/passwd",
    "' OR 1=1 --",
    "${jndi:ldap://x}",
    "<aws.events.event>",
    "\r\n\r\n",
    "\t" * 40,
    "\u4e2d\u6587\u5b57",
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629",
]


@dataclass
class Names:
    """Names that exist on the server (so handlers run past the lookup) and some that do not."""

    endpoint: str
    strings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        queue_url = f"{self.endpoint}/123456789012/fuzz-q"
        self.strings = [
            "default",
            "fuzz-bus",
            "fuzz-rule",
            "fuzz-q",
            queue_url,
            "arn:aws:sqs:us-east-1:123456789012:fuzz-q",
            "arn:aws:events:us-east-1:123456789012:event-bus/fuzz-bus",
            "arn:aws:events:us-east-1:123456789012:rule/fuzz-bus/fuzz-rule",
            "no-such-bus",
            "no-such-rule",
            f"{self.endpoint}/123456789012/no-such-queue",
            "arn:aws:sqs:us-east-1:123456789012:no-such-queue",
            "arn:aws:events:us-east-1:123456789012:archive/nope",
            "arn:aws:lambda:us-east-1:123456789012:function:nope",
            '{"source": ["fuzz"]}',
            '{"source": [{"prefix": ""}], "detail": {"n": [{"numeric": [">", 0]}]}}',
            '{"detail": {"$or": [{"a": [1]}, {"b": [{"exists": false}]}]}}',
            "{}",
            "rate(1 minute)",
            "cron(0 12 * * ? *)",
            "$.detail",
            "",
            "x" * 3000,
        ]


def garbage(rng: random.Random, depth: int = 0) -> Any:
    """Any JSON value, mostly of the wrong type for whatever member it lands in."""
    kinds = ["null", "int", "float", "bool", "str", "unicode", "bigint", "inf"]
    if depth < 4:
        kinds += ["list", "dict", "deep"]
    kind = rng.choice(kinds)
    if kind == "null":
        return None
    if kind == "int":
        return rng.randint(-(2**31), 2**31)
    if kind == "bigint":
        return rng.choice([2**64, -(2**63) - 1, 10**30, -(10**400)])
    if kind == "float":
        return rng.choice([0.5, -1e308, 1e-320, 3.0, -0.0])
    if kind == "inf":
        return rng.choice([float("inf"), float("-inf"), float("nan")])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "str":
        return "".join(rng.choice('abc{}[]":,0-9 ') for _ in range(rng.randint(0, 20)))
    if kind == "unicode":
        return rng.choice(UNICODE_GARBAGE)
    if kind == "list":
        return [garbage(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if kind == "dict":
        return {rng.choice(["a", "", "Name", "\u00e9"]): garbage(rng, depth + 1) for _ in range(3)}
    nested: Any = rng.choice([1, "x", None])
    for _ in range(rng.randint(20, 400)):
        nested = [nested] if rng.random() < 0.5 else {"k": nested}
    return nested


def from_shape(shape: Any, rng: random.Random, names: Names, mutate: float, depth: int = 0) -> Any:
    """A value for a botocore shape; each member is replaced by garbage with probability ``mutate``."""
    if rng.random() < mutate:
        return garbage(rng)
    kind = shape.type_name
    if kind == "structure":
        out: dict[str, Any] = {}
        required = set(shape.required_members)
        for name, member in shape.members.items():
            if depth > 5:
                break
            if name in required or rng.random() < 0.5:
                out[name] = from_shape(member, rng, names, mutate, depth + 1)
        if rng.random() < 0.05:
            out["NotAMember"] = garbage(rng)
        return out
    if kind == "list":
        if depth > 5:
            return []
        count = rng.choice([0, 1, 1, 2, 3, 11])
        return [from_shape(shape.member, rng, names, mutate, depth + 1) for _ in range(count)]
    if kind == "map":
        if depth > 5:
            return {}
        return {
            str(from_shape(shape.key, rng, names, mutate, depth + 1)): from_shape(
                shape.value, rng, names, mutate, depth + 1
            )
            for _ in range(rng.randint(0, 3))
        }
    if kind == "string":
        if shape.enum and rng.random() < 0.7:
            return rng.choice(shape.enum)
        roll = rng.random()
        if roll < 0.6:
            return rng.choice(names.strings)
        if roll < 0.8:
            return rng.choice(UNICODE_GARBAGE)
        return "".join(chr(rng.randint(32, 0x2FFF)) for _ in range(rng.randint(0, 40)))
    if kind in ("integer", "long"):
        return rng.choice([0, 1, 10, -1, 20, 21, 2**31, rng.randint(-1000, 100_000)])
    if kind in ("double", "float"):
        return rng.choice([0.0, 1.5, -3.25, 1e300])
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "timestamp":
        return rng.choice([0, 1_700_000_000, -5, 1e20, "2026-01-01T00:00:00Z", "yesterday"])
    if kind == "blob":
        return rng.choice(["aGVsbG8=", "not base64!", ""])
    return garbage(rng)


# ------------------------------------------------------------------ request generation
@dataclass(frozen=True)
class Fuzzed:
    kind: str
    headers: dict[str, str]
    body: bytes

    def describe(self) -> str:
        return f"{self.kind} {self.headers.get('x-amz-target')!r} {self.body[:300]!r}"


def _services() -> list[tuple[str, str, Any]]:
    return [("AWSEvents", EVENTS_CT, EVENTS_MODEL), ("AmazonSQS", SQS_CT, SQS_MODEL)]


def _params(operation: Any, rng: random.Random, names: Names, mutate: float) -> Any:
    shape = operation.input_shape
    if shape is None:
        return {}
    params = from_shape(shape, rng, names, mutate)
    if isinstance(params, dict) and operation.name == "ReceiveMessage":
        params["WaitTimeSeconds"] = 0  # the known queue is real: never long-poll in the fuzz loop
    if isinstance(params, dict) and operation.name in ("CreateQueue", "SetQueueAttributes"):
        attributes = params.get("Attributes")
        if isinstance(attributes, dict):
            attributes.pop("ReceiveMessageWaitTimeSeconds", None)
    return params


def fuzz_requests(rng: random.Random, names: Names, count: int) -> Iterator[Fuzzed]:
    services = _services()
    for _ in range(count):
        prefix, content_type, model = rng.choice(services)
        operation = model.operation_model(rng.choice(model.operation_names))
        headers = {"content-type": content_type, "x-amz-target": f"{prefix}.{operation.name}"}
        roll = rng.random()
        if roll < 0.40:
            kind = "shaped"
            body = json.dumps(_params(operation, rng, names, 0.0)).encode()
        elif roll < 0.70:
            kind = "wrong-types"
            body = json.dumps(_params(operation, rng, names, rng.choice([0.1, 0.3, 0.7]))).encode()
        elif roll < 0.75:
            kind = "not-an-object"
            body = json.dumps(rng.choice([[], [1, 2], "s", 1, None, True, 1.5, [{}]])).encode()
        elif roll < 0.80:
            kind = "bad-json"
            good = json.dumps(_params(operation, rng, names, 0.0))
            cut = rng.randint(0, max(0, len(good) - 1))
            body = rng.choice([good[:cut], good + "}", "{'a': 1}", "{", '{"a":}', "NaN-", "\x00"]).encode()
        elif roll < 0.84:
            kind = "random-bytes"
            body = rng.randbytes(rng.randint(0, 2000))
        elif roll < 0.86:
            kind = "empty"
            body = b""
        elif roll < 0.88:
            kind = "deep"
            depth = rng.choice([50, 500, 5_000, 100_000])
            opener, closer = rng.choice([("[", "]"), ('{"a":', "}")])
            body = ('{"Entries":' + opener * depth + "1" + closer * depth + "}").encode()
        elif roll < 0.90:
            kind = "unicode"
            body = json.dumps(
                {m: rng.choice(UNICODE_GARBAGE) for m in operation.input_shape.members}
                if operation.input_shape
                else {"x": rng.choice(UNICODE_GARBAGE)},
                ensure_ascii=rng.random() < 0.5,
            ).encode("utf-8", "surrogatepass")
        elif roll < 0.93:
            kind = "unknown-operation"
            headers["x-amz-target"] = f"{prefix}.{rng.choice(['Nope', 'putEvents', '', '.', 'PutEvents.x'])}"
            body = b"{}"
        elif roll < 0.96:
            kind = "unknown-target"
            headers["x-amz-target"] = rng.choice(
                [
                    "AWSEvent.PutEvents",
                    "SQS.SendMessage",
                    "x",
                    ".",
                    "AWSEvents",
                    "a" * 500,
                    "AWSEvents.\u00e9t\u00e9",
                ]
            )
            body = json.dumps(_params(operation, rng, names, 0.0)).encode()
        elif roll < 0.98:
            kind = "no-target"
            del headers["x-amz-target"]
            body = b"{}"
        else:
            kind = "wrong-content-type"
            headers["content-type"] = rng.choice(
                [EVENTS_CT if content_type == SQS_CT else SQS_CT, "text/xml"]
            )
            body = json.dumps(_params(operation, rng, names, 0.0)).encode()
        yield Fuzzed(kind, headers, body)


# ------------------------------------------------------------------ checks
def check_response(request: Fuzzed, response: httpx.Response, failures: list[str]) -> None:
    if response.status_code >= 500:
        failures.append(f"{response.status_code} {response.text[:300]!r} for {request.describe()}")
        return
    if response.status_code < 300:
        try:
            json.loads(response.content)
        except ValueError:
            failures.append(f"2xx body is not JSON {response.content[:200]!r} for {request.describe()}")
        return
    try:
        body = json.loads(response.content)
    except ValueError:
        failures.append(f"error body is not JSON {response.content[:200]!r} for {request.describe()}")
        return
    if not isinstance(body, dict) or not isinstance(body.get("__type"), str) or "message" not in body:
        failures.append(f"error body lacks __type/message {body!r} for {request.describe()}")


def health_ok(endpoint: str) -> bool:
    return httpx.get(f"{endpoint}/health", timeout=10).status_code == 200


def route_to_queue(events: Any, sqs: Any, bus_name: str, rule: str, queue: str, source: str) -> str:
    url: str = sqs.create_queue(QueueName=queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if bus_name != "default":
        events.create_event_bus(Name=bus_name)
    events.put_rule(Name=rule, EventBusName=bus_name, EventPattern=json.dumps({"source": [source]}))
    put = events.put_targets(Rule=rule, EventBusName=bus_name, Targets=[{"Id": "q", "Arn": arn}])
    assert put["FailedEntryCount"] == 0
    return url


def drain(sqs: Any, url: str, expected: set[str], deadline_s: float) -> Counter[str]:
    """Receive and delete until every expected event id has been seen or the deadline passes."""
    seen: Counter[str] = Counter()
    deadline = time.monotonic() + deadline_s
    while not expected <= seen.keys() and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        for m in messages:
            seen[json.loads(m["Body"])["id"]] += 1
        if messages:
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
            assert sqs.delete_message_batch(QueueUrl=url, Entries=entries).get("Failed", []) == []
    return seen


def round_trip(events: Any, sqs: Any, url: str, bus_name: str, source: str) -> None:
    put = events.put_events(
        Entries=[{"Source": source, "DetailType": "T", "Detail": '{"ok": true}', "EventBusName": bus_name}]
    )
    assert put["FailedEntryCount"] == 0
    event_id = put["Entries"][0]["EventId"]
    seen = drain(sqs, url, {event_id}, 15)
    assert event_id in seen, "the event published after the fuzz never reached its queue"


# ------------------------------------------------------------------ raw HTTP
BROKEN_HTTP: list[bytes] = [
    b"\x00\x01\x02garbage\r\n\r\n",
    b"GARBAGE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"POST / HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: -5\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: abc\r\n\r\n{}",
    b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n"
    b"X-Amz-Target: AWSEvents.ListRules\r\n\r\n"
    b"zz\r\n{}\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Amz-Target: AWSEvents.ListRules\r\n"
    b"Content-Length: 2\r\n"
    b"\r\n{}",
    b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nBad Header Line\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Amz-Target: \xff\xfe\r\n"
    b"Content-Length: 2\r\n\r\n{}",
    b"POST /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + b"X-A: " + b"b" * 100_000 + b"\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"DELETE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
]
# a client that promises more body than it sends, then hangs up
TRUNCATED = (
    b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSEvents.PutEvents\r\n"
    b'Content-Type: application/x-amz-json-1.1\r\nContent-Length: 1000\r\n\r\n{"Entries": ['
)


def raw_exchange(endpoint: str, payload: bytes, *, half_close: bool = False) -> bytes:
    host, port = endpoint.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        try:
            s.sendall(payload)
            if half_close:
                s.shutdown(socket.SHUT_WR)
            chunks = []
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except (ConnectionResetError, BrokenPipeError, TimeoutError):
            return b""
        return b"".join(chunks)


def raw_status(response: bytes) -> int | None:
    if not response.startswith(b"HTTP/"):
        return None
    return int(response.split(b" ", 2)[1])


# ------------------------------------------------------------------ tests
def test_fuzzed_requests_never_fail_the_server(bus: LocalBus, endpoint: str, events: Any, sqs: Any) -> None:
    route_to_queue(events, sqs, "fuzz-bus", "fuzz-rule", "fuzz-q", "fuzz")
    rng = random.Random(SEED)
    names = Names(endpoint)
    failures: list[str] = []
    kinds: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    timeout = httpx.Timeout(30.0)
    with httpx.Client(base_url=endpoint, timeout=timeout) as http:
        for request in fuzz_requests(rng, names, FUZZ_REQUESTS):
            kinds[request.kind] += 1
            try:
                headers = {k: v.encode("utf-8") for k, v in request.headers.items()}
                response = http.post("/", content=request.body, headers=headers)
            except httpx.HTTPError as exc:
                failures.append(f"{type(exc).__name__}: {exc} for {request.describe()}")
                continue
            statuses[response.status_code] += 1
            check_response(request, response, failures)

        # a handful of bodies over the limit: announced by Content-Length, and streamed (chunked)
        for i in range(6):
            prefix, content_type = (
                ("AWSEvents.PutEvents", EVENTS_CT) if i % 2 else ("AmazonSQS.SendMessage", SQS_CT)
            )
            headers = {"content-type": content_type, "x-amz-target": prefix}
            big = b'{"Entries": [' + b" " * (MAX_BODY_BYTES + 1 + i * 100_000) + b"]}"
            oversized = Fuzzed("huge", headers, big[:200])
            if i < 3:
                response = http.post("/", content=big, headers=headers)
            else:
                chunks = [big[n : n + 65536] for n in range(0, len(big), 65536)]
                response = http.post("/", content=iter(chunks), headers=headers)
            kinds["huge"] += 1
            check_response(oversized, response, failures)
            assert response.status_code == 413, response.text

    for payload in BROKEN_HTTP:
        answer = raw_exchange(endpoint, payload)
        status = raw_status(answer)
        kinds["raw-http"] += 1
        if status is not None and status >= 500:
            failures.append(f"raw HTTP {payload[:80]!r} got {answer[:300]!r}")

    assert sum(kinds.values()) >= 10_000
    assert not failures, f"{len(failures)} bad answers, first ones:\n" + "\n".join(failures[:20])
    print(f"fuzz: {sum(kinds.values())} requests, kinds {dict(kinds)}, statuses {dict(statuses)}")
    assert statuses[200] > 200, statuses  # the fuzz must reach the handlers, not only the validators
    assert health_ok(endpoint)
    # the fuzz may have deleted fuzz-bus or fuzz-q itself (it sends well-formed deletes): check on fresh ones
    after = route_to_queue(events, sqs, "after-bus", "after-rule", "after-q", "after")
    round_trip(events, sqs, after, "after-bus", "after")


CLIENTS = 8
PER_CLIENT = 1_000
BATCH = 10  # entries per PutEvents call (1 also passes, in ~27 s instead of ~12 s)


def test_concurrent_publishers_lose_no_event(bus: LocalBus, endpoint: str, events: Any, sqs: Any) -> None:
    url = route_to_queue(events, sqs, "load-bus", "load-rule", "load-q", "load")
    accepted: list[list[str]] = [[] for _ in range(CLIENTS)]
    errors: list[str] = []
    start = threading.Barrier(CLIENTS)

    def publisher(n: int) -> Callable[[], None]:
        def run() -> None:
            own = aws_client("events", endpoint)
            start.wait()
            try:
                for i in range(PER_CLIENT // BATCH):
                    entries = [
                        {
                            "Source": "load",
                            "DetailType": "Load",
                            "Detail": json.dumps({"client": n, "i": i * BATCH + k}),
                            "EventBusName": "load-bus",
                        }
                        for k in range(BATCH)
                    ]
                    result = own.put_events(Entries=entries)
                    for entry in result["Entries"]:
                        if "EventId" in entry:
                            accepted[n].append(entry["EventId"])
                        else:
                            errors.append(f"client {n}: entry rejected {entry}")
            except Exception as exc:  # reported below: a failed call is a finding, not a crash
                errors.append(f"client {n}: {type(exc).__name__}: {exc}")

        return run

    threads = [threading.Thread(target=publisher(n), name=f"publisher-{n}") for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a publisher hung"
    assert not errors, errors[:10]
    ids = {event_id for own in accepted for event_id in own}
    assert len(ids) == CLIENTS * PER_CLIENT == sum(len(own) for own in accepted)

    seen = drain(sqs, url, ids, 45)
    missing = ids - seen.keys()
    duplicates = {event_id: n for event_id, n in seen.items() if n > 1}
    unexpected = seen.keys() - ids
    if duplicates:
        print(f"{len(duplicates)} events delivered more than once (allowed: at-least-once)")
    assert not unexpected, f"{len(unexpected)} unknown events arrived"
    assert not missing, f"{len(missing)} of {len(ids)} accepted events never arrived"
    assert health_ok(endpoint)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_client_hanging_up_mid_body_is_not_an_application_error(bus: LocalBus, endpoint: str) -> None:
    """A client that sends part of a body and disconnects must not raise out of the app: uvicorn logs
    any exception escaping it as "Exception in ASGI application" with a traceback, at ERROR."""
    errors = _Records()
    uvicorn_log = logging.getLogger("uvicorn.error")
    uvicorn_log.addHandler(errors)
    try:
        for _ in range(3):
            assert raw_exchange(endpoint, TRUNCATED, half_close=True) == b""
        assert health_ok(endpoint)
    finally:
        uvicorn_log.removeHandler(errors)
    escaped = [r for r in errors.records if r.exc_info and r.exc_info[0] is not None]
    assert not escaped, [
        f"{r.getMessage()}: {r.exc_info[0].__module__}.{r.exc_info[0].__qualname__}"
        for r in escaped
        if r.exc_info and r.exc_info[0]
    ]
