"""The daemon takes what aws-xray-sdk really sends over UDP, and the store assembles it."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from bus.engine.runtime import LocalBus
from bus.xray import TraceStore, XRayDaemon
from tests.support.http_stubs import wait_for
from tests.xray.conftest import sdk_recorder


def _send(address: str, payload: bytes) -> None:
    host, _, port = address.rpartition(":")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(payload, (host, int(port)))


def test_a_segment_and_its_streamed_subsegments_become_one_trace(bus: LocalBus) -> None:
    address = bus.tracing.address
    assert address is not None and not address.endswith(":0")
    # a threshold of 1 makes the SDK send each finished subsegment as a datagram of its own
    recorder = sdk_recorder(address, "orders", streaming_threshold=1)
    segment = recorder.begin_segment("orders")
    recorder.put_annotation("order_id", "o-1")
    for name in ("validate", "price", "persist"):
        recorder.begin_subsegment(name)
        recorder.end_subsegment()
    recorder.end_segment()
    store = bus.tracing.store

    def assembled() -> bool:
        trace = store.trace(segment.trace_id)
        return trace is not None and len(trace.spans()) == 4

    wait_for(assembled, what="the segment and its three subsegments")
    trace = store.trace(segment.trace_id)
    assert trace is not None
    (root,) = trace.roots
    assert (root.name, root.kind, root.annotations["order_id"]) == ("orders", "segment", "o-1")
    assert [c.name for c in root.children] == ["validate", "price", "persist"]
    assert len(trace.documents) > 1  # the subsegments did arrive as datagrams of their own
    (summary,) = store.summaries(time.time() - 60, time.time() + 60).summaries
    assert (summary.trace_id, summary.root, summary.services) == (segment.trace_id, "orders", ("orders",))


def test_an_in_progress_segment_is_replaced_by_its_complete_version(tmp_path: Path) -> None:
    store = TraceStore(tmp_path / "traces.db")
    daemon = XRayDaemon(store, "127.0.0.1:0").start()
    try:
        header = b'{"format":"json","version":1}\n'
        trace_id, seg = "1-6756a2c0-5f1c2d3e4f5a6b7c8d9e0f1a", "53995c3f42cd8ad8"
        now = time.time()
        started = b'{"trace_id":"%s","id":"%s","name":"slow","start_time":%f,"in_progress":true}'
        started %= (trace_id.encode(), seg.encode(), now)
        _send(daemon.address, header + started)
        wait_for(lambda: store.trace(trace_id) is not None, what="the in-progress segment")
        in_progress = store.trace(trace_id)
        assert in_progress is not None and in_progress.roots[0].in_progress
        done = b'{"trace_id":"%s","id":"%s","name":"slow","start_time":%f,"end_time":%f}'
        _send(daemon.address, header + done % (trace_id.encode(), seg.encode(), now, now + 2.5))
        _send(daemon.address, header + started)  # a late, stale copy

        def complete() -> bool:
            trace = store.trace(trace_id)
            return trace is not None and daemon.received == 3 and not trace.roots[0].in_progress

        wait_for(complete, what="the complete segment")
        store.flush()
        trace = store.trace(trace_id)
        assert trace is not None and trace.roots[0].duration == pytest.approx(
            2.5
        )  # the stale copy did not win
    finally:
        daemon.stop()
        store.close()


def test_what_is_not_a_segment_is_counted_and_dropped(tmp_path: Path) -> None:
    store = TraceStore(tmp_path / "traces.db")
    daemon = XRayDaemon(store, "127.0.0.1:0").start()
    try:
        bad = [
            b"no header line",
            b'{"format":"xml","version":1}\n{}',
            b'{"format":"json","version":1}\n{"trace_id":"nope","id":"53995c3f42cd8ad8","name":"x","start_time":1}',
            b'{"format":"json","version":1}\n{"trace_id":"1-6756a2c0-5f1c2d3e4f5a6b7c8d9e0f1a",'
            b'"id":"53995c3f42cd8ad8","name":"x","start_time":1}',  # neither ended nor in progress
            b'{"format":"json","version":1}\n[1, 2',
        ]
        for payload in bad:
            _send(daemon.address, payload)
        wait_for(lambda: daemon.rejected == len(bad), what="every bad datagram counted")
        assert daemon.received == 0
        assert store.summaries(0, 2e9).summaries == []
    finally:
        daemon.stop()
        store.close()


def test_a_taken_port_leaves_the_bus_running_without_a_daemon(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        with LocalBus(tmp_path / "data", xray_address=f"127.0.0.1:{port}") as bus:
            assert bus.tracing.address is None
            bus.engine.put_events([{"Source": "s", "DetailType": "d", "Detail": "{}"}])
