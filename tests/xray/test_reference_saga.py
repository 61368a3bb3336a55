"""The reference choreography (template.yaml) traced end to end, before and after a replay.

The orders service runs as its own process inside the test's X-Ray segment (its ``_X_AMZN_TRACE_ID``
names it, as Lambda would); the consumers are the template's functions in the local Lambda
runtime, which sends Lambda's segments, and Powertools Tracer's, to the bus's daemon. The order's
journey (inventory, payments, shipping, the notification webhook) must be one trace, and the
archive's replay must land in that same trace.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bus.engine.runtime import LocalBus
from bus.template import load_template
from bus.xray import Span, Trace
from tests.support.aws import aws_client
from tests.support.http_stubs import Reply, StubServer, wait_for
from tests.xray.conftest import sdk_recorder

REPO = Path(__file__).resolve().parents[2]
WEBHOOK_VARIABLE = "CHOREO_RESOLVE_SSM_CHOREO_NOTIFICATIONS_WEBHOOK_URL"
DEADLINE = 40.0


@pytest.fixture
def saga(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[LocalBus, str, StubServer]]:
    from bus.wire.server import ServerThread

    with StubServer() as saas:
        saas.route("/v1/notifications", lambda _: Reply(202, '{"queued": "yes"}'))
        monkeypatch.setenv(WEBHOOK_VARIABLE, saas.url + "/v1/notifications")
        with LocalBus(tmp_path / "data", xray_address="127.0.0.1:0") as bus:
            server = ServerThread(bus).start()
            try:
                bus.endpoint = server.url
                bus.functions.endpoint = server.url
                bus.apply(load_template(REPO / "template.yaml", endpoint=server.url))
                yield bus, server.url, saas
            finally:
                server.stop()


def _place_order(endpoint: str, header: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
        "_X_AMZN_TRACE_ID": header,
    }
    command = [sys.executable, "-m", "producers.orders", "--count", "1", "--seed", "7", "--prefix", "traced"]
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=60, check=True)
    placed: dict[str, Any] = json.loads(done.stdout.splitlines()[0])
    return placed


def _functions(trace: Trace) -> dict[str, list[Span]]:
    found: dict[str, list[Span]] = {}
    for span in trace.spans():
        if span.origin == "AWS::Lambda":
            found.setdefault(span.name, []).append(span)
    return found


def _under_replay(trace: Trace, span: Span) -> bool:
    by_id = {s.id: s for s in trace.spans()}
    current = by_id.get(span.parent_id or "")
    while current is not None and current.origin != "AWS::Events":
        current = by_id.get(current.parent_id or "")
    return current is not None and "replay_name" in current.annotations


def test_an_order_is_one_trace_through_the_saga_and_its_replay(
    saga: tuple[LocalBus, str, StubServer],
) -> None:
    bus, endpoint, saas = saga
    address = bus.tracing.address
    assert address is not None
    t0 = time.time()
    orders = sdk_recorder(address, "orders")
    segment = orders.begin_segment("orders")
    _place_order(endpoint, f"Root={segment.trace_id};Parent={segment.id};Sampled=1")
    orders.end_segment()
    store = bus.tracing.store

    def notified() -> bool:
        trace = store.trace(segment.trace_id)
        calls = (
            [s for s in trace.spans() if s.annotations.get("target_kind") == "API destination"]
            if trace
            else []
        )
        return (
            len(_functions(trace)) >= 2 and any(c.annotations["delivered"] for c in calls) if trace else False
        )

    wait_for(notified, timeout=DEADLINE, what="the order's journey up to the notification")
    (call,) = saas.to("/v1/notifications")
    assert call.headers["x-amzn-trace-id"].startswith(f"Root={segment.trace_id};")
    before = store.trace(segment.trace_id)
    assert before is not None
    functions = _functions(before)
    assert len(functions) >= 2  # inventory and payments at least (shipping when stock and payment allow)
    for spans in functions.values():
        for span in spans:  # each consumer's Lambda segment hangs below the attempt that invoked it
            parent = next(s for s in before.spans() if s.id == span.parent_id)
            assert (
                parent.annotations.get("choreo") == "attempt"
                and parent.annotations["target_name"] == span.name
            )

    events = aws_client("events", endpoint)
    archive = events.describe_archive(ArchiveName=events.list_archives()["Archives"][0]["ArchiveName"])
    events.start_replay(
        ReplayName="again",
        EventSourceArn=archive["ArchiveArn"],
        EventStartTime=t0 - 60,
        EventEndTime=time.time(),
        Destination={"Arn": archive["EventSourceArn"]},
    )

    def replayed() -> bool:
        trace = store.trace(segment.trace_id)
        if trace is None:
            return False
        again = {
            name for name, spans in _functions(trace).items() if any(_under_replay(trace, s) for s in spans)
        }
        return again >= set(functions) and len(saas.to("/v1/notifications")) >= 2

    wait_for(replayed, timeout=DEADLINE, what="the replayed journey in the same trace")
    page = store.summaries(t0 - 1, time.time() + 1)
    assert [s.trace_id for s in page.summaries] == [segment.trace_id]  # one trace, replay included
