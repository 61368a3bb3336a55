"""boto3's ``xray`` client against the endpoint: pages, merged documents, graphs, AWS's errors."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bus.engine.runtime import LocalBus
from bus.xray import TraceStore


def _trace_id(n: int) -> str:
    return f"1-6756a2c0-{n:024x}"


def _segment(n: int, start: float, **extra: Any) -> dict[str, Any]:
    return {
        "trace_id": _trace_id(n),
        "id": f"{n:016x}",
        "name": "svc",
        "start_time": start,
        "end_time": start + 0.1,
        **extra,
    }


def _fill(store: TraceStore, count: int, start: float) -> None:
    store.put([_segment(n, start + n * 0.001) for n in range(1, count + 1)])


def test_summaries_page_newest_first_through_an_indexed_query(bus: LocalBus, xray: Any) -> None:
    now = time.time()
    _fill(bus.tracing.store, 230, now - 100)
    pages = list(xray.get_paginator("get_trace_summaries").paginate(StartTime=now - 200, EndTime=now))
    ids = [s["Id"] for p in pages for s in p["TraceSummaries"]]
    assert len(pages) == 3 and ids == [_trace_id(n) for n in range(230, 0, -1)]
    plans = bus.tracing.store.query_plans()
    for name, index in (
        ("summaries", "traces_by_start"),
        ("calls", "calls_by_start"),
        ("expire", "traces_by_start"),
    ):
        assert any(step.startswith("SEARCH") and index in step for step in plans[name]), (name, plans[name])
    assert any("USING PRIMARY KEY" in step for step in plans["trace"]), plans["trace"]
    assert not any(step.startswith("SCAN") and "INDEX" not in step for p in plans.values() for step in p), (
        plans
    )


def test_a_runaway_trace_stops_growing_at_its_cap(tmp_path: Any) -> None:
    store = TraceStore(tmp_path / "traces.db", max_segments=3)
    now = time.time()
    store.put([{**_segment(n, now), "trace_id": _trace_id(1)} for n in range(1, 6)])
    trace = store.trace(_trace_id(1))
    assert trace is not None and len(trace.documents) == 3 and store.dropped == 2
    modes = {f.name: f.stat().st_mode & 0o777 for f in tmp_path.iterdir()}
    assert modes and set(modes.values()) == {0o600}, modes  # owner-only, WAL files included
    store.close()


def test_old_traces_expire_with_their_graph(bus: LocalBus, xray: Any) -> None:
    now = time.time()
    store = bus.tracing.store
    store.put([_segment(1, now - 40 * 86_400), _segment(2, now - 10)])
    assert store.expire(now - 30 * 86_400) == 1
    assert store.trace(_trace_id(1)) is None and store.trace(_trace_id(2)) is not None
    assert store.calls(0, now).nodes == {("svc", None): store.calls(now - 60, now).nodes[("svc", None)]}


def test_filter_expressions(bus: LocalBus, xray: Any) -> None:
    now = time.time()
    store = bus.tracing.store
    store.put(
        [
            _segment(1, now - 3, name="orders", annotations={"order_id": "o-7"}),
            _segment(2, now - 2, name="payments", fault=True),
            _segment(3, now - 1, name="payments", error=True),
        ]
    )

    def ids(expression: str) -> list[str]:
        found = xray.get_trace_summaries(StartTime=now - 10, EndTime=now, FilterExpression=expression)
        return [s["Id"] for s in found["TraceSummaries"]]

    assert ids('service("payments")') == [_trace_id(3), _trace_id(2)]
    assert ids('service("payments") AND fault') == [_trace_id(2)]
    assert ids("ok") == [_trace_id(1)]
    assert ids('annotation.order_id = "o-7"') == [_trace_id(1)]
    with pytest.raises(ClientError) as refused:
        ids("responsetime > 5")
    assert refused.value.response["Error"]["Code"] == "InvalidRequestException"


def test_batch_get_traces_merges_streamed_subsegments_and_names_the_missing(bus: LocalBus, xray: Any) -> None:
    now = time.time()
    top = _segment(
        1, now, subsegments=[{"id": "aaaaaaaaaaaaaaaa", "name": "inner", "start_time": now, "end_time": now}]
    )
    streamed = {
        "type": "subsegment",
        "trace_id": _trace_id(1),
        "parent_id": "aaaaaaaaaaaaaaaa",
        "id": "bbbbbbbbbbbbbbbb",
        "name": "dynamodb",
        "namespace": "aws",
        "start_time": now,
        "end_time": now + 0.05,
    }
    bus.tracing.store.put([top, streamed])
    result = xray.batch_get_traces(TraceIds=[_trace_id(1), _trace_id(9)])
    assert result["UnprocessedTraceIds"] == [_trace_id(9)]
    ((segment,),) = [t["Segments"] for t in result["Traces"]]
    document = json.loads(segment["Document"])
    (inner,) = document["subsegments"]
    assert [s["name"] for s in inner["subsegments"]] == ["dynamodb"]
    assert "parent_id" not in inner["subsegments"][0]
    graph = xray.get_trace_graph(TraceIds=[_trace_id(1)])["Services"]
    assert sorted((s["Name"], s.get("Type")) for s in graph) == [("dynamodb", "AWS::dynamodb"), ("svc", None)]
    with pytest.raises(ClientError, match="At most 5"):
        xray.batch_get_traces(TraceIds=[_trace_id(n) for n in range(6)])


def test_time_ranges_are_checked_as_xray_checks_them(xray: Any) -> None:
    now = time.time()
    for start, end in ((now - 25 * 3600, now), (now, now - 60)):
        for call in (xray.get_trace_summaries, xray.get_service_graph):
            with pytest.raises(ClientError) as refused:
                call(StartTime=start, EndTime=end)
            assert refused.value.response["Error"]["Code"] == "InvalidRequestException"
            assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError, match="Invalid NextToken"):
        xray.get_trace_summaries(StartTime=now - 60, EndTime=now, NextToken="not-a-token")


def test_signed_requests_only_when_the_server_checks_signatures(bus: LocalBus) -> None:
    from bus.wire.auth import Authenticator
    from tests.support.aws import aws_client, serving

    now = time.time()
    with serving(bus, Authenticator({"AKIDXRAYTEST": "s3cret"})) as url:
        good = aws_client("xray", url, key="AKIDXRAYTEST", secret="s3cret")
        assert good.get_trace_summaries(StartTime=now - 60, EndTime=now)["TraceSummaries"] == []
        bad = aws_client("xray", url, key="AKIDXRAYTEST", secret="wrong")
        with pytest.raises(ClientError) as refused:
            bad.get_service_graph(StartTime=now - 60, EndTime=now)
        assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
