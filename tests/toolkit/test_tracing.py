"""With tracing on, as in Lambda (LAMBDA_TASK_ROOT set, the X-Ray SDK installed), the handler runs
inside Powertools Tracer's subsegment, annotated with the correlation id, and the events it
publishes name that subsegment as their parent. Run in a child process: an enabled Tracer patches
boto3 and the X-Ray SDK for the whole process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

LAMBDA_TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

CHILD = textwrap.dedent(
    """
    import json, sys
    from bus.consumer import OnFailure, consumer
    from bus.producer import Publisher
    from events.models.com_choreo_orders import order_placed_v1_1 as placed
    from tests.toolkit.conftest import LambdaContext, placed_event, reservation

    sent = []

    class Recorder:
        def put_events(self, Entries):
            sent.extend(Entries)
            return {"FailedEntryCount": 0, "Entries": [{"EventId": "e"} for _ in Entries]}

    publisher = Publisher("choreo-orders", client=Recorder())

    @consumer(placed.AWSEvent, on_failure=OnFailure.RETRY, service="inventory")
    def handler(event, context):
        return publisher.publish(reservation(), caused_by=context)

    outcome = handler(placed_event(), LambdaContext())
    traced = handler.tracer is not None
    print(json.dumps({"outcome": outcome, "trace": sent[0].get("TraceHeader"), "tracer": traced}))
    """
)


def test_published_events_join_the_handlers_trace(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as daemon:  # the X-Ray daemon's UDP port
        daemon.bind(("127.0.0.1", 0))
        daemon.settimeout(10)
        env = {
            **os.environ,
            "PYTHONPATH": str(Path.cwd()),
            "LAMBDA_TASK_ROOT": str(tmp_path),
            "AWS_LAMBDA_FUNCTION_NAME": "inventory-reserve",
            "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon.getsockname()[1]}",
            "_X_AMZN_TRACE_ID": LAMBDA_TRACE,
            "CHOREO_IDEMPOTENCY_DB": str(tmp_path / "idempotency.db"),
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        env.pop("POWERTOOLS_TRACE_DISABLED", None)
        child = subprocess.run(
            [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert child.returncode == 0, child.stderr
        result = json.loads(child.stdout.strip().splitlines()[-1])
        assert result["tracer"] is True
        assert result["outcome"]["outcome"] == "processed"
        root, parent, sampled = result["trace"].split(";")
        assert (root, sampled) == ("Root=1-5759e988-bd862e3fe1be46a994272793", "Sampled=1")
        assert parent.startswith("Parent=") and parent != "Parent=53995c3f42cd8ad8"  # the handler's own
        documents = []  # subsegments arrive one per datagram: a header line, then the JSON document
        while not any(d["name"] == "## handler" for d in documents):
            try:
                datagram = daemon.recv(65536)
            except TimeoutError:
                raise AssertionError(
                    f"no '## handler' subsegment; got {[d['name'] for d in documents]}"
                ) from None
            documents.append(json.loads(datagram.decode().split("\n", 1)[1]))
    [handler] = [d for d in documents if d["name"] == "## handler"]
    assert f"Parent={handler['id']}" == parent
    assert handler["trace_id"] == "1-5759e988-bd862e3fe1be46a994272793"
    assert handler["annotations"]["correlation_id"]
    assert handler["annotations"]["detail_type"] == "OrderPlaced"
