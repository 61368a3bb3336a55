"""A stand-in that does nothing: the floor under every wire latency the benchmarks measure.

The same uvicorn (httptools, uvloop) and Starlette as `choreo serve`, in its own process, with
nothing behind them: PutEvents answers a fixed response and hands a ``bench.lat`` event to a
waiting ReceiveMessage in memory; DeleteMessageBatch deletes nothing. What a boto3 client sees of it
is boto3's own work plus HTTP on loopback (bench_floor.py, and the floor row of bench_wire.py).
"""

from __future__ import annotations

import multiprocessing as mp
import socket
import time

from _aws import client
from _proc import _cpu_seconds

_ANSWER = b'{"FailedEntryCount":0,"Entries":[{"EventId":"floor"}]}'


def _serve(port: int) -> None:
    import asyncio
    import hashlib
    import json
    import uuid

    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    published: asyncio.Queue[str] = asyncio.Queue()

    def message(body: str) -> dict[str, str]:
        handle = uuid.uuid4().hex
        return {
            "MessageId": handle,
            "ReceiptHandle": handle,
            "MD5OfBody": hashlib.md5(body.encode()).hexdigest(),
            "Body": body,
        }

    async def answer(request: Request) -> Response:
        params = json.loads(await request.body() or b"{}")
        target = request.headers.get("x-amz-target", "")
        if target == "AWSEvents.PutEvents":
            event_id = uuid.uuid4().hex
            if params["Entries"][0]["Source"] == "bench.lat":  # what choreo's rule would match
                published.put_nowait(json.dumps({"id": event_id}))
            out: dict[str, object] = {"FailedEntryCount": 0, "Entries": [{"EventId": event_id}]}
        elif target == "AmazonSQS.ReceiveMessage":
            try:
                first = await asyncio.wait_for(published.get(), params.get("WaitTimeSeconds", 0) or 0.001)
            except TimeoutError:
                return Response(b"{}", media_type="application/x-amz-json-1.0")
            bodies = [first]
            while len(bodies) < params.get("MaxNumberOfMessages", 1) and not published.empty():
                bodies.append(published.get_nowait())
            out = {"Messages": [message(b) for b in bodies]}
        elif target == "AmazonSQS.DeleteMessageBatch":
            out = {"Successful": [{"Id": e["Id"]} for e in params["Entries"]], "Failed": []}
        else:
            return Response(_ANSWER, media_type="application/x-amz-json-1.1")
        media = (
            "application/x-amz-json-1.0" if target.startswith("AmazonSQS") else "application/x-amz-json-1.1"
        )
        return Response(json.dumps(out), media_type=media)

    app = Starlette(routes=[Route("/", answer, methods=["POST"])])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", http="httptools", loop="uvloop"
    )
    uvicorn.Server(config).run()


class StandIn:
    """The stand-in in its own process, answering once ``__init__`` returns; ``stop()`` ends it."""

    name = "floor"

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.queue_url = f"{self.url}/000000000000/floor"
        self._process = mp.get_context("spawn").Process(target=_serve, args=(port,), daemon=True)
        self._process.start()
        self.pid = self._process.pid
        events = client("events", self.url)
        entry = [{"EventBusName": "b", "Source": "s", "DetailType": "d", "Detail": '{"a":1}'}]
        deadline = time.monotonic() + 30
        while True:  # until the server answers
            try:
                events.put_events(Entries=entry)
                return
            except Exception:
                if time.monotonic() > deadline or not self._process.is_alive():
                    self.stop()
                    raise
                time.sleep(0.05)

    def cpu_seconds(self) -> float:
        return _cpu_seconds(self.pid) if self.pid else 0.0

    def stop(self) -> None:
        self._process.terminate()
        self._process.join(5)
