"""X-Ray: the trace header handlers see, the segments Lambda records, Powertools inside a handler."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from bus.engine.runtime import LocalBus
from bus.functions import read_log
from tests.functions.conftest import eventually

ROOT = "1-6756a2c0-5f1c2d3e4f5a6b7c8d9e0f1a"
CALLER = "53995c3f42cd8ad8"


@pytest.fixture
def daemon(bus: LocalBus) -> Iterator[socket.socket]:
    """A UDP socket standing in for the X-Ray daemon."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(10)
    bus.functions.xray_address = f"127.0.0.1:{sock.getsockname()[1]}"
    yield sock
    sock.close()


def received(sock: socket.socket, count: int) -> list[dict[str, Any]]:
    documents = []
    for _ in range(count):
        header, _, body = sock.recv(65536).partition(b"\n")
        assert json.loads(header) == {"format": "json", "version": 1}
        documents.append(json.loads(body))
    return documents


def test_active_tracing_records_lambdas_two_segments(bus: LocalBus, daemon: socket.socket) -> None:
    header = f"Root={ROOT};Parent={CALLER};Sampled=1"
    bus.functions.invoke_async("shipping", json.dumps({"detail": {"order": "o-1"}}), trace_header=header)

    service, function = received(daemon, 2)
    assert service["origin"] == "AWS::Lambda" and function["origin"] == "AWS::Lambda::Function"
    assert service["trace_id"] == function["trace_id"] == ROOT
    assert service["parent_id"] == CALLER
    assert function["parent_id"] == service["id"]
    assert service["name"] == function["name"] == "shipping"
    assert [s["name"] for s in function["subsegments"]] == ["Initialization", "Invocation"]
    assert service["start_time"] <= function["end_time"] <= service["end_time"]
    record = eventually(lambda: bus.functions.invocations("shipping"), what="the invocation")[0]
    # the handler's own segments hang below the function segment
    assert record.value["trace"] == f"Root={ROOT};Parent={function['id']};Sampled=1"


def test_pass_through_hands_the_callers_header_on_and_records_nothing(bus: LocalBus) -> None:
    header = f"Root={ROOT};Parent={CALLER};Sampled=1"
    record = bus.functions.invoke("ok", {}, trace_header=header)

    assert record.value["env"]["_X_AMZN_TRACE_ID"] == header


def test_powertools_logger_and_tracer_run_in_a_handler(bus: LocalBus, daemon: socket.socket) -> None:
    record = bus.functions.invoke("powertools", {"order": "o-5"})

    assert record.ok, record.error
    lines = [json.loads(line.message) for line in read_log(bus.functions.log_path("powertools"))
             if line.message.startswith("{")]  # fmt: skip
    (logged,) = [line for line in lines if line.get("message") == "handled"]
    assert logged["function_name"] == "powertools"
    assert logged["function_request_id"] == record.request_id
    assert logged["order"] == "o-5"
    assert logged["cold_start"] is True
    _, function = received(daemon, 2)
    assert function["trace_id"] == record.trace_id


def test_a_warm_worker_hangs_each_invocations_subsegments_under_its_own_segment(
    bus: LocalBus, daemon: socket.socket
) -> None:
    # a replayed event keeps its trace (our extension): same root, a new caller, the same warm worker
    for caller in (CALLER, "aaaabbbbccccdddd"):
        header = f"Root={ROOT};Parent={caller};Sampled=1"
        assert bus.functions.invoke("powertools", {"order": "o-6"}, trace_header=header).ok
    documents: list[dict[str, Any]] = []

    def count(test: Any) -> int:
        return len([d for d in documents if test(d)])

    while (
        count(lambda d: d.get("name") == "## handler") < 2
        or count(lambda d: d.get("origin") == "AWS::Lambda::Function") < 2
    ):
        documents += received(daemon, 1)
    functions = [d["id"] for d in documents if d.get("origin") == "AWS::Lambda::Function"]
    handlers = [d["parent_id"] for d in documents if d.get("name") == "## handler"]
    assert len(functions) == 2 and handlers == functions  # each under its own invocation
