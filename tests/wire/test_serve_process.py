"""`choreo serve` as users run it: its own process, stopped with SIGTERM.

The process prints the line to export once it answers; a request in flight when SIGTERM arrives
(a long poll) still gets its answer; the process exits cleanly, and an event accepted before the
stop is in its queue when the server starts again on the same data directory.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tests.support.aws import aws_client

SERVE = "from bus.cli import app; app()"


def _start(data: Path, port: int) -> subprocess.Popen[str]:
    command = [sys.executable, "-c", SERVE, "serve", "--port", str(port), "--data-dir", str(data)]
    command += ["--xray-port", "-1"]
    process = subprocess.Popen(command, cwd=data.parent, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    for line in process.stdout:  # the export line comes once the endpoint is about to answer
        if line.strip() == f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port}":
            break
        assert time.monotonic() < deadline, "choreo serve did not come up"
    return process


def _answering(url: str) -> Any:
    sqs = aws_client("sqs", url)
    deadline = time.monotonic() + 30
    while True:
        try:
            sqs.list_queues()
            return sqs
        except Exception:
            assert time.monotonic() < deadline, "choreo serve does not answer"
            time.sleep(0.02)


def test_serve_stops_gracefully_on_sigterm_and_keeps_what_it_accepted(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url, data = f"http://127.0.0.1:{port}", tmp_path / "data"
    data.mkdir()
    server = _start(data, port)
    try:
        sqs, events = _answering(url), aws_client("events", url)
        queue = sqs.create_queue(QueueName="kept")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="all", EventPattern=json.dumps({"source": ["serve.test"]}))
        events.put_targets(Rule="all", Targets=[{"Id": "q", "Arn": arn}])
        other = sqs.create_queue(QueueName="empty")["QueueUrl"]
        polled: list[dict[str, Any]] = []
        poll = threading.Thread(
            target=lambda: polled.append(sqs.receive_message(QueueUrl=other, WaitTimeSeconds=2))
        )
        poll.start()
        event_id = events.put_events(
            Entries=[{"Source": "serve.test", "DetailType": "Kept", "Detail": "{}"}]
        )["Entries"][0]["EventId"]
        server.send_signal(signal.SIGTERM)  # while the long poll is in flight
        poll.join(10)
        assert server.wait(20) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(5)
    assert polled == [{"ResponseMetadata": polled[0]["ResponseMetadata"]}]  # answered: empty, not cut off

    again = _start(data, port)
    try:
        got = _answering(url).receive_message(QueueUrl=queue, WaitTimeSeconds=5)["Messages"]
        assert [json.loads(m["Body"])["id"] for m in got] == [event_id]
    finally:
        again.send_signal(signal.SIGTERM)
        assert again.wait(20) == 0
