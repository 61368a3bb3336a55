"""The floor under every wire latency: one boto3 PutEvents call against an endpoint that does nothing.

    python benchmarks/bench_floor.py [--calls 500]

The same uvicorn (httptools, uvloop) and Starlette as `choreo serve`, in its own process, answering
every POST with a fixed one-entry PutEvents response: what remains is boto3's own work (serialise,
sign, parse) plus HTTP on loopback. bench_wire.py's PutEvents call and publish-to-receive figures sit
on top of this floor (one call to publish, one long-poll answer to receive).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _aws import client

_ANSWER = b'{"FailedEntryCount":0,"Entries":[{"EventId":"floor"}]}'


def _serve(port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def answer(request: Request) -> Response:
        await request.body()
        return Response(_ANSWER, media_type="application/x-amz-json-1.1")

    app = Starlette(routes=[Route("/", answer, methods=["POST"])])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", http="httptools", loop="uvloop"
    )
    uvicorn.Server(config).run()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = mp.get_context("spawn").Process(target=_serve, args=(port,), daemon=True)
    server.start()
    try:
        events = client("events", f"http://127.0.0.1:{port}")
        entry = [{"EventBusName": "b", "Source": "s", "DetailType": "d", "Detail": '{"a":1}'}]
        deadline = time.monotonic() + 30
        while True:  # until the server answers
            try:
                events.put_events(Entries=entry)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        for _ in range(50):
            events.put_events(Entries=entry)
        calls: list[float] = []
        for _ in range(args.calls):  # paced like the latency phase: 100 calls per second
            started = time.perf_counter()
            events.put_events(Entries=entry)
            calls.append((time.perf_counter() - started) * 1000)
            time.sleep(max(0.0, 0.01 - (time.perf_counter() - started)))
        calls.sort()
        p50, p99 = calls[len(calls) // 2], calls[int(len(calls) * 0.99)]
        print(f"boto3 PutEvents against a do-nothing endpoint ({args.calls} calls at 100/s):")
        print(f"  p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    finally:
        server.terminate()
        server.join(5)


if __name__ == "__main__":
    main()
